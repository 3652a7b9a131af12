package worker

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/sharedtest"
)

// longAnswer asks for n tokens that never end early (EOS banned), and returns the result or
// the error line.
func longAnswer(w *Worker, prompt string, n int) (*engine.CompletionResult, *engine.Error) {
	body := fmt.Sprintf(`{"prompt":%q,"max_tokens":%d,"no_draft":true,"sampling":{"temperature":0,"seed":1,"logit_bias":{"2":-100}}}`, prompt, n)
	rec := httptest.NewRecorder()
	w.handleCompletion(rec, httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/completion?"+engine.QueryNoEvents, strings.NewReader(body)))
	fr := engine.NewFrameReader(rec.Body)
	for {
		var line engine.StreamLine
		if err := fr.Next(&line); err != nil {
			return nil, &engine.Error{Kind: engine.KindWorker, Message: err.Error()}
		}
		if line.Error != nil {
			return nil, line.Error
		}
		if line.Done != nil {
			return line.Done, nil
		}
	}
}

// startShared loads stories260K with two slots sharing a cache of cells cells; runLoop starts
// its decode loop.
func startShared(t *testing.T, cells int) *Worker {
	t.Helper()
	model := sharedtest.Model(t, "stories260K.gguf")
	initLlama(t)
	w, err := start(Config{Model: model, SlotCtx: cells, Slots: 2, Threads: 1, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.close)
	if !w.loop.shared || w.loop.cells != cells {
		t.Fatalf("want two slots sharing a cache of %d cells, got shared=%v cells=%d", cells, w.loop.shared, w.loop.cells)
	}
	return w
}

// TestSharedCacheOverflowCutsOne: two answers that together outgrow the one KV cache their
// slots share. Before, the decode that found no room failed every running request ("the KV
// cache is full"); now one is ended as a length cut and the other goes on to its end.
func TestSharedCacheOverflowCutsOne(t *testing.T) {
	w := startShared(t, 256)
	type outcome struct {
		res *engine.CompletionResult
		err *engine.Error
	}
	out := make(chan outcome, 2)
	for _, p := range []string{"Once upon a time", "The little dog"} {
		go func() {
			r, e := longAnswer(w, p, 200)
			out <- outcome{r, e}
		}()
	}
	// Both wait in the queue before the loop starts, so they surely run side by side.
	for deadline := time.Now().Add(10 * time.Second); w.loop.queued.Load() < 2; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the two requests did not reach the queue")
		}
	}
	runLoop(t, w)
	full, cut := 0, 0
	for range 2 {
		o := <-out
		switch {
		case o.err != nil:
			t.Errorf("a request failed: %v", o.err)
		case o.res.FinishReason != engine.FinishLength:
			t.Errorf("finish %q, want length", o.res.FinishReason)
		case o.res.Usage.CompletionTokens == 200:
			full++
		default:
			cut++
		}
	}
	if full != 1 || cut != 1 {
		t.Errorf("%d answers reached max_tokens and %d were cut; want one of each", full, cut)
	}
	// The worker goes on serving.
	if r, e := longAnswer(w, "Once upon a time", 20); e != nil || r.Usage.CompletionTokens != 20 {
		t.Errorf("a later request: %+v %v", r, e)
	}
}

// TestSharedCacheKeepsTheEarlierAnswer: an answer well under way, then a newcomer whose prompt
// no longer fits beside it. The newcomer ends (refused as busy, or cut if it already
// answers); the earlier answer is never cut for it, whichever sequence is longer.
func TestSharedCacheKeepsTheEarlierAnswer(t *testing.T) {
	w := startShared(t, 512)
	runLoop(t, w)
	srv := httptest.NewServer(http.HandlerFunc(w.handleCompletion))
	t.Cleanup(srv.Close)

	// The first answer streams its tokens; at 300 the newcomer is sent.
	body := `{"prompt":"Once upon a time","max_tokens":500,"no_draft":true,"sampling":{"temperature":0,"seed":1,"logit_bias":{"2":-100}}}`
	resp, err := http.Post(srv.URL+"/completion", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	fr := engine.NewFrameReader(resp.Body)
	late := make(chan [2]any, 1)
	tokens := 0
	for {
		var line engine.StreamLine
		if err := fr.Next(&line); err != nil {
			t.Fatalf("first answer: %v", err)
		}
		if line.Error != nil {
			t.Fatalf("the first answer failed: %v", line.Error)
		}
		if line.Event != nil {
			tokens += 1 + line.Event.Merged
			if tokens == 300 {
				go func() {
					r, e := longAnswer(w, strings.Repeat("The little dog ran to the park. ", 30), 20)
					late <- [2]any{r, e}
				}()
			}
		}
		if line.Done != nil {
			if line.Done.Usage.CompletionTokens != 500 {
				t.Errorf("the first answer was cut at %d tokens of 500 (%s) for a later request", line.Done.Usage.CompletionTokens, line.Done.FinishReason)
			}
			break
		}
	}
	got := <-late
	t.Logf("the newcomer: %+v %v", got[0], got[1])
	if e, _ := got[1].(*engine.Error); e != nil && e.Kind != engine.KindUnavailable {
		t.Errorf("the newcomer: %v (%s), want a busy refusal or an answer", e, e.Kind)
	}
}
