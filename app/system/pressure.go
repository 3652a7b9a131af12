package system

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
)

// Pressure is how hard the OS is working to find memory.
type Pressure string

const (
	PressureNormal   Pressure = "normal"
	PressureWarn     Pressure = "warn"
	PressureCritical Pressure = "critical"
	PressureUnknown  Pressure = "unknown"
)

// DarwinPressure maps macOS's kern.memorystatus_vm_pressure_level (the level Activity
// Monitor's memory-pressure graph shows) to a Pressure: 1 normal, 2 warn, 4 critical.
func DarwinPressure(level int) Pressure {
	switch level {
	case 1:
		return PressureNormal
	case 2:
		return PressureWarn
	case 4:
		return PressureCritical
	}
	return PressureUnknown
}

// psiPath is where Linux publishes memory pressure stall information.
const psiPath = "/proc/pressure/memory"

// PSI is Linux's pressure stall information for memory (/proc/pressure/memory): the share of
// time, in percent over the last 10, 60 and 300 seconds, that some task (Some) or every
// non-idle task (Full) waited for memory.
type PSI struct {
	Some PSILine `json:"some"`
	Full PSILine `json:"full"`
}

// PSILine is one line of a PSI file.
type PSILine struct {
	Avg10  float64 `json:"avg10"`
	Avg60  float64 `json:"avg60"`
	Avg300 float64 `json:"avg300"`
	// Total is the cumulative stall time in microseconds.
	Total uint64 `json:"total"`
}

// ParsePSI reads the text of /proc/pressure/memory. Older kernels print only the "some"
// line; a missing "full" line stays zero.
func ParsePSI(text string) (PSI, error) {
	var p PSI
	seen := false
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		var line *PSILine
		switch fields[0] {
		case "some":
			line = &p.Some
		case "full":
			line = &p.Full
		default:
			return PSI{}, fmt.Errorf("pressure file: unexpected line %q", sc.Text())
		}
		got := 0
		for _, f := range fields[1:] {
			k, v, ok := strings.Cut(f, "=")
			if !ok {
				return PSI{}, fmt.Errorf("pressure file: bad field %q", f)
			}
			var err error
			switch k {
			case "avg10":
				line.Avg10, err = strconv.ParseFloat(v, 64)
			case "avg60":
				line.Avg60, err = strconv.ParseFloat(v, 64)
			case "avg300":
				line.Avg300, err = strconv.ParseFloat(v, 64)
			case "total":
				line.Total, err = strconv.ParseUint(v, 10, 64)
			default:
				continue
			}
			if err != nil {
				return PSI{}, fmt.Errorf("pressure file: bad %s value %q", k, v)
			}
			got++
		}
		if got < 4 {
			return PSI{}, fmt.Errorf("pressure file: incomplete line %q", sc.Text())
		}
		if fields[0] == "some" {
			seen = true
		}
	}
	if !seen {
		return PSI{}, fmt.Errorf("pressure file has no \"some\" line")
	}
	return p, nil
}

// PSI thresholds on the 10-second averages. "full" stalls (every task waiting) hurt far more
// than "some", so their thresholds are lower. Chosen so a machine paging in a model's weights
// for a moment stays normal, sustained reclaim warns, and thrashing is critical.
const (
	psiWarnSome     = 10.0
	psiWarnFull     = 1.0
	psiCriticalSome = 40.0
	psiCriticalFull = 10.0
)

// Level turns PSI into a Pressure: critical when full avg10 ≥ 10% or some avg10 ≥ 40%; warn
// when full avg10 ≥ 1% or some avg10 ≥ 10%; normal otherwise.
func (p PSI) Level() Pressure {
	switch {
	case p.Full.Avg10 >= psiCriticalFull || p.Some.Avg10 >= psiCriticalSome:
		return PressureCritical
	case p.Full.Avg10 >= psiWarnFull || p.Some.Avg10 >= psiWarnSome:
		return PressureWarn
	}
	return PressureNormal
}

// availablePressure is the fallback without PSI (old kernels, some containers): critical
// under 5% of memory available, warn under 15%.
func availablePressure(available, total int64) Pressure {
	if total <= 0 {
		return PressureUnknown
	}
	switch f := float64(available) / float64(total); {
	case f < 0.05:
		return PressureCritical
	case f < 0.15:
		return PressureWarn
	}
	return PressureNormal
}
