package llama

import (
	"regexp"
	"strconv"
	"strings"
)

// BufferKind is what a llama.cpp buffer holds.
type BufferKind string

// The buffers llama.cpp reports after a load.
const (
	BufferWeights BufferKind = "weights" // "model buffer": the tensors of the GGUF
	BufferKV      BufferKind = "kv"      // "KV buffer": the attention KV cache
	BufferState   BufferKind = "state"   // "RS buffer": recurrent state (Mamba, RWKV, hybrids)
	BufferCompute BufferKind = "compute" // "compute buffer": the worst-case graph's activations
	BufferOutput  BufferKind = "output"  // "output buffer": logits and embeddings of a batch
)

// Buffer is one allocation llama.cpp reported, e.g. from
// "load_tensors:  MTL0_Mapped model buffer size =  1918.35 MiB".
type Buffer struct {
	Kind BufferKind `json:"kind"`
	// Type is ggml's buffer type as logged: CPU, CPU_Mapped, CPU_REPACK, MTL0, MTL0_Mapped,
	// Metal, CUDA0, CUDA_Host, ...
	Type string `json:"type"`
	// Device is the device the buffer belongs to: Type without _Mapped, _REPACK and the like.
	Device string `json:"device"`
	// Host is true for buffers in host memory (CPU, pinned *_Host); on Apple Silicon every
	// buffer is in the same unified memory, but only non-host ones count against Metal's
	// working set.
	Host  bool  `json:"host"`
	Bytes int64 `json:"bytes"`
}

// bufferLine matches the "<type> <kind> buffer size = <n> MiB" lines of llama.cpp's log
// (load_tensors, llama_context, llama_kv_cache, llama_memory_recurrent, sched_reserve; older
// builds used llm_load_tensors and llama_new_context_with_model). The log prints MiB with two
// decimals, so each size is known to within 5 KiB.
var bufferLine = regexp.MustCompile(`:\s+(\S+)\s+(model|KV|RS|compute|output) buffer size\s*=\s*([0-9]+(?:\.[0-9]+)?)\s*MiB`)

// ParseBufferLine reads one log line; ok is false for lines that report no buffer.
func ParseBufferLine(line string) (b Buffer, ok bool) {
	m := bufferLine.FindStringSubmatch(line)
	if m == nil {
		return Buffer{}, false
	}
	mib, err := strconv.ParseFloat(m[3], 64)
	if err != nil {
		return Buffer{}, false
	}
	b = Buffer{Type: m[1], Bytes: int64(mib*(1<<20) + 0.5)}
	switch m[2] {
	case "model":
		b.Kind = BufferWeights
	case "KV":
		b.Kind = BufferKV
	case "RS":
		b.Kind = BufferState
	case "compute":
		b.Kind = BufferCompute
	case "output":
		b.Kind = BufferOutput
	}
	b.Device = b.Type
	for _, suf := range []string{"_Mapped", "_REPACK", "_AARCH64", "_Private", "_Shared"} {
		b.Device = strings.TrimSuffix(b.Device, suf)
	}
	b.Host = b.Device == "CPU" || strings.HasSuffix(b.Device, "_Host")
	return b, true
}

// Buffers adds up what llama.cpp allocated for one model and its contexts, fed line by line
// from the log (SetLogSink). The zero value is ready to use; it is not safe for concurrent use.
type Buffers struct {
	Weights int64 `json:"weights_bytes"`
	KV      int64 `json:"kv_bytes"`
	State   int64 `json:"state_bytes,omitempty"`
	Compute int64 `json:"compute_bytes"`
	Output  int64 `json:"output_bytes"`
	// Device is where the model lives: the first non-host device seen, else CPU.
	Device string `json:"device,omitempty"`
	// List holds every buffer in the order reported.
	List []Buffer `json:"buffers,omitempty"`

	ctx int   // contexts constructed so far
	seg []int // for each entry of List, the context it belongs to
}

// Observe takes one log line and reports whether it was a buffer line. A new graph
// reservation in the same context replaces that context's compute buffers (llama.cpp
// reserves again when the graph changes); a new context adds its own.
func (b *Buffers) Observe(line string) bool {
	switch {
	case strings.Contains(line, "constructing llama_context"):
		b.ctx++
		return false
	case strings.Contains(line, "sched_reserve: reserving"):
		b.dropCompute(b.ctx)
		return false
	}
	buf, ok := ParseBufferLine(line)
	if !ok {
		return false
	}
	b.List = append(b.List, buf)
	b.seg = append(b.seg, b.ctx)
	b.sum()
	return true
}

func (b *Buffers) dropCompute(ctx int) {
	list, seg := b.List[:0], b.seg[:0]
	for i, x := range b.List {
		if x.Kind == BufferCompute && b.seg[i] == ctx {
			continue
		}
		list, seg = append(list, x), append(seg, b.seg[i])
	}
	b.List, b.seg = list, seg
	b.sum()
}

func (b *Buffers) sum() {
	b.Weights, b.KV, b.State, b.Compute, b.Output, b.Device = 0, 0, 0, 0, 0, ""
	for _, x := range b.List {
		switch x.Kind {
		case BufferWeights:
			b.Weights += x.Bytes
		case BufferKV:
			b.KV += x.Bytes
		case BufferState:
			b.State += x.Bytes
		case BufferCompute:
			b.Compute += x.Bytes
		case BufferOutput:
			b.Output += x.Bytes
		}
		if b.Device == "" && !x.Host {
			b.Device = x.Device
		}
	}
	if b.Device == "" && len(b.List) > 0 {
		b.Device = "CPU"
	}
}

// Total is the sum of every buffer.
func (b *Buffers) Total() int64 { return b.Weights + b.KV + b.State + b.Compute + b.Output }

// ByDevice sums the buffers per device (CPU, MTL0, ...).
func (b *Buffers) ByDevice() map[string]int64 {
	m := map[string]int64{}
	for _, x := range b.List {
		m[x.Device] += x.Bytes
	}
	return m
}

// OnDevice sums the buffers that are not in host memory: on a Mac, what counts against
// Metal's working set.
func (b *Buffers) OnDevice() int64 {
	var n int64
	for _, x := range b.List {
		if !x.Host {
			n += x.Bytes
		}
	}
	return n
}

// Reset forgets everything observed.
func (b *Buffers) Reset() { *b = Buffers{} }
