package memplan

import (
	"errors"
	"fmt"
	"runtime"
	"strings"

	gguf "github.com/gpustack/gguf-parser-go"
)

// Backend is where llama.cpp runs the model.
type Backend string

const (
	// BackendMetal is Apple Silicon: every layer on the GPU, in unified memory.
	BackendMetal Backend = "metal"
	// BackendCPU is the CPU alone (Linux here, or a Mac without Metal).
	BackendCPU Backend = "cpu"
)

// HostBackend is the backend of this machine's llama.cpp build.
func HostBackend() Backend {
	if runtime.GOOS == "darwin" && runtime.GOARCH == "arm64" {
		return BackendMetal
	}
	return BackendCPU
}

// Defaults the engine's worker uses, mirrored here so the estimate matches what it loads.
const (
	DefaultSlots  = 1
	DefaultBatch  = 512
	DefaultUBatch = 512
)

// Options describe how the model would be loaded.
type Options struct {
	// Context is the KV cache in tokens: the one cache all slots share, or with PerSlot each
	// slot's own; 0 means the training context.
	Context int `json:"ctx"`
	// Slots is the number of sequences served at once (llama.cpp's n_seq_max).
	Slots int `json:"slots"`
	// KVTypeK and KVTypeV are the KV cache types: f16 (default), q8_0, q4_0, f32, bf16.
	KVTypeK string `json:"kv_type_k"`
	KVTypeV string `json:"kv_type_v"`
	Batch   int    `json:"batch"`
	UBatch  int    `json:"ubatch"`
	// FlashAttn is auto (default), on or off. Auto counts as on: llama.cpp enables it on
	// Metal and on the CPU for the head sizes of current models.
	FlashAttn string  `json:"flash_attn"`
	Backend   Backend `json:"backend"`
	// PerSlot gives every slot its own cache of Context cells (memory × Slots); by default
	// the slots share one unified cache of Context cells (llama.cpp's kv_unified).
	PerSlot bool `json:"per_slot_kv,omitempty"`
	// SWAFull keeps full-size caches for sliding-window layers.
	SWAFull bool `json:"swa_full,omitempty"`
}

func (o Options) withDefaults(s *Shape) Options {
	if o.Context <= 0 {
		o.Context = s.ContextLength
	}
	if o.Context <= 0 {
		o.Context = 4096
	}
	if o.Slots <= 0 {
		o.Slots = DefaultSlots
	}
	o.KVTypeK = strings.ToLower(o.KVTypeK)
	o.KVTypeV = strings.ToLower(o.KVTypeV)
	if o.KVTypeK == "" {
		o.KVTypeK = "f16"
	}
	if o.KVTypeV == "" {
		o.KVTypeV = "f16"
	}
	if s.Embedding && o.Batch <= 0 && o.UBatch <= 0 {
		// The worker decodes each embedding input in one micro-batch of a whole context.
		o.Batch, o.UBatch = o.Context, o.Context
	}
	if o.Batch <= 0 {
		o.Batch = DefaultBatch
	}
	if o.UBatch <= 0 {
		o.UBatch = min(o.Batch, DefaultUBatch)
	}
	o.UBatch = min(o.UBatch, o.Batch)
	o.FlashAttn = strings.ToLower(o.FlashAttn)
	if o.FlashAttn == "" {
		o.FlashAttn = "auto"
	}
	if o.Backend == "" {
		o.Backend = HostBackend()
	}
	return o
}

var cacheTypes = map[string]gguf.GGMLType{
	"f32": gguf.GGMLTypeF32, "f16": gguf.GGMLTypeF16, "bf16": gguf.GGMLTypeBF16,
	"q8_0": gguf.GGMLTypeQ8_0, "q4_0": gguf.GGMLTypeQ4_0, "q4_1": gguf.GGMLTypeQ4_1,
	"q5_0": gguf.GGMLTypeQ5_0, "q5_1": gguf.GGMLTypeQ5_1, "iq4_nl": gguf.GGMLTypeIQ4_NL,
}

// Estimate is the memory a model needs, in bytes, with the options it was computed for.
type Estimate struct {
	Options
	// KVUnified is true when the slots share one cache (the default).
	KVUnified bool `json:"kv_unified"`
	// KVCells is the number of KV cells a slot may use after llama.cpp's rounding (to 256):
	// llama.cpp's n_ctx_seq.
	KVCells int `json:"kv_cells"`
	// Weights is the model buffer: the tensor bytes, plus on the CPU the repacked copies of
	// Q4_0/Q4_K/IQ4_NL matrices llama.cpp makes for faster kernels.
	WeightsBytes int64 `json:"weights_bytes"`
	KVBytes      int64 `json:"kv_bytes"`
	// StateBytes is the recurrent state of Mamba/RWKV-style layers.
	StateBytes   int64 `json:"state_bytes"`
	ComputeBytes int64 `json:"compute_bytes"`
	OutputBytes  int64 `json:"output_bytes"`
	// OverheadBytes is what the worker process needs beyond llama.cpp's buffers.
	OverheadBytes int64 `json:"overhead_bytes"`
	TotalBytes    int64 `json:"total_bytes"`
	// DeviceBytes is the part on the GPU, which must fit Metal's working set (0 on the CPU).
	DeviceBytes int64 `json:"device_bytes"`
}

// BuffersBytes is the sum of llama.cpp's buffers (the total less the overhead): what its log
// reports after a load.
func (e Estimate) BuffersBytes() int64 {
	return e.WeightsBytes + e.KVBytes + e.StateBytes + e.ComputeBytes + e.OutputBytes
}

// overheadBytes is the cost of a worker beyond its llama.cpp buffers: the Go runtime, the
// libraries, the vocabulary tables (BPE merges make them grow with the vocabulary), graph
// metadata and the CPU backend's work buffers. Measured on Linux as the resident memory of a
// process that loaded a model, less the buffers it touched (rss_test.go: 20-40 MiB for
// 32k-102k vocabularies), then doubled for safety. Metal's pipelines and residency sets
// could not be measured here; 128 MiB is a deliberate allowance.
func overheadBytes(s *Shape, b Backend) int64 {
	n := int64(64<<20) + int64(s.Vocab)*256
	if b == BackendMetal {
		n += 128 << 20
	}
	return n
}

// ErrInvalidOptions wraps every options error.
var ErrInvalidOptions = errors.New("invalid memory plan options")

// Compute returns the estimate for a model loaded with o.
func Compute(s Shape, o Options) (Estimate, error) {
	if s.Layers <= 0 || s.Embd <= 0 || len(s.KVHeads) != s.Layers {
		return Estimate{}, errors.New("memory plan: incomplete model shape")
	}
	o = o.withDefaults(&s)
	tk, ok := cacheTypes[o.KVTypeK]
	if !ok {
		return Estimate{}, fmt.Errorf("%w: unknown KV cache type %q (use f16, q8_0 or q4_0)", ErrInvalidOptions, o.KVTypeK)
	}
	tv, ok := cacheTypes[o.KVTypeV]
	if !ok {
		return Estimate{}, fmt.Errorf("%w: unknown KV cache type %q (use f16, q8_0 or q4_0)", ErrInvalidOptions, o.KVTypeV)
	}
	switch o.FlashAttn {
	case "auto", "on", "off":
	default:
		return Estimate{}, fmt.Errorf("%w: flash attention must be auto, on or off, not %q", ErrInvalidOptions, o.FlashAttn)
	}
	if o.Backend != BackendMetal && o.Backend != BackendCPU {
		return Estimate{}, fmt.Errorf("%w: unknown backend %q", ErrInvalidOptions, o.Backend)
	}
	if o.Slots > 256 {
		return Estimate{}, fmt.Errorf("%w: %d slots is more than llama.cpp's 256", ErrInvalidOptions, o.Slots)
	}
	if o.Context > 1<<24 {
		return Estimate{}, fmt.Errorf("%w: a context of %d tokens is beyond any model", ErrInvalidOptions, o.Context)
	}
	fa := o.FlashAttn != "off"
	// llama.cpp's own refusals, said before it is asked.
	if tv.IsQuantized() && !fa {
		return Estimate{}, fmt.Errorf("%w: a quantized V cache (%s) needs flash attention", ErrInvalidOptions, o.KVTypeV)
	}
	for _, c := range []struct {
		t    gguf.GGMLType
		name string
		dim  int
	}{{tk, o.KVTypeK, s.HeadDimK}, {tv, o.KVTypeV, s.HeadDimV}} {
		if tr, ok := c.t.Trait(); ok && c.dim > 0 && uint64(c.dim)%tr.BlockSize != 0 {
			return Estimate{}, fmt.Errorf("%w: a %s KV cache needs a head size that is a multiple of %d; this model's is %d", ErrInvalidOptions, c.name, tr.BlockSize, c.dim)
		}
	}

	e := Estimate{Options: o, KVUnified: !o.PerSlot}
	// Context rounding, as llama_context does: the total is padded to 256; a per-slot cache
	// pads each sequence's share to 256 again.
	nSeq := o.Slots
	nCtx, streams := pad(o.Context, 256), 1
	ctxSeq := nCtx
	if o.PerSlot {
		nCtx = pad(o.Context*nSeq, 256)
		ctxSeq = pad(nCtx/nSeq, 256)
		nCtx = ctxSeq * nSeq
		streams = nSeq
	}
	e.KVCells = ctxSeq // with a unified cache, any one slot may fill all of it

	// KV cache: each attention layer holds K and V rows for every cell of every stream.
	swaCells := ctxSeq
	if s.SlidingWindow > 0 && !o.SWAFull {
		share := nSeq // a unified cache keeps a window for every sequence
		if o.PerSlot {
			share = 1
		}
		swaCells = pad(min(ctxSeq, s.SlidingWindow*share+o.UBatch), 256)
	}
	for il := range s.Layers {
		h := s.KVHeads[il]
		if h == 0 {
			continue
		}
		cells, dk, dv := ctxSeq, s.HeadDimK, s.HeadDimV
		if il < len(s.SWALayers) && s.SWALayers[il] {
			cells, dk, dv = swaCells, s.SWAHeadDimK, s.SWAHeadDimV
		}
		row := rowBytes(tk, h*dk) + rowBytes(tv, h*dv)
		e.KVBytes += int64(streams) * int64(cells) * row
	}
	for il := range s.Recurrent {
		if s.Recurrent[il] {
			e.StateBytes += s.StateBytes * int64(max(1, nSeq))
		}
	}

	// Output buffer: one row of logits per sequence (llama.cpp reserves n_seq_max outputs);
	// an embedding model's rows are embeddings, up to one per token of a micro-batch.
	e.OutputBytes = int64(s.Vocab) * 4 * int64(nSeq)
	if s.Embedding {
		e.OutputBytes = int64(s.Embd) * 4 * int64(max(nSeq, min(o.UBatch, nCtx)))
	}

	e.ComputeBytes = computeBytes(&s, o, fa, tk.IsQuantized(), ctxSeq, min(o.UBatch, nCtx))
	if swaCells < ctxSeq && len(s.SWALayers) > 0 {
		// Windowed sliding-window layers get their own attention mask, alive with the other.
		maskRow := int64(2)
		if !fa {
			maskRow = 4
		}
		e.ComputeBytes += int64(swaCells) * int64(pad(min(o.UBatch, nCtx), 64)) * maskRow
	}

	// Weights, and what stays on the host under Metal (the token embeddings: llama.cpp looks
	// them up on the CPU).
	var host int64
	for _, t := range s.Tensors {
		e.WeightsBytes += t.Bytes
		if t.Name == "token_embd.weight" {
			host += t.Bytes
			continue
		}
		if o.Backend == BackendCPU && repacked(t.Type) {
			e.WeightsBytes += t.Bytes
		}
	}
	e.OverheadBytes = overheadBytes(&s, o.Backend)
	e.TotalBytes = e.BuffersBytes() + e.OverheadBytes
	if o.Backend == BackendMetal {
		e.DeviceBytes = e.WeightsBytes - host + e.KVBytes + e.StateBytes + e.ComputeBytes
	}
	return e, nil
}

// computeBytes models the compute buffer: llama.cpp reserves the worst-case graph, a
// micro-batch of t tokens all producing logits over a full KV cache of nKV cells. Its peak is
// the larger of
//   - the end of the graph: the logits (vocab × t floats) above a few rows of embeddings, and
//   - a layer: the attention mask (F16 with flash attention, F32 without), with flash
//     attention the widest of the FFN or attention activations (three alive at once), without
//     it the full K·Q score matrix (heads × nKV × t floats).
//
// The multiples of embd×t were fitted to llama.cpp's reported sizes over shapes with
// embd 256-2048, heads 4-32, FFN 1-16× embd, vocab 32k-102k, ubatch 128-512 and contexts 2k-32k
// (calibration_test.go); they are rounded up, so the estimate errs high by at most 2 rows.
func computeBytes(s *Shape, o Options, fa, quantK bool, nKV, t int) int64 {
	const f32 = 4
	tt := int64(t)
	rows := tt * f32 // one float per token
	emb := int64(s.Embd) * rows
	q := int64(s.Heads*s.HeadDimK) * rows
	ffn := int64(max(s.FFN, s.ExpertFFN*s.ExpertsUsed)) * rows
	logits := int64(s.Vocab) * rows
	if s.Embedding {
		logits = 0 // pooled embeddings, no logits (this case is not calibrated)
	}
	maskT := int64(pad(t, 64)) // GGML_KQ_MASK_PAD
	if fa {
		tail := logits + 3*emb
		if quantK {
			tail += emb // K is converted back for the attention kernels
		}
		layer := int64(nKV)*maskT*2 + 3*max(ffn, q) + 4*emb
		return max(tail, layer)
	}
	tail := logits + 3*emb
	kq := int64(nKV) * tt * int64(s.Heads) * f32
	layer := kq + int64(nKV)*maskT*f32 + (11*max(emb, q)+1)/2
	return max(tail, layer)
}

// repacked reports whether llama.cpp's CPU backend keeps a second, interleaved copy of a
// matrix of this type (x86-64 with AVX2 and arm64 with dot-product instructions).
func repacked(t gguf.GGMLType) bool {
	switch t {
	case gguf.GGMLTypeQ4_0, gguf.GGMLTypeQ4_K, gguf.GGMLTypeIQ4_NL:
		return true
	}
	return false
}

func rowBytes(t gguf.GGMLType, n int) int64 {
	if n <= 0 {
		return 0
	}
	return int64(t.RowSizeOf([]uint64{uint64(n)}))
}

func pad(n, to int) int { return (n + to - 1) / to * to }
