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
	// Experts of ExpertFFN width, ExpertsUsed of them per token, make a mixture of experts
	// (qwen3moe, gpt-oss, deepseek2); deepseek2 adds SharedExperts and DenseLead dense layers.
	Experts       int `json:"experts,omitempty"`
	ExpertsUsed   int `json:"experts_used,omitempty"`
	ExpertFFN     int `json:"expert_ffn,omitempty"`
	SharedExperts int `json:"shared_experts,omitempty"`
	DenseLead     int `json:"dense_lead,omitempty"`
	// QLoraRank and KVLoraRank are deepseek2's compressed (MLA) ranks; HeadDim is then the
	// key head (no-RoPE part + RopeDim) and VHeadDim the value head.
	QLoraRank  int `json:"q_lora_rank,omitempty"`
	KVLoraRank int `json:"kv_lora_rank,omitempty"`
	RopeDim    int `json:"rope_dim,omitempty"`
	VHeadDim   int `json:"v_head_dim,omitempty"`
	// SSMState, SSMConv and SSMDtRank shape a mamba layer (inner size 2 × Embd): its
	// recurrent state per sequence is SSMState × inner values and (SSMConv-1) × inner more.
	SSMState  int `json:"ssm_state,omitempty"`
	SSMConv   int `json:"ssm_conv,omitempty"`
	SSMDtRank int `json:"ssm_dt_rank,omitempty"`
	// SSMGroups makes mamba2 (SSD): SSMDtRank is then its head count.
	SSMGroups int `json:"ssm_groups,omitempty"`
	// ConvCache and AttnEvery shape lfm2, a hybrid: every AttnEvery-th layer attends (with a
	// KV cache), the others run a short convolution keeping ConvCache-1 columns per sequence.
	ConvCache int `json:"conv_cache,omitempty"`
	AttnEvery int `json:"attn_every,omitempty"`
	// WKVHeadSize and LoraRank shape rwkv7: its state per sequence and layer is two token
	// shifts of Embd plus Embd × WKVHeadSize; LoraRank is each of its low-rank projections.
	WKVHeadSize int `json:"wkv_head_size,omitempty"`
	LoraRank    int `json:"lora_rank,omitempty"`
}

// archs are the architectures Generate writes.
var archs = []string{"llama", "gemma2", "gemma3", "cohere2", "qwen3moe", "gpt-oss", "deepseek2", "mamba", "mamba2", "lfm2", "granitehybrid", "gemma3n", "qwen35", "qwen35moe", "rwkv7", "falcon-h1"}

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
	// cohere2 keeps a 256-token window on three of every four layers and ties its output.
	"cohere2": {Arch: "cohere2", Layers: 8, Embd: 512, Heads: 8, KVHeads: 2, FFN: 1536, Context: 32768, SlidingWindow: 256, TiedEmbeddings: true},
	// qwen3moe and gptoss are small mixtures of experts (16 experts, 4 per token); gpt-oss
	// also windows every other layer.
	"qwen3moe": {Arch: "qwen3moe", Layers: 8, Embd: 512, Heads: 8, KVHeads: 2, HeadDim: 64, FFN: 1024, Context: 32768, Experts: 16, ExpertsUsed: 4, ExpertFFN: 256},
	"gptoss":   {Arch: "gpt-oss", Layers: 8, Embd: 512, Heads: 8, KVHeads: 2, HeadDim: 64, FFN: 1024, Context: 32768, Experts: 16, ExpertsUsed: 4, ExpertFFN: 256, SlidingWindow: 128},
	// deepseek2 is a small MLA model shaped like DeepSeek-V2-Lite: one compressed KV row of
	// kv_lora_rank + rope_dim per token, one dense layer, then experts with a shared one.
	"deepseek2": {Arch: "deepseek2", Layers: 6, Embd: 512, Heads: 8, KVHeads: 1, HeadDim: 192, VHeadDim: 128, RopeDim: 64, QLoraRank: 256, KVLoraRank: 256, FFN: 1536, Context: 32768, Experts: 16, ExpertsUsed: 4, ExpertFFN: 256, SharedExperts: 1, DenseLead: 1},
	// mamba is a small purely recurrent model: no KV cache, a fixed state per sequence.
	"mamba": {Arch: "mamba", Layers: 8, Embd: 512, Context: 1 << 20, SSMState: 16, SSMConv: 4, SSMDtRank: 32, TiedEmbeddings: true},
	// mamba2 is the SSD form: 16 heads of 64, one group, a 64-wide state.
	"mamba2": {Arch: "mamba2", Layers: 8, Embd: 512, Context: 1 << 20, SSMState: 64, SSMConv: 4, SSMDtRank: 16, SSMGroups: 1, TiedEmbeddings: true},
	// granitehybrid is Granite 4.0 H's layout: mamba2 layers with one attention layer in four.
	"granitehybrid": {Arch: "granitehybrid", Layers: 8, Embd: 512, Heads: 8, KVHeads: 2, FFN: 1536, Context: 32768, SSMState: 64, SSMConv: 4, SSMDtRank: 16, SSMGroups: 1, AttnEvery: 4, TiedEmbeddings: true},
	// qwen35 is Qwen3.5's hybrid: gated delta-net layers (4 key and 8 value heads of 64) with
	// one gated attention layer in four.
	"qwen35": {Arch: "qwen35", Layers: 8, Embd: 512, Heads: 8, KVHeads: 2, HeadDim: 64, FFN: 1536, Context: 32768, SSMState: 64, SSMConv: 4, SSMDtRank: 8, SSMGroups: 4, AttnEvery: 4},
	// qwen35moe adds Qwen3.5-MoE's experts (16, 4 per token) and a gated shared expert.
	"qwen35moe": {Arch: "qwen35moe", Layers: 8, Embd: 512, Heads: 8, KVHeads: 2, HeadDim: 64, FFN: 512, Context: 32768, SSMState: 64, SSMConv: 4, SSMDtRank: 8, SSMGroups: 4, AttnEvery: 4, Experts: 16, ExpertsUsed: 4, ExpertFFN: 256},
	// rwkv7 is purely recurrent: 8 WKV heads of 64, low-rank projections of 64.
	"rwkv7": {Arch: "rwkv7", Layers: 8, Embd: 512, FFN: 1536, Context: 1 << 20, WKVHeadSize: 64, LoraRank: 64},
	// falconh1 runs attention and mamba2 heads side by side on every layer: each keeps a KV
	// cache and a recurrent state.
	"falconh1": {Arch: "falcon-h1", Layers: 8, Embd: 512, Heads: 8, KVHeads: 2, HeadDim: 64, FFN: 1536, Context: 32768, SSMState: 64, SSMConv: 4, SSMDtRank: 16, SSMGroups: 1},
	// lfm2 is a small hybrid: two attention layers among short-convolution ones.
	"lfm2": {Arch: "lfm2", Layers: 8, Embd: 512, Heads: 8, KVHeads: 2, FFN: 1536, Context: 32768, ConvCache: 3, AttnEvery: 3, TiedEmbeddings: true},
	// gemma3n keeps llama.cpp's fixed 20 KV layers: its 22 layers' last two reuse earlier
	// caches; four of five layers are windowed, and each layer has altup, laurel and a
	// 256-wide per-layer embedding.
	"gemma3n": {Arch: "gemma3n", Layers: 22, Embd: 256, Heads: 4, KVHeads: 2, HeadDim: 64, FFN: 768, Context: 32768, SlidingWindow: 256, TiedEmbeddings: true},
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
	if s.Arch == "mamba" || s.Arch == "mamba2" {
		return s.validateMamba()
	}
	if s.Arch == "rwkv7" {
		if s.Layers <= 0 || s.Embd <= 0 || s.FFN <= 0 || s.Context <= 0 || s.WKVHeadSize <= 0 || s.LoraRank <= 0 || s.Embd%s.WKVHeadSize != 0 {
			return errors.New("synthetic model: rwkv7 needs layers, embd, ffn, context, lora_rank and a wkv_head_size dividing embd")
		}
		return nil
	}
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
	moe := slices.Contains([]string{"qwen3moe", "gpt-oss", "deepseek2", "qwen35moe"}, s.Arch)
	switch {
	case !slices.Contains(archs, s.Arch):
		return fmt.Errorf("synthetic model: arch must be one of %s, not %q", strings.Join(archs, ", "), s.Arch)
	case slices.Contains([]string{"gemma2", "gemma3", "gemma3n", "cohere2", "gpt-oss"}, s.Arch) && s.SlidingWindow <= 0:
		return fmt.Errorf("synthetic model: %s needs a sliding_window", s.Arch)
	case moe && (s.Experts <= 0 || s.ExpertsUsed <= 0 || s.ExpertsUsed > s.Experts || s.ExpertFFN <= 0):
		return fmt.Errorf("synthetic model: %s needs experts, experts_used (at most experts) and expert_ffn", s.Arch)
	case s.Arch == "deepseek2" && (s.KVLoraRank <= 0 || s.ropeDim() >= s.HeadDim || s.KVHeads != 1):
		return errors.New("synthetic model: deepseek2 needs kv_lora_rank, a rope_dim below head_dim, and kv_heads 1")
	case (s.Arch == "cohere2" || s.Arch == "lfm2") && s.HeadDim*s.Heads != s.Embd:
		return fmt.Errorf("synthetic model: %s needs head_dim × heads = embd", s.Arch)
	case s.Arch == "lfm2" && (s.ConvCache < 2 || s.AttnEvery < 1):
		return errors.New("synthetic model: lfm2 needs conv_cache of at least 2 and attn_every")
	case s.Arch == "falcon-h1" && (s.SSMState <= 0 || s.SSMConv <= 0 || s.SSMDtRank <= 0 || s.SSMGroups <= 0 || (2*s.Embd)%s.SSMGroups != 0):
		return errors.New("synthetic model: falcon-h1 needs the mamba2 sizes (ssm_state, ssm_conv, ssm_dt_rank, ssm_groups dividing 2 × embd)")
	case (s.Arch == "granitehybrid" || s.deltaNet()) && (s.AttnEvery < 1 || s.SSMState <= 0 || s.SSMConv <= 0 || s.SSMDtRank <= 0 || s.SSMGroups <= 0):
		return fmt.Errorf("synthetic model: %s needs attn_every and the recurrent sizes (ssm_state, ssm_conv, ssm_dt_rank, ssm_groups)", s.Arch)
	}
	if s.RopeBase < 0 || s.RopeScale < 0 || s.NormEps < 0 || s.Std < 0 {
		return errors.New("synthetic model: rope_base, rope_scale, norm_eps and std must not be negative")
	}
	return nil
}

func (s Spec) validateMamba() error {
	for _, f := range []struct {
		name string
		v    int
	}{{"layers", s.Layers}, {"embd", s.Embd}, {"context", s.Context}, {"ssm_state", s.SSMState},
		{"ssm_conv", s.SSMConv}, {"ssm_dt_rank", s.SSMDtRank}} {
		if f.v <= 0 || f.v > maxDim {
			return fmt.Errorf("synthetic model: %s must be between 1 and %d, not %d", f.name, maxDim, f.v)
		}
	}
	if s.Heads != 0 || s.Experts != 0 || s.SlidingWindow != 0 {
		return errors.New("synthetic model: mamba has no attention heads, experts or sliding window")
	}
	if s.Arch == "mamba2" && (s.SSMGroups <= 0 || (2*s.Embd)%s.SSMGroups != 0) {
		return errors.New("synthetic model: mamba2 needs ssm_groups dividing its inner size (2 × embd)")
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

// vHead and ropeDim default to the head size (kept out of withDefaults so that older
// shapes keep their cache keys).
func (s Spec) vHead() int {
	if s.VHeadDim > 0 {
		return s.VHeadDim
	}
	return s.HeadDim
}

func (s Spec) ropeDim() int {
	if s.RopeDim > 0 {
		return s.RopeDim
	}
	return s.HeadDim
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

// tensors lists the weights of the architecture in llama.cpp's names.
func (s Spec) tensors(nVocab int) []tensorSpec {
	e, v := uint64(s.Embd), uint64(nVocab)
	ts := []tensorSpec{{name: "token_embd.weight", dims: []uint64{e, v}}}
	for i := range s.Layers {
		p := fmt.Sprintf("blk.%d.", i)
		ts = append(ts, tensorSpec{name: p + "attn_norm.weight", dims: []uint64{e}, norm: true})
		switch {
		case s.Arch == "mamba":
			ts = append(ts, s.ssmTensors(p)...)
			continue
		case s.Arch == "rwkv7":
			ts = append(ts, s.rwkv7Tensors(p)...)
			continue
		case s.Arch == "mamba2":
			ts = append(ts, s.ssdTensors(p)...)
			continue
		case s.Arch == "granitehybrid" && !s.attends(i):
			ts = append(ts, s.ssdTensors(p)...)
		case s.deltaNet() && !s.attends(i):
			ts = append(ts, s.deltaNetTensors(p)...)
		case s.Arch == "lfm2" && !s.attends(i):
			ts = append(ts,
				tensorSpec{name: p + "shortconv.conv.weight", dims: []uint64{uint64(s.ConvCache), e}, norm: true},
				tensorSpec{name: p + "shortconv.in_proj.weight", dims: []uint64{e, 3 * e}},
				tensorSpec{name: p + "shortconv.out_proj.weight", dims: []uint64{e, e}})
		case s.Arch == "falcon-h1": // both, and a norm named without .weight
			ts = append(ts, s.ssdTensors(p)...)
			ts = append(ts, s.attnTensors(p)...)
			ts = append(ts, tensorSpec{name: p + "ffn_norm", dims: []uint64{e}, norm: true})
			ts = append(ts, s.ffnTensors(p, i)...)
			continue
		default:
			ts = append(ts, s.attnTensors(p)...)
		}
		if s.deltaNet() { // its post-attention norm is the FFN's
			ts = append(ts, tensorSpec{name: p + "post_attention_norm.weight", dims: []uint64{e}, norm: true})
		} else if s.Arch != "cohere2" && s.Arch != "gpt-oss" { // cohere2 runs attention and FFN off one norm; gpt-oss names it post_attention_norm
			ts = append(ts, tensorSpec{name: p + "ffn_norm.weight", dims: []uint64{e}, norm: true})
		}
		ts = append(ts, s.ffnTensors(p, i)...)
		switch s.Arch {
		case "gemma2", "gemma3", "gemma3n":
			ts = append(ts,
				tensorSpec{name: p + "post_attention_norm.weight", dims: []uint64{e}, norm: true},
				tensorSpec{name: p + "post_ffw_norm.weight", dims: []uint64{e}, norm: true})
			if s.Arch == "gemma3n" {
				ts = append(ts, s.altupTensors(p)...)
			}
		case "gpt-oss":
			ts = append(ts, tensorSpec{name: p + "post_attention_norm.weight", dims: []uint64{e}, norm: true})
		}
	}
	switch s.Arch {
	case "lfm2":
		ts = append(ts, tensorSpec{name: "token_embd_norm.weight", dims: []uint64{e}, norm: true}) // llama.cpp's name for its output norm
	case "rwkv7": // LayerNorms with biases around the stack
		ts = append(ts,
			tensorSpec{name: "token_embd_norm.weight", dims: []uint64{e}, norm: true},
			tensorSpec{name: "token_embd_norm.bias", dims: []uint64{e}, norm: true},
			tensorSpec{name: "output_norm.weight", dims: []uint64{e}, norm: true},
			tensorSpec{name: "output_norm.bias", dims: []uint64{e}, norm: true})
	default:
		ts = append(ts, tensorSpec{name: "output_norm.weight", dims: []uint64{e}, norm: true})
	}
	if s.Arch == "gemma3n" {
		pl := uint64(gemma3nAltupEmbd * s.Layers)
		ts = append(ts,
			tensorSpec{name: "altup_proj.weight", dims: []uint64{e, e, gemma3nAltup - 1}},
			tensorSpec{name: "altup_unembd_proj.weight", dims: []uint64{e, e, gemma3nAltup - 1}},
			tensorSpec{name: "per_layer_token_embd.weight", dims: []uint64{pl, v}},
			tensorSpec{name: "per_layer_model_proj.weight", dims: []uint64{e, pl}},
			tensorSpec{name: "per_layer_proj_norm.weight", dims: []uint64{gemma3nAltupEmbd}, norm: true})
	}
	if !s.TiedEmbeddings {
		ts = append(ts, tensorSpec{name: "output.weight", dims: []uint64{e, v}})
	}
	return ts
}

// attnTensors is one layer's attention: Q, K, V and output projections, or deepseek2's
// compressed (MLA) projections.
func (s Spec) attnTensors(p string) []tensorSpec {
	e := uint64(s.Embd)
	q := uint64(s.Heads * s.HeadDim)
	kv := uint64(s.KVHeads * s.HeadDim)
	hd, h := uint64(s.HeadDim), uint64(s.Heads)
	if s.Arch == "deepseek2" {
		r, kvr, vd := uint64(s.QLoraRank), uint64(s.KVLoraRank), uint64(s.vHead())
		nope := hd - uint64(s.ropeDim())
		return []tensorSpec{
			{name: p + "attn_q_a_norm.weight", dims: []uint64{r}, norm: true},
			{name: p + "attn_kv_a_norm.weight", dims: []uint64{kvr}, norm: true},
			{name: p + "attn_q_a.weight", dims: []uint64{e, r}},
			{name: p + "attn_q_b.weight", dims: []uint64{r, h * hd}},
			{name: p + "attn_kv_a_mqa.weight", dims: []uint64{e, kvr + uint64(s.ropeDim())}},
			{name: p + "attn_k_b.weight", dims: []uint64{nope, kvr, h}},
			{name: p + "attn_v_b.weight", dims: []uint64{kvr, vd, h}},
			{name: p + "attn_output.weight", dims: []uint64{h * vd, e}},
		}
	}
	qOut := q
	if s.deltaNet() {
		qOut = 2 * q // the query projection carries its output gate
	}
	ts := []tensorSpec{
		{name: p + "attn_q.weight", dims: []uint64{e, qOut}},
		{name: p + "attn_k.weight", dims: []uint64{e, kv}},
		{name: p + "attn_v.weight", dims: []uint64{e, kv}},
		{name: p + "attn_output.weight", dims: []uint64{q, e}},
	}
	switch s.Arch {
	case "gemma3", "gemma3n", "qwen3moe", "lfm2", "qwen35", "qwen35moe":
		ts = append(ts,
			tensorSpec{name: p + "attn_q_norm.weight", dims: []uint64{hd}, norm: true},
			tensorSpec{name: p + "attn_k_norm.weight", dims: []uint64{hd}, norm: true})
	case "gpt-oss":
		ts = append(ts,
			tensorSpec{name: p + "attn_sinks.weight", dims: []uint64{h}, norm: true},
			tensorSpec{name: p + "attn_output.bias", dims: []uint64{e}, norm: true})
	}
	return ts
}

// llama.cpp's fixed gemma3n sizes (its hparams defaults): altup inputs, laurel rank and the
// per-layer embedding width.
const (
	gemma3nAltup     = 4
	gemma3nLaurel    = 64
	gemma3nAltupEmbd = 256
)

// altupTensors is a gemma3n layer's per-layer input, altup and laurel weights (the small
// coefficient matrices are written as F32 ones).
func (s Spec) altupTensors(p string) []tensorSpec {
	e, n := uint64(s.Embd), uint64(gemma3nAltup)
	return []tensorSpec{
		{name: p + "inp_gate.weight", dims: []uint64{e, gemma3nAltupEmbd}},
		{name: p + "proj.weight", dims: []uint64{gemma3nAltupEmbd, e}},
		{name: p + "post_norm.weight", dims: []uint64{e}, norm: true},
		{name: p + "altup_correct_coef.weight", dims: []uint64{n, n}, norm: true},
		{name: p + "altup_correct_scale.weight", dims: []uint64{e}, norm: true},
		{name: p + "altup_predict_coef.weight", dims: []uint64{n, n * n}, norm: true},
		{name: p + "altup_router.weight", dims: []uint64{e, n}},
		{name: p + "altup_router_norm.weight", dims: []uint64{e}, norm: true},
		{name: p + "laurel_l.weight", dims: []uint64{e, gemma3nLaurel}},
		{name: p + "laurel_r.weight", dims: []uint64{gemma3nLaurel, e}},
		{name: p + "laurel_post_norm.weight", dims: []uint64{e}, norm: true},
	}
}

// attends reports whether layer il of a hybrid has attention (and a KV cache).
func (s Spec) attends(il int) bool {
	return s.AttnEvery <= 1 || il%s.AttnEvery == s.AttnEvery-1
}

// ssmTensors is one mamba layer: input and output projections, the causal convolution and
// the selective scan's parameters (those kept in F32 are written as ones).
func (s Spec) ssmTensors(p string) []tensorSpec {
	e := uint64(s.Embd)
	in, st, dt := 2*e, uint64(s.SSMState), uint64(s.SSMDtRank)
	return []tensorSpec{
		{name: p + "ssm_in.weight", dims: []uint64{e, 2 * in}},
		{name: p + "ssm_conv1d.weight", dims: []uint64{uint64(s.SSMConv), in}, norm: true},
		{name: p + "ssm_conv1d.bias", dims: []uint64{in}, norm: true},
		{name: p + "ssm_x.weight", dims: []uint64{in, dt + 2*st}},
		{name: p + "ssm_dt.weight", dims: []uint64{dt, in}},
		{name: p + "ssm_dt.bias", dims: []uint64{in}, norm: true},
		{name: p + "ssm_a", dims: []uint64{st, in}, norm: true},
		{name: p + "ssm_d", dims: []uint64{in}, norm: true},
		{name: p + "ssm_out.weight", dims: []uint64{in, e}},
	}
}

// ssdTensors is one mamba2 layer: one input projection for x, B, C and dt, the
// convolution over x, B and C, per-head A, D and dt bias, a grouped norm, the output.
func (s Spec) ssdTensors(p string) []tensorSpec {
	e := uint64(s.Embd)
	in, st, h, g := 2*e, uint64(s.SSMState), uint64(s.SSMDtRank), uint64(s.SSMGroups)
	conv := in + 2*g*st
	return []tensorSpec{
		{name: p + "ssm_in.weight", dims: []uint64{e, in + conv + h}},
		{name: p + "ssm_conv1d.weight", dims: []uint64{uint64(s.SSMConv), conv}, norm: true},
		{name: p + "ssm_conv1d.bias", dims: []uint64{conv}, norm: true},
		{name: p + "ssm_dt.bias", dims: []uint64{h}, norm: true},
		{name: p + "ssm_a", dims: []uint64{1, h}, norm: true},
		{name: p + "ssm_d", dims: []uint64{1, h}, norm: true},
		{name: p + "ssm_norm.weight", dims: []uint64{in / g, g}, norm: true},
		{name: p + "ssm_out.weight", dims: []uint64{in, e}},
	}
}

// deltaNet reports the Qwen3.5 family (gated delta-net layers).
func (s Spec) deltaNet() bool { return s.Arch == "qwen35" || s.Arch == "qwen35moe" }

// deltaNetTensors is one qwen35 gated delta-net layer: fused QKV and gate projections, the
// convolution over Q, K and V, per-head decay and step, beta and alpha, a norm, the output.
func (s Spec) deltaNetTensors(p string) []tensorSpec {
	e, d := uint64(s.Embd), uint64(s.SSMState)
	key, value, vh := d*uint64(s.SSMGroups), d*uint64(s.SSMDtRank), uint64(s.SSMDtRank)
	conv := 2*key + value
	return []tensorSpec{
		{name: p + "attn_qkv.weight", dims: []uint64{e, conv}},
		{name: p + "attn_gate.weight", dims: []uint64{e, value}},
		{name: p + "ssm_conv1d.weight", dims: []uint64{uint64(s.SSMConv), conv}, norm: true},
		{name: p + "ssm_dt.bias", dims: []uint64{vh}, norm: true},
		{name: p + "ssm_a", dims: []uint64{vh}, norm: true},
		{name: p + "ssm_beta.weight", dims: []uint64{e, vh}},
		{name: p + "ssm_alpha.weight", dims: []uint64{e, vh}},
		{name: p + "ssm_norm.weight", dims: []uint64{d}, norm: true},
		{name: p + "ssm_out.weight", dims: []uint64{value, e}},
	}
}

// rwkv7Tensors is one rwkv7 layer: time mixing (decay, in-context learning rate, value
// residual and gate low-rank pairs, the fused token-shift lerps, key, value, receptance,
// a group norm, the output) and channel mixing. Vectors and lerps are written as F32 ones.
func (s Spec) rwkv7Tensors(p string) []tensorSpec {
	e, r, f := uint64(s.Embd), uint64(s.LoraRank), uint64(s.FFN)
	ts := []tensorSpec{
		{name: p + "attn_norm.bias", dims: []uint64{e}, norm: true},
		{name: p + "attn_norm_2.weight", dims: []uint64{e}, norm: true},
		{name: p + "attn_norm_2.bias", dims: []uint64{e}, norm: true},
	}
	for _, x := range []string{"w", "a", "v"} {
		ts = append(ts,
			tensorSpec{name: p + "time_mix_" + x + "0.weight", dims: []uint64{e}, norm: true},
			tensorSpec{name: p + "time_mix_" + x + "1.weight", dims: []uint64{e, r}},
			tensorSpec{name: p + "time_mix_" + x + "2.weight", dims: []uint64{r, e}})
	}
	return append(ts,
		tensorSpec{name: p + "time_mix_g1.weight", dims: []uint64{e, r}},
		tensorSpec{name: p + "time_mix_g2.weight", dims: []uint64{r, e}},
		tensorSpec{name: p + "time_mix_lerp_fused.weight", dims: []uint64{e, 1, 1, 6}, norm: true},
		tensorSpec{name: p + "time_mix_k_k.weight", dims: []uint64{e}, norm: true},
		tensorSpec{name: p + "time_mix_k_a.weight", dims: []uint64{e}, norm: true},
		tensorSpec{name: p + "time_mix_r_k.weight", dims: []uint64{e}, norm: true},
		tensorSpec{name: p + "time_mix_key.weight", dims: []uint64{e, e}},
		tensorSpec{name: p + "time_mix_value.weight", dims: []uint64{e, e}},
		tensorSpec{name: p + "time_mix_receptance.weight", dims: []uint64{e, e}},
		tensorSpec{name: p + "time_mix_ln.weight", dims: []uint64{e}, norm: true},
		tensorSpec{name: p + "time_mix_ln.bias", dims: []uint64{e}, norm: true},
		tensorSpec{name: p + "time_mix_output.weight", dims: []uint64{e, e}},
		tensorSpec{name: p + "channel_mix_lerp_k.weight", dims: []uint64{e, 1, 1}, norm: true},
		tensorSpec{name: p + "channel_mix_key.weight", dims: []uint64{e, f}},
		tensorSpec{name: p + "channel_mix_value.weight", dims: []uint64{f, e}})
}

// ffnTensors is layer il's feed-forward: dense, or a router and stacked experts (with
// gpt-oss's biases, deepseek2's shared expert).
func (s Spec) ffnTensors(p string, il int) []tensorSpec {
	e, f := uint64(s.Embd), uint64(s.FFN)
	if s.Experts == 0 || il < s.DenseLead {
		return []tensorSpec{
			{name: p + "ffn_gate.weight", dims: []uint64{e, f}},
			{name: p + "ffn_up.weight", dims: []uint64{e, f}},
			{name: p + "ffn_down.weight", dims: []uint64{f, e}},
		}
	}
	n, x := uint64(s.Experts), uint64(s.ExpertFFN)
	ts := []tensorSpec{
		{name: p + "ffn_gate_inp.weight", dims: []uint64{e, n}},
		{name: p + "ffn_gate_exps.weight", dims: []uint64{e, x, n}},
		{name: p + "ffn_up_exps.weight", dims: []uint64{e, x, n}},
		{name: p + "ffn_down_exps.weight", dims: []uint64{x, e, n}},
	}
	switch s.Arch {
	case "gpt-oss":
		ts = append(ts,
			tensorSpec{name: p + "ffn_gate_inp.bias", dims: []uint64{n}, norm: true},
			tensorSpec{name: p + "ffn_gate_exps.bias", dims: []uint64{x, n}, norm: true},
			tensorSpec{name: p + "ffn_up_exps.bias", dims: []uint64{x, n}, norm: true},
			tensorSpec{name: p + "ffn_down_exps.bias", dims: []uint64{e, n}, norm: true})
	case "qwen35moe": // a shared expert of the dense width, behind its own gate
		ts = append(ts,
			tensorSpec{name: p + "ffn_gate_inp_shexp.weight", dims: []uint64{e}, norm: true},
			tensorSpec{name: p + "ffn_gate_shexp.weight", dims: []uint64{e, f}},
			tensorSpec{name: p + "ffn_up_shexp.weight", dims: []uint64{e, f}},
			tensorSpec{name: p + "ffn_down_shexp.weight", dims: []uint64{f, e}})
	case "deepseek2":
		sh := x * uint64(s.SharedExperts)
		ts = append(ts,
			tensorSpec{name: p + "ffn_gate_shexp.weight", dims: []uint64{e, sh}},
			tensorSpec{name: p + "ffn_up_shexp.weight", dims: []uint64{e, sh}},
			tensorSpec{name: p + "ffn_down_shexp.weight", dims: []uint64{sh, e}})
	}
	return ts
}
