// Package synth generates llama-architecture GGUF models of any shape with random weights and
// the tokenizer of a real vocabulary, then quantizes them through llama.cpp. Tests and
// benchmarks get realistic sizes (from a few MB to 1B+ parameters) with no download.
package synth

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Spec is the shape of a synthetic model.
type Spec struct {
	Name    string `json:"name,omitempty"`
	Layers  int    `json:"layers"`
	Embd    int    `json:"embd"`
	Heads   int    `json:"heads"`
	KVHeads int    `json:"kv_heads"`
	// HeadDim is the size of each attention head; 0 means Embd/Heads.
	HeadDim int `json:"head_dim,omitempty"`
	FFN     int `json:"ffn"`
	// Context is the training context written to the GGUF.
	Context int `json:"context"`
	// RopeBase is the RoPE frequency base (default 10000).
	RopeBase float64 `json:"rope_base,omitempty"`
	// RopeScale is a linear RoPE scaling factor; 0 or 1 means none.
	RopeScale float64 `json:"rope_scale,omitempty"`
	// NormEps is the RMS norm epsilon (default 1e-5).
	NormEps float64 `json:"norm_eps,omitempty"`
	// TiedEmbeddings leaves out output.weight, so the output reuses token_embd.
	TiedEmbeddings bool `json:"tied_embeddings,omitempty"`
	// Type is the storage type of the generated weights: F16 (default) or F32.
	Type string `json:"type,omitempty"`
	// Std is the standard deviation of the random weights (default 0.02).
	Std  float64 `json:"std,omitempty"`
	Seed uint64  `json:"seed"`
	// Arch is the llama.cpp architecture: llama (default), or gemma2 and gemma3, whose
	// sliding-window layers (every other one; five of every six) keep SlidingWindow tokens.
	Arch          string `json:"arch,omitempty"`
	SlidingWindow int    `json:"sliding_window,omitempty"`
}

var presets = map[string]Spec{
	// tiny loads and decodes in milliseconds; head size 32 allows a q8_0 KV cache.
	"tiny": {Layers: 2, Embd: 128, Heads: 4, KVHeads: 2, FFN: 256, Context: 2048},
	// mha, gqa4 and gqa8 are small shapes (20-60M parameters with a 32k vocabulary) for the
	// memory calibration; every matrix side is a multiple of 256 so K-quants apply as in
	// real models.
	"mha":  {Layers: 4, Embd: 256, Heads: 4, KVHeads: 4, FFN: 768, Context: 32768},
	"gqa4": {Layers: 8, Embd: 512, Heads: 8, KVHeads: 2, FFN: 1536, Context: 32768},
	"gqa8": {Layers: 8, Embd: 512, Heads: 16, KVHeads: 2, FFN: 1536, Context: 32768},
	// 100m is about 104M parameters with a 32k vocabulary.
	"100m": {Layers: 8, Embd: 768, Heads: 12, KVHeads: 4, FFN: 2304, Context: 4096},
	// gemma2 and gemma3 are small sliding-window shapes (window 256) for the calibration;
	// gemma2 always ties its output to the token embeddings.
	"gemma2": {Arch: "gemma2", Layers: 6, Embd: 512, Heads: 8, KVHeads: 4, HeadDim: 128, FFN: 1536, Context: 32768, SlidingWindow: 256, TiedEmbeddings: true},
	"gemma3": {Arch: "gemma3", Layers: 12, Embd: 512, Heads: 8, KVHeads: 4, HeadDim: 128, FFN: 1536, Context: 32768, SlidingWindow: 256},
	// 1b is shaped like Llama 3.2 1B (about 1.1B parameters with a 32k vocabulary).
	"1b": {Layers: 16, Embd: 2048, Heads: 32, KVHeads: 8, FFN: 8192, Context: 8192},
}

// Presets lists the preset names.
func Presets() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Preset returns a named shape with the defaults filled in.
func Preset(name string) (Spec, error) {
	s, ok := presets[strings.ToLower(name)]
	if !ok {
		return Spec{}, fmt.Errorf("unknown synthetic preset %q (have %s)", name, strings.Join(Presets(), ", "))
	}
	s.Name = "synth-" + strings.ToLower(name)
	return s.withDefaults(), nil
}

func (s Spec) withDefaults() Spec {
	if s.HeadDim == 0 && s.Heads > 0 {
		s.HeadDim = s.Embd / s.Heads
	}
	if s.RopeBase == 0 {
		s.RopeBase = 10000
	}
	if s.NormEps == 0 {
		s.NormEps = 1e-5
	}
	if s.Type == "" {
		s.Type = "F16"
	}
	s.Type = strings.ToUpper(s.Type)
	if s.Std == 0 {
		s.Std = 0.02
	}
	if s.Name == "" {
		s.Name = "synth"
	}
	if s.Arch == "" {
		s.Arch = "llama"
	}
	return s
}

// maxDim bounds every side so a typo cannot ask for a petabyte.
const maxDim = 1 << 20

// Validate reports the first thing wrong with the shape.
func (s Spec) Validate() error {
	s = s.withDefaults()
	for _, f := range []struct {
		name string
		v    int
	}{{"layers", s.Layers}, {"embd", s.Embd}, {"heads", s.Heads}, {"kv_heads", s.KVHeads},
		{"head_dim", s.HeadDim}, {"ffn", s.FFN}, {"context", s.Context}} {
		if f.v <= 0 || f.v > maxDim {
			return fmt.Errorf("synthetic model: %s must be between 1 and %d, not %d", f.name, maxDim, f.v)
		}
	}
	if s.Heads%s.KVHeads != 0 {
		return fmt.Errorf("synthetic model: heads (%d) must be a multiple of kv_heads (%d)", s.Heads, s.KVHeads)
	}
	if s.HeadDim%2 != 0 {
		return fmt.Errorf("synthetic model: head_dim must be even for RoPE, not %d", s.HeadDim)
	}
	if !slices.Contains([]string{"F16", "F32"}, s.Type) {
		return fmt.Errorf("synthetic model: type must be F16 or F32, not %q", s.Type)
	}
	switch {
	case s.Arch != "llama" && s.Arch != "gemma2" && s.Arch != "gemma3":
		return fmt.Errorf("synthetic model: arch must be llama, gemma2 or gemma3, not %q", s.Arch)
	case s.Arch != "llama" && s.SlidingWindow <= 0:
		return fmt.Errorf("synthetic model: %s needs a sliding_window", s.Arch)
	}
	if s.RopeBase < 0 || s.RopeScale < 0 || s.NormEps < 0 || s.Std < 0 {
		return errors.New("synthetic model: rope_base, rope_scale, norm_eps and std must not be negative")
	}
	return nil
}

// Params is the number of parameters for a vocabulary of nVocab tokens.
func (s Spec) Params(nVocab int) uint64 {
	var n uint64
	for _, t := range s.withDefaults().tensors(nVocab) {
		n += t.elements()
	}
	return n
}

// tensorSpec is one weight: its name, GGUF dimensions, and whether it is a norm (all ones,
// always F32 as llama.cpp expects of 1-D tensors).
type tensorSpec struct {
	name string
	dims []uint64
	norm bool
}

func (t tensorSpec) elements() uint64 {
	n := uint64(1)
	for _, d := range t.dims {
		n *= d
	}
	return n
}

// tensors lists the weights of the llama architecture in llama.cpp's names.
func (s Spec) tensors(nVocab int) []tensorSpec {
	e, v, f := uint64(s.Embd), uint64(nVocab), uint64(s.FFN)
	q := uint64(s.Heads * s.HeadDim)
	kv := uint64(s.KVHeads * s.HeadDim)
	ts := []tensorSpec{{name: "token_embd.weight", dims: []uint64{e, v}}}
	for i := range s.Layers {
		p := fmt.Sprintf("blk.%d.", i)
		ts = append(ts,
			tensorSpec{name: p + "attn_norm.weight", dims: []uint64{e}, norm: true},
			tensorSpec{name: p + "attn_q.weight", dims: []uint64{e, q}},
			tensorSpec{name: p + "attn_k.weight", dims: []uint64{e, kv}},
			tensorSpec{name: p + "attn_v.weight", dims: []uint64{e, kv}},
			tensorSpec{name: p + "attn_output.weight", dims: []uint64{q, e}},
			tensorSpec{name: p + "ffn_norm.weight", dims: []uint64{e}, norm: true},
			tensorSpec{name: p + "ffn_gate.weight", dims: []uint64{e, f}},
			tensorSpec{name: p + "ffn_up.weight", dims: []uint64{e, f}},
			tensorSpec{name: p + "ffn_down.weight", dims: []uint64{f, e}},
		)
		if s.Arch == "gemma2" || s.Arch == "gemma3" {
			ts = append(ts,
				tensorSpec{name: p + "post_attention_norm.weight", dims: []uint64{e}, norm: true},
				tensorSpec{name: p + "post_ffw_norm.weight", dims: []uint64{e}, norm: true})
		}
		if s.Arch == "gemma3" {
			hd := uint64(s.HeadDim)
			ts = append(ts,
				tensorSpec{name: p + "attn_q_norm.weight", dims: []uint64{hd}, norm: true},
				tensorSpec{name: p + "attn_k_norm.weight", dims: []uint64{hd}, norm: true})
		}
	}
	ts = append(ts, tensorSpec{name: "output_norm.weight", dims: []uint64{e}, norm: true})
	if !s.TiedEmbeddings {
		ts = append(ts, tensorSpec{name: "output.weight", dims: []uint64{e, v}})
	}
	return ts
}
