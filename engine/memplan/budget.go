package memplan

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/perchapp/perch/engine/format"
)

const (
	gib = int64(1) << 30
	// macReserve is what macOS and the user's apps keep out of a Mac's RAM.
	macReserve = 4 * gib
	// metalReserve is kept free inside Metal's working set for other GPU users (the window
	// server, the browser).
	metalReserve = 1 * gib
)

// EnvSimulateMemory names the environment variable that, set to a size in GB, makes the
// planner answer for an Apple Silicon Mac with that much memory instead of this machine.
const EnvSimulateMemory = "PERCH_SIMULATE_MEMORY_GB"

// Machine is what the budget is computed from. app/system fills it for this machine;
// SimulatedMac describes another.
type Machine struct {
	// TotalBytes is the physical memory.
	TotalBytes int64 `json:"total_bytes"`
	// AvailableBytes is what the OS could give now without swapping (CPU budget).
	AvailableBytes int64 `json:"available_bytes"`
	// AppleSilicon is true for a Mac with unified memory and Metal.
	AppleSilicon bool `json:"apple_silicon"`
	// WorkingSetBytes is Metal's working-set limit: what ggml reports for the device, or
	// iogpu.wired_limit_mb when set; 0 applies DefaultWorkingSet.
	WorkingSetBytes int64 `json:"working_set_bytes,omitempty"`
	// Simulated is true when the machine is hypothetical (--memory).
	Simulated bool `json:"simulated,omitempty"`
}

// Backend is what llama.cpp runs models on there: Metal on Apple Silicon, else the CPU.
func (m Machine) Backend() Backend {
	if m.AppleSilicon {
		return BackendMetal
	}
	return BackendCPU
}

// SimulatedMac is an Apple Silicon Mac with ram bytes of memory and macOS's default GPU limit.
func SimulatedMac(ram int64) Machine {
	return Machine{TotalBytes: ram, AvailableBytes: ram - macReserve, AppleSilicon: true,
		WorkingSetBytes: DefaultWorkingSet(ram), Simulated: true}
}

// DefaultWorkingSet is macOS's default Metal working-set limit (recommendedMaxWorkingSetSize)
// for a Mac with ram bytes: two thirds of the memory up to 32 GB, three quarters above.
// Reported values: 16 GB → 10.67 GiB, 24 GB → 16 GiB, 32 GB → 21.33 GiB, 36 GB → 27 GiB,
// 64 GB → 48 GiB, 96 GB → 72 GiB, 128 GB → 96 GiB. `sysctl iogpu.wired_limit_mb` overrides it.
func DefaultWorkingSet(ram int64) int64 {
	if ram <= 32*gib {
		return ram / 3 * 2
	}
	return ram / 4 * 3
}

// Budget is the memory one model may use.
type Budget struct {
	// Bytes is the most a model may use with no other Perch model loaded.
	Bytes int64 `json:"budget_bytes"`
	// Rule says how Bytes was computed.
	Rule    string  `json:"rule"`
	Machine Machine `json:"machine"`
}

// cpuMargin is kept free on a CPU-only machine: a tenth of the memory, at least 512 MiB and
// at most 2 GiB.
func cpuMargin(total int64) int64 { return min(2*gib, max(512<<20, total/10)) }

// BudgetFor computes the budget of a machine. residentBytes is what Perch's loaded models
// use now: on the CPU the budget starts from available memory, which already lacks them, so
// they are added back (Check then subtracts them as the models to unload).
//
// On Apple Silicon: the smaller of (Metal working set − 1 GiB) and (RAM − 4 GiB).
// On the CPU: available RAM (plus Perch's own models) less a margin of 10% of RAM, between
// 512 MiB and 2 GiB.
func BudgetFor(m Machine, residentBytes int64) Budget {
	if m.AppleSilicon {
		ws := m.WorkingSetBytes
		if ws <= 0 {
			ws = DefaultWorkingSet(m.TotalBytes)
		}
		b := min(ws-metalReserve, m.TotalBytes-macReserve)
		return Budget{Bytes: max(b, 0), Machine: m, Rule: fmt.Sprintf(
			"Apple Silicon, %s: the smaller of Metal's working set %s less 1 GiB and RAM less 4 GiB",
			format.Memory(m.TotalBytes), format.Memory(ws))}
	}
	b := m.AvailableBytes + residentBytes - cpuMargin(m.TotalBytes)
	return Budget{Bytes: max(b, 0), Machine: m, Rule: fmt.Sprintf(
		"CPU: available memory %s less a margin of %s", format.Memory(m.AvailableBytes+residentBytes), format.Memory(cpuMargin(m.TotalBytes)))}
}

// SimulatedFromEnv returns the Mac that PERCH_SIMULATE_MEMORY_GB describes, if it is set.
func SimulatedFromEnv() (Machine, bool, error) {
	v := strings.TrimSpace(os.Getenv(EnvSimulateMemory))
	if v == "" {
		return Machine{}, false, nil
	}
	n, err := ParseSize(v + "GB")
	if err != nil {
		return Machine{}, false, fmt.Errorf("%s=%q: %w", EnvSimulateMemory, v, err)
	}
	return SimulatedMac(n), true, nil
}

// ParseSize reads a memory size such as "32GB", "16 GiB", "24g" or "512MB". Mac memory is
// sold in GB that are really GiB, so GB and GiB both mean 2^30 bytes here.
func ParseSize(s string) (int64, error) {
	t := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	mult := int64(1)
	for _, u := range []struct {
		suf  string
		mult int64
	}{{"TIB", 1 << 40}, {"TB", 1 << 40}, {"T", 1 << 40}, {"GIB", gib}, {"GB", gib}, {"G", gib},
		{"MIB", 1 << 20}, {"MB", 1 << 20}, {"M", 1 << 20}, {"B", 1}} {
		if strings.HasSuffix(t, u.suf) {
			t, mult = strings.TrimSuffix(t, u.suf), u.mult
			break
		}
	}
	if mult == 1 && !strings.HasSuffix(strings.ToUpper(s), "B") {
		mult = gib // a bare number is GB
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || f <= 0 || f*float64(mult) > 1<<50 {
		return 0, fmt.Errorf("memory size %q is not a size like 16GB or 512MB", s)
	}
	return int64(f * float64(mult)), nil
}
