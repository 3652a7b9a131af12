package engine_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/enginetest"
	"github.com/perchapp/perch/engine/sharedtest"
	"github.com/perchapp/perch/engine/synth"
)

// synthModel builds the tiny synthetic random-weight model with the shared Llama vocabulary.
func synthModel(t *testing.T) string {
	t.Helper()
	vocab := filepath.Join(filepath.Dir(sharedtest.Model(t, "stories260K.gguf")), "..", "vocab", "ggml-vocab-llama-spm.gguf")
	if _, err := os.Stat(vocab); err != nil {
		t.Skipf("shared vocabulary not found at %s", vocab)
	}
	s, _ := synth.Preset("tiny")
	p, err := synth.Build(context.Background(), s, vocab, "F16", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSpeculationKeepsGreedyOutput: prompt-lookup drafting must not change a greedy answer,
// token for token, on a real model that repeats itself (where drafts are accepted) and on a
// random-weight model (where they mostly are not); streamed and unstreamed answers agree.
func TestSpeculationKeepsGreedyOutput(t *testing.T) {
	e := newEngine(t, engine.Config{Resolver: enginetest.Files{
		"stories": sharedtest.Model(t, "stories260K.gguf"),
		"synth":   synthModel(t),
	}, Slots: 2})
	ctx := context.Background()
	cases := []struct{ model, prompt string }{
		{"stories", "Once upon a time, there was a little girl named Lily. She loved to play"},
		{"stories", "Tom had a red ball. Tom had a red ball. Tom had a"},
		{"synth", "The quick brown fox jumps over the lazy dog. The quick brown fox"},
	}
	drafted := 0
	for _, c := range cases {
		plain := greedy(c.model, c.prompt, 200)
		plain.NoDraft, plain.NoCache = true, true
		want, err := e.Complete(ctx, plain, nil)
		if err != nil {
			t.Fatal(err)
		}
		if want.Timings.DraftTokens != 0 {
			t.Errorf("%s: no_draft request drafted %d tokens", c.model, want.Timings.DraftTokens)
		}
		for _, stream := range []bool{false, true} {
			req := greedy(c.model, c.prompt, 200)
			req.NoCache = true
			var fn func(engine.Event) error
			var streamed []int32
			if stream {
				fn = func(ev engine.Event) error {
					if ev.Token >= 0 {
						streamed = append(streamed, make([]int32, ev.Merged+1)...)
					}
					return nil
				}
			}
			got, err := e.Complete(ctx, req, fn)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got.Tokens, want.Tokens) || got.Text != want.Text || got.FinishReason != want.FinishReason {
				t.Fatalf("%s %q stream=%v: speculation changed the answer\nwith:    %v\nwithout: %v", c.model, c.prompt, stream, got.Tokens, want.Tokens)
			}
			if stream && len(streamed) != len(got.Tokens) {
				t.Errorf("%s: streamed events counted %d tokens, answer has %d", c.model, len(streamed), len(got.Tokens))
			}
			if got.Timings.DraftAccepted > got.Timings.DraftTokens {
				t.Errorf("accepted %d of %d drafts", got.Timings.DraftAccepted, got.Timings.DraftTokens)
			}
			t.Logf("%s stream=%v: %d tokens, %d drafted, %d accepted", c.model, stream, len(got.Tokens), got.Timings.DraftTokens, got.Timings.DraftAccepted)
			if c.model == "stories" {
				drafted += got.Timings.DraftAccepted
			}
		}
	}
	if drafted == 0 {
		t.Error("stories260K's repetitive stories never had a draft accepted; speculation did not run")
	}
}

// TestUnstreamedCompletionMatchesStreamed: a request with no event callback gets its whole
// answer (text, tokens, logprobs) in the final frame.
func TestUnstreamedCompletionMatchesStreamed(t *testing.T) {
	e := newEngine(t, engine.Config{})
	req := greedy("stories", "Once upon a time", 24)
	req.Logprobs, req.TopLogprobs, req.NoCache = true, 2, true
	streamed, err := e.Complete(context.Background(), req, func(engine.Event) error { return nil })
	if err != nil {
		t.Fatal(err)
	}
	quiet, err := e.Complete(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if quiet.Text != streamed.Text || !slices.Equal(quiet.Tokens, streamed.Tokens) || len(quiet.Logprobs) != len(streamed.Logprobs) || len(quiet.Logprobs) != 24 {
		t.Fatalf("unstreamed %q %v (%d logprobs), streamed %q %v (%d logprobs)", quiet.Text, quiet.Tokens, len(quiet.Logprobs), streamed.Text, streamed.Tokens, len(streamed.Logprobs))
	}
}
