package worker

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/llama"
	"github.com/perchapp/perch/engine/sharedtest"
	"github.com/perchapp/perch/engine/synth"
)

func initLlama(t *testing.T) {
	t.Helper()
	if err := llama.Init(""); err != nil {
		sharedtest.Skipf(t, "llama.cpp runtime not available (run make engine): %v", err)
	}
}

// synthDraft builds a random-weight synthetic model with the tokenizer of the GGUF at vocab.
func synthDraft(t *testing.T, vocab string) string {
	t.Helper()
	s, _ := synth.Preset("tiny")
	p, err := synth.Build(context.Background(), s, vocab, "F16", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDraftModelKeepsGreedyOutput: with a draft model of the same tokenizer the greedy answer
// is plain decoding's, token for token: stories260K drafting for itself (guesses mostly
// right) and a random-weight synthetic model built with stories260K's tokenizer (mostly
// wrong).
func TestDraftModelKeepsGreedyOutput(t *testing.T) {
	model := sharedtest.Model(t, "stories260K.gguf")
	initLlama(t)
	cases := []struct {
		name, draft string
		mostlyRight bool
	}{
		{"stories260K for itself", model, true},
		{"synthetic, same tokenizer", synthDraft(t, model), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w, err := start(Config{Model: model, DraftModel: c.draft, Slots: 2, Threads: 1, Log: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(w.close)
			if w.loop.drafter == nil {
				t.Fatal("the draft model was not loaded")
			}
			runLoop(t, w)
			want := complete(t, w, true)
			got := complete(t, w, false)
			if !slices.Equal(got.Tokens, want.Tokens) || got.Text != want.Text {
				t.Fatalf("the draft model changed the answer\nwith:    %v\nwithout: %v", got.Tokens, want.Tokens)
			}
			tm := got.Timings
			t.Logf("%d tokens, %d drafted, %d accepted", len(got.Tokens), tm.DraftTokens, tm.DraftAccepted)
			if tm.DraftTokens == 0 || tm.DraftSource != engine.DraftSourceModel {
				t.Fatalf("no draft-model guesses were made (drafted %d, source %q)", tm.DraftTokens, tm.DraftSource)
			}
			if c.mostlyRight && tm.DraftAccepted*2 < tm.DraftTokens {
				t.Errorf("stories260K drafting for itself had %d of %d guesses right", tm.DraftAccepted, tm.DraftTokens)
			}
		})
	}
}

// TestDraftModelOtherVocabularyRefused: a draft whose tokenizer differs is refused at load,
// saying what differs and what to do.
func TestDraftModelOtherVocabularyRefused(t *testing.T) {
	model := sharedtest.Model(t, "stories260K.gguf")
	other := sharedtest.Model(t, "llama-2-tiny-random.gguf")
	initLlama(t)
	_, err := start(Config{Model: model, DraftModel: other, Slots: 1, Threads: 1, Log: slog.New(slog.DiscardHandler)})
	var ee *engine.Error
	if !errors.As(err, &ee) || ee.Kind != engine.KindInvalid || ee.Param != "draft_model" {
		t.Fatalf("want an invalid draft_model error, got %v", err)
	}
	for _, want := range []string{"llama-2-tiny-random.gguf", "vocabulary has 32000 tokens, the model's 512", "same family"} {
		if !strings.Contains(ee.Message, want) {
			t.Errorf("message %q does not say %q", ee.Message, want)
		}
	}
}

// TestDraftModelFailureFallsBack: a draft model that fails mid-request leaves that request to
// plain decoding (the same answer), the failure is logged once, and the next request drafts
// again.
func TestDraftModelFailureFallsBack(t *testing.T) {
	model := sharedtest.Model(t, "stories260K.gguf")
	initLlama(t)
	logs := &syncBuffer{}
	w, err := start(Config{Model: model, DraftModel: model, Slots: 1, Threads: 1, Log: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.close)
	var calls, failing atomic.Int64
	failing.Store(1)
	// Fail every 30th draft decode: in each request, after it has guessed for a few steps.
	w.loop.drafter.fail = func() bool { return calls.Add(1)%30 == 0 && failing.Load() == 1 }
	runLoop(t, w)
	want := complete(t, w, true)
	for i := range 2 {
		got := complete(t, w, false)
		if !slices.Equal(got.Tokens, want.Tokens) {
			t.Fatalf("request %d after a draft failure: %v; plain decoding gives %v", i, got.Tokens, want.Tokens)
		}
		if got.Timings.DraftTokens == 0 {
			t.Errorf("request %d made no guesses before the failure", i)
		}
	}
	if n := strings.Count(logs.String(), "the draft model failed"); n != 1 {
		t.Errorf("the failure was logged %d times; want once:\n%s", n, logs.String())
	}
	failing.Store(0)
	got := complete(t, w, false)
	if !slices.Equal(got.Tokens, want.Tokens) || got.Timings.DraftAccepted == 0 {
		t.Fatalf("after the draft model recovered: %d of %d guesses right, tokens equal: %v", got.Timings.DraftAccepted, got.Timings.DraftTokens, slices.Equal(got.Tokens, want.Tokens))
	}
}

// TestDraftModelConcurrentSlots: two slots drafting at once (each its own sequence in the
// draft's context) both get plain decoding's answers.
func TestDraftModelConcurrentSlots(t *testing.T) {
	model := sharedtest.Model(t, "stories260K.gguf")
	initLlama(t)
	w, err := start(Config{Model: model, DraftModel: model, Slots: 2, Threads: 1, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.close)
	runLoop(t, w)
	want := complete(t, w, true)
	results := make(chan *engine.CompletionResult, 2)
	for range 2 {
		go func() { results <- completeQuiet(w) }()
	}
	for range 2 {
		got := <-results
		if got == nil || !slices.Equal(got.Tokens, want.Tokens) {
			t.Fatalf("a concurrent drafted answer differs from plain decoding's: %v", got)
		}
		if got.Timings.DraftAccepted == 0 {
			t.Errorf("no drafts accepted in a concurrent slot: %+v", got.Timings)
		}
	}
}

// completeQuiet is complete with speculation on, for other goroutines: nil on any failure.
func completeQuiet(w *Worker) *engine.CompletionResult {
	body := `{"prompt":"Once upon a time","max_tokens":96,"sampling":{"temperature":0,"seed":1}}`
	rec := httptest.NewRecorder()
	w.handleCompletion(rec, httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/completion?"+engine.QueryNoEvents, strings.NewReader(body)))
	fr := engine.NewFrameReader(rec.Body)
	for {
		var line engine.StreamLine
		if err := fr.Next(&line); err != nil || line.Error != nil {
			return nil
		}
		if line.Done != nil {
			return line.Done
		}
	}
}
