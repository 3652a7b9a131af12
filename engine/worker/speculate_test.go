package worker

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/llama"
	"github.com/perchapp/perch/engine/sharedtest"
)

// syncBuffer is a log destination safe for the loop's goroutine and the test's.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// complete runs one unstreamed greedy completion through the worker's handler.
func complete(t *testing.T, w *Worker, noDraft bool) *engine.CompletionResult {
	t.Helper()
	body := `{"prompt":"Once upon a time","max_tokens":96,"sampling":{"temperature":0,"seed":1},"no_draft":` + map[bool]string{true: "true", false: "false"}[noDraft] + `}`
	rec := httptest.NewRecorder()
	w.handleCompletion(rec, httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/completion?"+engine.QueryNoEvents, strings.NewReader(body)))
	if rec.Code != http.StatusOK {
		t.Fatalf("completion: %d %s", rec.Code, rec.Body)
	}
	fr := engine.NewFrameReader(rec.Body)
	for {
		var line engine.StreamLine
		if err := fr.Next(&line); err != nil {
			t.Fatalf("completion: %v", err)
		}
		if line.Error != nil {
			t.Fatalf("completion: %v", line.Error)
		}
		if line.Done != nil {
			return line.Done
		}
	}
}

// TestSpeculationFailureFallsBack: when the cache cannot drop rejected drafts, the request
// goes on without speculation and its answer is plain decoding's, token for token; the
// failure is logged once, not per request, and later requests decode plainly.
func TestSpeculationFailureFallsBack(t *testing.T) {
	model := sharedtest.Model(t, "stories260K.gguf")
	if err := llama.Init(""); err != nil {
		sharedtest.Skipf(t, "llama.cpp runtime not available (run make engine): %v", err)
	}
	logs := &syncBuffer{}
	w, err := start(Config{Model: model, Slots: 1, Threads: 1, Log: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.close)
	if !w.loop.spec {
		t.Skip("speculation is off for this model")
	}
	var fails atomic.Int64
	w.loop.failDrop = func() bool { fails.Add(1); return true }
	runLoop(t, w)

	want := complete(t, w, true)
	for i := range 2 {
		got := complete(t, w, false)
		if got.Text != want.Text || len(got.Tokens) != len(want.Tokens) {
			t.Fatalf("request %d after a speculation failure: %q (%d tokens); plain decoding gives %q (%d)", i, got.Text, len(got.Tokens), want.Text, len(want.Tokens))
		}
		for j := range got.Tokens {
			if got.Tokens[j] != want.Tokens[j] {
				t.Fatalf("request %d: token %d is %d, plain decoding's %d", i, j, got.Tokens[j], want.Tokens[j])
			}
		}
	}
	if fails.Load() == 0 {
		t.Fatal("no draft was rejected, so the fallback was not exercised; pick a prompt whose answer repeats")
	}
	if n := strings.Count(logs.String(), "speculative decoding failed"); n != 1 {
		t.Errorf("the failure was logged %d times; want once:\n%s", n, logs.String())
	}
}
