package memplan

import (
	"os"
	"testing"

	"github.com/perchapp/perch/engine/synth"
)

// TestApproxShapeMatchesHeader checks that a catalog summary (the published configuration:
// sliding-window pattern, experts, MLA ranks) estimates what the GGUF header does, family by
// family, so a verdict before download is the one after it.
func TestApproxShapeMatchesHeader(t *testing.T) {
	sharedDir(t)
	initLlama(t)
	for _, tc := range []struct {
		preset  string
		pattern int
	}{{"gqa4", 0}, {"gemma2", 2}, {"gemma3", 6}, {"gemma3n", 5}, {"cohere2", 4}, {"gptoss", 2}, {"qwen3moe", 0}, {"deepseek2", 0},
		{"mamba", 0}, {"mamba2", 0}, {"lfm2", 0}, {"granitehybrid", 0}, {"qwen35", 0}, {"qwen35moe", 0}, {"rwkv7", 0}, {"falconh1", 0}} {
		t.Run(tc.preset, func(t *testing.T) {
			spec, err := synth.Preset(tc.preset)
			if err != nil {
				t.Fatal(err)
			}
			path := buildModel(t, tc.preset, "ggml-vocab-llama-spm.gguf", "Q8_0")
			real, err := ReadShape(path)
			if err != nil {
				t.Fatal(err)
			}
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			approx, err := ApproxShape(Summary{Architecture: spec.Arch, FileBytes: st.Size(), Layers: spec.Layers,
				Heads: spec.Heads, KVHeads: spec.KVHeads, HeadDim: spec.HeadDim, Embd: spec.Embd, Context: spec.Context,
				Vocab: real.Vocab, FFN: spec.FFN, SlidingWindow: spec.SlidingWindow, SWAPattern: tc.pattern,
				ExpertFFN: spec.ExpertFFN, ExpertsUsed: spec.ExpertsUsed, KVLoraRank: spec.KVLoraRank, RopeDim: spec.RopeDim,
				RecurrentLayers: recurrentLayers(spec), StateBytes: stateBytes(spec), SharedKVLayers: sharedKV(spec),
				ParallelRecurrent: spec.Arch == "falcon-h1"})
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range []Options{{Context: 8192, Slots: 4}, {Context: 32768, Slots: 1, KVTypeK: "q8_0", KVTypeV: "q8_0"}} {
				o.Backend = BackendMetal
				want, err := Compute(real, o)
				if err != nil {
					t.Fatal(err)
				}
				got, err := Compute(approx, o)
				if err != nil {
					t.Fatal(err)
				}
				if d := pct(got.KVBytes, want.KVBytes); d < -0.5 || d > 0.5 {
					t.Errorf("%+v: KV from the summary %d, from the header %d (%+.1f%%)", o, got.KVBytes, want.KVBytes, d)
				}
				if d := pct(got.TotalBytes, want.TotalBytes); d < -5 || d > 5 {
					t.Errorf("%+v: total from the summary %d, from the header %d (%+.1f%%)", o, got.TotalBytes, want.TotalBytes, d)
				}
			}
		})
	}
}

// recurrentLayers and stateBytes are what a catalog author writes from a recurrent model's
// configuration: how many layers keep a state, and its size per sequence (F32).
func recurrentLayers(s synth.Spec) int {
	switch s.Arch {
	case "mamba", "mamba2", "rwkv7", "falcon-h1":
		return s.Layers
	case "lfm2", "granitehybrid", "qwen35", "qwen35moe":
		return s.Layers - s.Layers/s.AttnEvery
	}
	return 0
}

// sharedKV is how many last layers of a gemma3n reuse earlier caches (llama.cpp gives the
// first 20 their own).
func sharedKV(s synth.Spec) int {
	if s.Arch == "gemma3n" {
		return max(0, s.Layers-20)
	}
	return 0
}

func stateBytes(s synth.Spec) int64 {
	switch s.Arch {
	case "mamba", "mamba2", "granitehybrid", "falcon-h1":
		inner := int64(2 * s.Embd)
		conv := inner + 2*int64(s.SSMGroups*s.SSMState) // mamba2 convolves B and C too
		return 4 * (int64(s.SSMConv-1)*conv + int64(s.SSMState)*inner)
	case "lfm2":
		return 4 * int64(s.Embd) * int64(s.ConvCache-1)
	case "rwkv7": // two token shifts and a head-size row per channel
		return 4 * (2*int64(s.Embd) + int64(s.Embd)*int64(s.WKVHeadSize))
	case "qwen35", "qwen35moe": // a head-size square per value head, and the convolution over Q, K and V
		value, key := int64(s.SSMState*s.SSMDtRank), int64(s.SSMState*s.SSMGroups)
		return 4 * (int64(s.SSMConv-1)*(2*key+value) + int64(s.SSMState)*value)
	}
	return 0
}

// TestApproxRecurrent checks that a recurrent summary keeps a fixed state per sequence
// instead of a KV cache on its recurrent layers.
func TestApproxRecurrent(t *testing.T) {
	s, err := ApproxShape(Summary{Architecture: "mamba2", FileBytes: 1 << 30, Layers: 48, Embd: 2048, Context: 1 << 20,
		RecurrentLayers: 48, StateBytes: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	for _, ctx := range []int{4096, 65536} {
		e, err := Compute(s, Options{Context: ctx, Slots: 2, Backend: BackendMetal})
		if err != nil {
			t.Fatal(err)
		}
		if e.KVBytes != 0 || e.StateBytes != 48*2*(4<<20) {
			t.Errorf("ctx %d: KV %d, state %d; want no KV and 48 layers × 2 sequences × 4 MiB", ctx, e.KVBytes, e.StateBytes)
		}
	}
	if _, err := ApproxShape(Summary{FileBytes: 1, Layers: 4, Embd: 8, Heads: 1, RecurrentLayers: 2}); err == nil {
		t.Error("recurrent layers without a state size were accepted")
	}
}
