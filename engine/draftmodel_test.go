package engine_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/enginetest"
	"github.com/perchapp/perch/engine/sharedtest"
	"github.com/perchapp/perch/engine/synth"
)

// TestDraftModelThroughEngine: a draft model named by the load, or by the model's default
// (Config.DraftFor), runs in the model's worker and leaves greedy answers as plain decoding
// gives them, token for token, streamed or not; "none" loads without the default; a draft of
// another vocabulary, or one that does not exist, is refused with what to do.
func TestDraftModelThroughEngine(t *testing.T) {
	stories := sharedtest.Model(t, "stories260K.gguf")
	s, _ := synth.Preset("tiny")
	same, err := synth.Build(context.Background(), s, stories, "F16", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, engine.Config{Resolver: enginetest.Files{
		"stories": stories,
		"same":    same,
		"tiny":    sharedtest.Model(t, "llama-2-tiny-random.gguf"),
	}, Slots: 2, DraftFor: func(m string) string {
		if m == "stories" {
			return "stories"
		}
		return ""
	}})
	ctx := context.Background()
	prompt := "Once upon a time, there was a little girl named Lily. She loved to play"
	plain := greedy("stories", prompt, 160)
	plain.NoDraft, plain.NoCache = true, true
	want, err := e.Complete(ctx, plain, nil)
	if err != nil {
		t.Fatal(err)
	}
	run := func(draft string, stream bool) *engine.CompletionResult {
		t.Helper()
		req := greedy("stories", prompt, 160)
		req.NoCache, req.Load.DraftModel = true, draft
		var fn func(engine.Event) error
		if stream {
			fn = func(engine.Event) error { return nil }
		}
		got, err := e.Complete(ctx, req, fn)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Tokens, want.Tokens) || got.Text != want.Text {
			t.Fatalf("draft %q stream=%v changed the answer\nwith:    %v\nwithout: %v", draft, stream, got.Tokens, want.Tokens)
		}
		t.Logf("draft %q stream=%v: %d tokens, %d drafted, %d accepted (%s)", draft, stream, len(got.Tokens), got.Timings.DraftTokens, got.Timings.DraftAccepted, got.Timings.DraftSource)
		return got
	}
	for _, stream := range []bool{false, true} {
		// The model's default draft (itself), then the same named: guesses mostly right.
		first := map[bool]string{false: "", true: "stories"}[stream]
		got := run(first, stream)
		if tm := got.Timings; tm.DraftSource != engine.DraftSourceModel || tm.DraftAccepted*2 < tm.DraftTokens || tm.DraftTokens == 0 {
			t.Errorf("default draft model: %d of %d guesses right, source %q", tm.DraftAccepted, tm.DraftTokens, tm.DraftSource)
		}
		// A random-weight draft with the same tokenizer: guesses mostly wrong.
		if tm := run("same", stream).Timings; tm.DraftSource != engine.DraftSourceModel || tm.DraftTokens == 0 {
			t.Errorf("synthetic draft model: %d guesses, source %q", tm.DraftTokens, tm.DraftSource)
		}
		// No draft model: prompt lookup guesses.
		if tm := run(engine.DraftNone, stream).Timings; tm.DraftTokens > 0 && tm.DraftSource != engine.DraftSourceNgram {
			t.Errorf("draft_model none: source %q", tm.DraftSource)
		}
	}
	// A load that names no draft model is served by the model as it is loaded.
	st, err := e.Load(ctx, "stories", engine.LoadOptions{}, nil)
	if err != nil || st.Options.DraftModel != "" {
		t.Fatalf("status after draft_model none: %+v %v", st, err)
	}
	if st, err = e.Load(ctx, "stories", engine.LoadOptions{DraftModel: "same"}, nil); err != nil || st.Options.DraftModel != "same" {
		t.Fatalf("status after loading with draft_model same: %+v %v", st, err)
	}

	cases := []struct {
		draft string
		kind  engine.Kind
		says  string
	}{
		{"nothing-here", engine.KindNotFound, `draft model "nothing-here" not found`},
		{"tiny", engine.KindInvalid, "its vocabulary has 32000 tokens, the model's 512"},
	}
	pid := st.PID
	for _, c := range cases {
		req := greedy("stories", prompt, 8)
		req.Load.DraftModel = c.draft
		_, err := e.Complete(ctx, req, nil)
		var ee *engine.Error
		if !errors.As(err, &ee) || ee.Kind != c.kind || ee.Param != "draft_model" || !strings.Contains(ee.Message, c.says) {
			t.Errorf("draft %q: got %v; want a %s draft_model error saying %q", c.draft, err, c.kind, c.says)
		}
		if c.kind == engine.KindNotFound {
			// A name that does not resolve is refused before the loaded model is touched.
			if l := e.Loaded(); len(l) != 1 || l[0].PID != pid {
				t.Errorf("after a draft model that does not exist: loaded %+v, want the worker %d kept", l, pid)
			}
		}
	}
}
