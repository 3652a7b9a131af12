package worker

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/perchapp/perch/engine"
)

// TestCompletionFrames: a streamed completion comes as binary frames, one event per token
// and a final result; an unstreamed one (events=0) as the final result alone, carrying the
// whole answer.
func TestCompletionFrames(t *testing.T) {
	w := startStories(t)
	runLoop(t, w)
	body := `{"prompt":"Once upon a time","max_tokens":12,"no_draft":true,"sampling":{"temperature":0,"seed":1}}`
	for _, quiet := range []bool{false, true} {
		url := "/completion"
		if quiet {
			url += "?" + engine.QueryNoEvents
		}
		rec := httptest.NewRecorder()
		w.handleCompletion(rec, httptest.NewRequestWithContext(context.Background(), http.MethodPost, url, strings.NewReader(body)))
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != engine.StreamContentType {
			t.Fatalf("quiet=%v: %d %s", quiet, rec.Code, rec.Header().Get("Content-Type"))
		}
		events, text := 0, ""
		var done *engine.CompletionResult
		fr := engine.NewFrameReader(rec.Body)
		for done == nil {
			var line engine.StreamLine
			if err := fr.Next(&line); err != nil {
				t.Fatalf("quiet=%v: frame %d: %v", quiet, events, err)
			}
			if line.Event != nil {
				events++
				text += line.Event.Text
			}
			done = line.Done
		}
		switch {
		case quiet && (events != 0 || len(done.Tokens) != 12 || done.Text == ""):
			t.Errorf("unstreamed: %d events, final %d tokens %q; want no events and the whole answer", events, len(done.Tokens), done.Text)
		case !quiet && (events != 12 || done.Text != "" || !strings.Contains(text, "Lily")):
			t.Errorf("streamed: %d events %q, final text %q; want 12 events with the text and a final line without it", events, text, done.Text)
		}
	}
}
