package llama

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/perchapp/perch/engine/sharedtest"
)

// mibs turns a logged size into bytes as the parser does.
func mibs(v float64) int64 { return int64(v*(1<<20) + 0.5) }

// logPrecision is how far a size the log prints as MiB with two decimals can be off.
const logPrecision = 5243

func TestParseBufferLine(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		line string
		want Buffer
		ok   bool
	}{
		{"load_tensors:   CPU_Mapped model buffer size =     1.12 MiB",
			Buffer{Kind: BufferWeights, Type: "CPU_Mapped", Device: "CPU", Host: true, Bytes: mibs(1.12)}, true},
		{"load_tensors:  MTL0_Mapped model buffer size =  1918.35 MiB",
			Buffer{Kind: BufferWeights, Type: "MTL0_Mapped", Device: "MTL0", Bytes: mibs(1918.35)}, true},
		{"llm_load_tensors:      Metal buffer size =  3647.88 MiB", Buffer{}, false}, // old format without a kind
		{"load_tensors:   CPU_REPACK model buffer size =   308.23 MiB",
			Buffer{Kind: BufferWeights, Type: "CPU_REPACK", Device: "CPU", Host: true, Bytes: mibs(308.23)}, true},
		{"llama_context:        CPU  output buffer size =     0.12 MiB",
			Buffer{Kind: BufferOutput, Type: "CPU", Device: "CPU", Host: true, Bytes: mibs(0.12)}, true},
		{"llama_kv_cache:        CPU KV buffer size =     1.88 MiB",
			Buffer{Kind: BufferKV, Type: "CPU", Device: "CPU", Host: true, Bytes: mibs(1.88)}, true},
		{"llama_kv_cache:       MTL0 KV buffer size  = 1089.00 MiB",
			Buffer{Kind: BufferKV, Type: "MTL0", Device: "MTL0", Bytes: 1089 * mib}, true},
		{"llama_memory_recurrent:       MTL0 RS buffer size =    16.00 MiB",
			Buffer{Kind: BufferState, Type: "MTL0", Device: "MTL0", Bytes: 16 * mib}, true},
		{"sched_reserve:        CPU compute buffer size =     2.53 MiB",
			Buffer{Kind: BufferCompute, Type: "CPU", Device: "CPU", Host: true, Bytes: mibs(2.53)}, true},
		{"llama_new_context_with_model:  CUDA_Host compute buffer size =   268.05 MiB",
			Buffer{Kind: BufferCompute, Type: "CUDA_Host", Device: "CUDA_Host", Host: true, Bytes: mibs(268.05)}, true},
		{"llama_kv_cache: size =    0.94 MiB (   512 cells,   5 layers,  3/3 seqs), K (f16):    0.47 MiB", Buffer{}, false},
		{"sched_reserve: graph nodes  = 171", Buffer{}, false},
		{"", Buffer{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			got, ok := ParseBufferLine(tc.line)
			if ok != tc.ok || got != tc.want {
				t.Fatalf("got %+v, %v; want %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestBuffersObserve(t *testing.T) {
	const mib = 1 << 20
	// A Metal load as llama.cpp logs it on a Mac, with the graph reserved twice in the first
	// context and a second context (an embedder) after it.
	log := []string{
		"load_tensors: offloading 28 repeating layers to GPU",
		"load_tensors:   CPU_Mapped model buffer size =   304.00 MiB",
		"load_tensors:  MTL0_Mapped model buffer size =  2376.00 MiB",
		"llama_context: constructing llama_context",
		"llama_context:        CPU  output buffer size =     2.00 MiB",
		"llama_kv_cache_iswa: creating non-SWA KV cache, size = 8192 cells",
		"llama_kv_cache:       MTL0 KV buffer size =   200.00 MiB",
		"llama_kv_cache_iswa: creating     SWA KV cache, size = 1536 cells",
		"llama_kv_cache:       MTL0 KV buffer size =    88.00 MiB",
		"sched_reserve: reserving ...",
		"sched_reserve:       MTL0 compute buffer size =   300.00 MiB",
		"sched_reserve:        CPU compute buffer size =    20.00 MiB",
		"sched_reserve: reserving ...",
		"sched_reserve:       MTL0 compute buffer size =   310.00 MiB",
		"sched_reserve:        CPU compute buffer size =    21.00 MiB",
		"llama_context: constructing llama_context",
		"llama_kv_cache:       MTL0 KV buffer size =    10.00 MiB",
		"sched_reserve: reserving ...",
		"sched_reserve:       MTL0 compute buffer size =    5.00 MiB",
	}
	var b Buffers
	n := 0
	for _, l := range log {
		if b.Observe(l) {
			n++
		}
	}
	if n != 11 {
		t.Errorf("%d buffer lines seen, want 11", n)
	}
	want := Buffers{Weights: 2680 * mib, KV: 298 * mib, Compute: 336 * mib, Output: 2 * mib, Device: "MTL0"}
	if b.Weights != want.Weights || b.KV != want.KV || b.Compute != want.Compute || b.Output != want.Output || b.Device != want.Device {
		t.Errorf("got weights %d kv %d compute %d output %d on %s; want %+v", b.Weights, b.KV, b.Compute, b.Output, b.Device, want)
	}
	if got := b.Total(); got != (2680+298+336+2)*mib {
		t.Errorf("total %d", got)
	}
	if got := b.OnDevice(); got != (2376+298+315)*mib {
		t.Errorf("on device %d MiB", got/mib)
	}
	if got := b.ByDevice()["CPU"]; got != (304+2+21)*mib {
		t.Errorf("CPU %d MiB", got/mib)
	}
	b.Reset()
	if b.Total() != 0 || len(b.List) != 0 {
		t.Error("reset kept buffers")
	}
}

// TestBuffersFromLlamaCpp loads a real model and checks the parsed log against what the
// model and context must hold.
func TestBuffersFromLlamaCpp(t *testing.T) {
	path := filepath.Join("..", "..", "..", "shared", "models", "stories260K.gguf")
	if _, err := os.Stat(path); err != nil {
		sharedtest.Skipf(t, "shared model not found at %s", path)
	}
	if err := Init(""); err != nil {
		sharedtest.Skipf(t, "llama.cpp runtime not available: %v", err)
	}
	var b Buffers
	SetLogSink(func(_, line string) { b.Observe(line) })
	defer SetLogSink(nil)
	m, err := LoadModel(path, ModelOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	st, _ := os.Stat(path)
	// The mapped model buffer is the tensor data: the file less its header.
	if b.Weights <= 0 || b.Weights > st.Size() || b.Weights < st.Size()*9/10 {
		t.Errorf("weights %d for a file of %d bytes", b.Weights, st.Size())
	}
	c, err := m.NewContext(ContextOptions{NCtx: 1024, NSeqMax: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// 5 layers × 512 cells × 2 sequences × (32 + 32) values × 2 bytes (f16), to the log's
	// two decimals of a MiB.
	if want := int64(5 * 512 * 2 * 64 * 2); b.KV < want-logPrecision || b.KV > want+logPrecision {
		t.Errorf("KV %d, want %d", b.KV, want)
	}
	kinds := map[BufferKind]int{}
	for _, x := range b.List {
		kinds[x.Kind]++
	}
	if kinds[BufferWeights] != 1 || kinds[BufferKV] != 1 || kinds[BufferCompute] != 1 || kinds[BufferOutput] != 1 {
		t.Errorf("buffers seen: %v", kinds)
	}
	if b.Compute <= 0 || b.Device != "CPU" {
		t.Errorf("compute %d on %q", b.Compute, b.Device)
	}
}
