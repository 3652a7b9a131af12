package bench

import (
	"testing"

	"github.com/perchapp/perch/engine/llama"
	"github.com/perchapp/perch/engine/sharedtest"
)

func openStories(t *testing.T, o llama.ContextOptions) *rawLoop {
	t.Helper()
	path := sharedtest.Model(t, "stories260K.gguf")
	r, err := openRaw(path, o)
	if err != nil {
		sharedtest.Skipf(t, "llama.cpp runtime not available (run make engine): %v", err)
	}
	t.Cleanup(r.close)
	return r
}

// Prompts longer than the batch are prefilled in several Decodes, each sequence in turn, and
// the decode steps continue from where the whole prompt ends.
func TestRawParallelPromptsLongerThanBatch(t *testing.T) {
	r := openStories(t, llama.ContextOptions{NCtx: 512, NSeqMax: 2, NBatch: 16, NUBatch: 16, Threads: 1})
	if r.batch.Cap() >= 40 {
		t.Fatalf("batch holds %d tokens; the test needs prompts longer than it", r.batch.Cap())
	}
	prompts := [][]int32{randomTokens(r.model, 40, 1), randomTokens(r.model, 40, 2)}
	speed, err := r.parallel(prompts, 4)
	if err != nil {
		t.Fatal(err)
	}
	if speed <= 0 {
		t.Errorf("aggregate speed %v", speed)
	}
}

// A chunked prefill leaves the same logits as one Decode of the whole prompt.
func TestRawPrefillChunked(t *testing.T) {
	small := openStories(t, llama.ContextOptions{NCtx: 256, NSeqMax: 1, NBatch: 16, NUBatch: 16, TypeK: "f32", TypeV: "f32", FlashAttn: "off", Threads: 1})
	whole := openStories(t, llama.ContextOptions{NCtx: 256, NSeqMax: 1, NBatch: 64, NUBatch: 64, TypeK: "f32", TypeV: "f32", FlashAttn: "off", Threads: 1})
	prompt := randomTokens(small.model, 40, 3)
	var logits [2][]float32
	for i, r := range []*rawLoop{small, whole} {
		r.ctx.Clear()
		idx, err := r.prefill(prompt, 0)
		if err != nil {
			t.Fatal(err)
		}
		logits[i] = r.ctx.Logits(idx)
	}
	for j := range logits[1] {
		if d := logits[0][j] - logits[1][j]; d > 1e-3 || d < -1e-3 {
			t.Fatalf("logit %d: %v chunked, %v in one batch", j, logits[0][j], logits[1][j])
		}
	}
}
