// Package memplan estimates the memory a model needs under llama.cpp — weights, KV cache,
// recurrent state, compute and output buffers, overhead — for a context length, KV cache
// type, slot count and batch size, and says whether it fits a machine: this Mac, this Linux
// box, or another Mac of a given memory size. The estimate needs only the GGUF header, so it
// works before a download. Its formulas follow llama.cpp's own allocation rules and were
// calibrated against the buffer sizes llama.cpp reports (see calibration_test.go).
package memplan

import (
	"context"
	"errors"
	"fmt"
	"strings"

	gguf "github.com/gpustack/gguf-parser-go"
)

// Shape is what the estimate needs to know about a model, read from its GGUF header.
type Shape struct {
	Architecture string `json:"architecture"`
	// FileType names the quantization (Q4_K_M, Q8_0, F16, ...).
	FileType      string `json:"file_type,omitempty"`
	Parameters    uint64 `json:"parameters"`
	ContextLength int    `json:"context_length"` // training context
	Layers        int    `json:"layers"`
	Embd          int    `json:"embd"`
	Vocab         int    `json:"vocab"`
	// FFN is the feed-forward width of a dense layer (the widest); for a mixture of experts,
	// ExpertFFN × ExpertsUsed is what one token runs.
	FFN         int `json:"ffn"`
	ExpertFFN   int `json:"expert_ffn,omitempty"`
	ExpertsUsed int `json:"experts_used,omitempty"`
	Heads       int `json:"heads"`
	// KVHeads holds each layer's KV head count; 0 marks a layer without a KV cache.
	KVHeads  []int `json:"kv_heads"`
	HeadDimK int   `json:"head_dim_k"`
	HeadDimV int   `json:"head_dim_v"`
	// SlidingWindow is the window of the layers marked in SWALayers.
	SlidingWindow int    `json:"sliding_window,omitempty"`
	SWALayers     []bool `json:"swa_layers,omitempty"`
	SWAHeadDimK   int    `json:"swa_head_dim_k,omitempty"`
	SWAHeadDimV   int    `json:"swa_head_dim_v,omitempty"`
	// Recurrent marks layers that keep a recurrent state (Mamba, RWKV, hybrids) of
	// StateBytes per sequence.
	Recurrent  []bool `json:"recurrent,omitempty"`
	StateBytes int64  `json:"state_bytes_per_layer,omitempty"`
	// Tensors lists the weights: the sum of their bytes is the model buffer.
	Tensors []Tensor `json:"-"`
	// Embedding is true for embedding models (a pooling type, or bidirectional attention):
	// the worker runs them without logits, each input in one micro-batch.
	Embedding bool `json:"embedding,omitempty"`
}

// Tensor is one weight of the model.
type Tensor struct {
	Name  string
	Type  gguf.GGMLType
	Bytes int64
}

// WeightsBytes is the sum of the tensors' bytes.
func (s *Shape) WeightsBytes() int64 {
	var n int64
	for _, t := range s.Tensors {
		n += t.Bytes
	}
	return n
}

// ShapeFromGGUF reads a parsed GGUF header (local or remote).
func ShapeFromGGUF(gf *gguf.GGUFFile) (s Shape, err error) {
	if gf == nil {
		return Shape{}, errors.New("no GGUF header")
	}
	// gguf-parser-go panics on some impossible sizes; a bad file must be an error.
	defer func() {
		if r := recover(); r != nil {
			s, err = Shape{}, fmt.Errorf("malformed GGUF header: %v", r)
		}
	}()
	ar := gf.Architecture()
	if ar.Type != "" && ar.Type != "model" {
		return Shape{}, fmt.Errorf("this GGUF is a %s, not a language model", ar.Type)
	}
	md := gf.Metadata()
	s = Shape{
		Architecture:  ar.Architecture,
		FileType:      md.FileTypeDescriptor,
		Parameters:    uint64(gf.ModelParameters),
		ContextLength: int(ar.MaximumContextLength),
		Layers:        int(ar.BlockCount),
		Embd:          int(ar.EmbeddingLength),
		Vocab:         int(ar.VocabularyLength),
		ExpertFFN:     int(ar.ExpertFeedForwardLength),
		ExpertsUsed:   int(ar.ExpertUsedCount),
		Heads:         int(ar.AttentionHeadCount),
		HeadDimK:      int(ar.AttentionKeyLength),
		HeadDimV:      int(ar.AttentionValueLength),
		SlidingWindow: int(ar.AttentionSlidingWindow),
		SWAHeadDimK:   int(ar.AttentionKeyLengthSWA),
		SWAHeadDimV:   int(ar.AttentionValueLengthSWA),
		Embedding:     !ar.AttentionCausal || ar.PoolingType != 0,
	}
	if s.FileType == "" {
		s.FileType = md.FileType.String()
	}
	if s.Layers <= 0 || s.Embd <= 0 {
		return Shape{}, fmt.Errorf("the GGUF header has no layer count or embedding size for architecture %q", s.Architecture)
	}
	if s.Layers > 4096 {
		return Shape{}, fmt.Errorf("the GGUF header claims %d layers", s.Layers)
	}
	for _, f := range ar.FeedForwardLength {
		s.FFN = max(s.FFN, int(f))
	}
	if s.Heads > 0 {
		if s.HeadDimK == 0 {
			s.HeadDimK = s.Embd / s.Heads
		}
		if s.HeadDimV == 0 {
			s.HeadDimV = s.Embd / s.Heads
		}
	}
	if s.SWAHeadDimK == 0 {
		s.SWAHeadDimK = s.HeadDimK
	}
	if s.SWAHeadDimV == 0 {
		s.SWAHeadDimV = s.HeadDimV
	}
	s.KVHeads = make([]int, s.Layers)
	for i := range s.KVHeads {
		switch {
		case i < len(ar.AttentionHeadCountKVs):
			s.KVHeads[i] = int(ar.AttentionHeadCountKVs[i])
		case ar.AttentionHeadCountKV > 0:
			s.KVHeads[i] = int(ar.AttentionHeadCountKV)
		default:
			s.KVHeads[i] = s.Heads
		}
		if n := ar.AttentionKVFromStartLayerCount; n > 0 && i >= int(n) {
			s.KVHeads[i] = 0 // these layers reuse the KV of earlier ones (Gemma 3n)
		}
	}
	if ar.AttentionSlidingWindow > 0 && len(ar.AttentionSlidingWindowLayers) > 0 {
		s.SWALayers = make([]bool, s.Layers)
		copy(s.SWALayers, ar.AttentionSlidingWindowLayers)
	}
	if ar.AttentionRecurrent {
		s.Recurrent = make([]bool, s.Layers)
		for i := range s.Recurrent {
			attn, rec := layerMemory(ar, i)
			s.Recurrent[i] = rec
			if !attn {
				s.KVHeads[i] = 0
			}
		}
		s.StateBytes = 4 * stateFloats(ar) // llama.cpp keeps recurrent state in F32
	}
	for _, ti := range gf.TensorInfos {
		s.Tensors = append(s.Tensors, Tensor{Name: ti.Name, Type: ti.Type, Bytes: int64(ti.Bytes())})
	}
	return s, nil
}

// layerMemory says whether layer i holds an attention KV cache and whether it holds a
// recurrent state, following how llama.cpp splits hybrid models: per-layer KV head counts of
// zero, or a full-attention interval, mark the recurrent layers; a hybrid that declares
// neither keeps both on every layer.
func layerMemory(ar gguf.GGUFArchitecture, i int) (attn, rec bool) {
	hasZeroKV := false
	for _, n := range ar.AttentionHeadCountKVs {
		if n == 0 {
			hasZeroKV = true
		}
	}
	switch {
	case ar.AttentionHybrid && hasZeroKV:
		attn = i < len(ar.AttentionHeadCountKVs) && ar.AttentionHeadCountKVs[i] > 0
		return attn, !attn
	case ar.AttentionHybrid && ar.FullAttentionInterval > 1:
		attn = (i+1)%int(ar.FullAttentionInterval) == 0
		return attn, !attn
	case ar.AttentionHybrid:
		return true, true
	default: // purely recurrent
		return false, true
	}
}

// stateFloats is the number of values of one layer's recurrent state for one sequence: the
// convolution (or token-shift) state plus the SSM (or WKV) state, as llama.cpp sizes them.
func stateFloats(ar gguf.GGUFArchitecture) int64 {
	e := int64(ar.EmbeddingLength)
	switch {
	case ar.RWKVHeadSize > 0:
		shift := int64(ar.RWKVTokenShiftCount)
		if shift == 0 {
			shift = 2
		}
		return shift*e + e*int64(ar.RWKVHeadSize)
	case ar.ShortConvLCache > 0: // LFM2
		return e * int64(ar.ShortConvLCache-1)
	}
	conv := int64(0)
	if ar.SSMConvolutionKernel > 0 {
		conv = int64(ar.SSMConvolutionKernel-1) * (int64(ar.SSMInnerSize) + 2*int64(ar.SSMGroupCount)*int64(ar.SSMStateSize))
	}
	return conv + int64(ar.SSMStateSize)*int64(ar.SSMInnerSize)
}

// ReadShape reads the shape of a local GGUF file.
func ReadShape(path string) (Shape, error) {
	gf, err := parseLocal(path)
	if err != nil {
		return Shape{}, err
	}
	s, err := ShapeFromGGUF(gf)
	if err != nil {
		return Shape{}, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

func parseLocal(path string) (gf *gguf.GGUFFile, err error) {
	defer func() {
		if r := recover(); r != nil {
			gf, err = nil, fmt.Errorf("%s is not a valid GGUF file: %v", path, r)
		}
	}()
	gf, err = gguf.ParseGGUFFile(path, gguf.SkipLargeMetadata(), gguf.UseMMap())
	if err != nil {
		return nil, fmt.Errorf("read GGUF header of %s: %w", path, err)
	}
	return gf, nil
}

// FetchShape reads the shape of a GGUF at an http(s) URL from its header alone, fetched with
// HTTP Range requests (gguf-parser-go reads only the bytes it parses). headers are added to
// every request (an Authorization for a gated repository, say).
func FetchShape(ctx context.Context, url string, headers map[string]string) (Shape, error) {
	if !strings.HasPrefix(url, "http://") && !strings.HasPrefix(url, "https://") {
		return Shape{}, fmt.Errorf("%q is not an http(s) URL", url)
	}
	gf, err := parseRemote(ctx, url, headers)
	if err != nil {
		return Shape{}, err
	}
	s, err := ShapeFromGGUF(gf)
	if err != nil {
		return Shape{}, fmt.Errorf("%s: %w", url, err)
	}
	return s, nil
}

func parseRemote(ctx context.Context, url string, headers map[string]string) (gf *gguf.GGUFFile, err error) {
	defer func() {
		if r := recover(); r != nil {
			gf, err = nil, fmt.Errorf("%s is not a valid GGUF file: %v", url, r)
		}
	}()
	opts := []gguf.GGUFReadOption{gguf.SkipLargeMetadata(), gguf.SkipCache(), gguf.SkipDNSCache()}
	if len(headers) > 0 {
		opts = append(opts, gguf.UseHeaders(headers))
	}
	gf, err = gguf.ParseGGUFFileRemote(ctx, url, opts...)
	if err != nil {
		return nil, fmt.Errorf("read GGUF header from %s: %w", url, err)
	}
	return gf, nil
}

// Summary is what a catalog lists about a model: enough for an approximate shape before any
// header is read.
type Summary struct {
	Architecture string
	// FileBytes is the size of the GGUF (taken as the weights).
	FileBytes int64
	Layers    int
	Heads     int
	KVHeads   int
	HeadDim   int
	Embd      int
	Context   int
	// Vocab and FFN only size the compute buffer; 0 takes common values (128k, 4 × Embd).
	Vocab int
	FFN   int
	// SlidingWindow > 0 with SWAPattern n makes every layer but each n-th one a
	// sliding-window layer (Gemma 3: window 1024, pattern 6).
	SlidingWindow int
	SWAPattern    int
	// ExpertFFN × ExpertsUsed is the feed-forward width a token runs in a mixture of experts.
	ExpertFFN   int
	ExpertsUsed int
}

// ApproxShape builds a Shape from a catalog summary.
func ApproxShape(m Summary) (Shape, error) {
	if m.Layers <= 0 || m.Embd <= 0 || m.Heads <= 0 || m.FileBytes <= 0 {
		return Shape{}, errors.New("catalog shape needs layers, embedding size, heads and a file size")
	}
	if m.KVHeads <= 0 {
		m.KVHeads = m.Heads
	}
	if m.HeadDim <= 0 {
		m.HeadDim = m.Embd / m.Heads
	}
	if m.Vocab <= 0 {
		m.Vocab = 128000
	}
	if m.FFN <= 0 && m.ExpertFFN <= 0 {
		m.FFN = 4 * m.Embd
	}
	s := Shape{Architecture: m.Architecture, ContextLength: m.Context, Layers: m.Layers, Embd: m.Embd,
		Vocab: m.Vocab, FFN: m.FFN, Heads: m.Heads, HeadDimK: m.HeadDim, HeadDimV: m.HeadDim,
		SWAHeadDimK: m.HeadDim, SWAHeadDimV: m.HeadDim, ExpertFFN: m.ExpertFFN, ExpertsUsed: m.ExpertsUsed,
		Tensors: []Tensor{{Name: "weights", Type: gguf.GGMLTypeF16, Bytes: m.FileBytes}}}
	s.KVHeads = make([]int, m.Layers)
	for i := range s.KVHeads {
		s.KVHeads[i] = m.KVHeads
	}
	if m.SlidingWindow > 0 && m.SWAPattern > 1 {
		s.SlidingWindow = m.SlidingWindow
		s.SWALayers = make([]bool, m.Layers)
		for i := range s.SWALayers {
			s.SWALayers[i] = (i+1)%m.SWAPattern != 0
		}
	}
	return s, nil
}
