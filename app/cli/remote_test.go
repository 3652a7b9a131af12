package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/chat"
)

// TestRemoteChatReadsOllamaStream: `perch run` against a running Perch reads /api/chat's
// NDJSON (the shared Ollama wire types): the pieces, then the final metrics.
func TestRemoteChatReadsOllamaStream(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, `{"message":{"role":"assistant","thinking":"hm"},"done":false}`)
		fmt.Fprintln(w, `{"message":{"role":"assistant","content":"Hi"},"done":false}`)
		fmt.Fprintln(w, `{"message":{"role":"assistant","content":""},"done":true,"done_reason":"stop",`+
			`"prompt_eval_count":4,"prompt_eval_duration":2000000,"eval_count":2,"eval_duration":1000000000,"load_duration":5000000}`)
	}))
	defer srv.Close()
	rb := &remoteBackend{base: srv.URL}
	var pieces []engine.ChatEvent
	res, err := rb.Chat(context.Background(), engine.ChatRequest{Model: "m", Messages: []chat.Message{{Role: "user", Content: "hi"}}},
		func(ev engine.ChatEvent) error { pieces = append(pieces, ev); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if res.Message.Content != "Hi" || res.Message.Reasoning != "hm" || len(pieces) != 2 || res.FinishReason != "stop" {
		t.Errorf("result %+v, pieces %+v", res, pieces)
	}
	if res.Usage.PromptTokens != 4 || res.Usage.CompletionTokens != 2 || res.Timings.PredictPerS != 2 || res.Timings.LoadMs != 5 || res.Timings.PromptMs != 2 {
		t.Errorf("usage %+v, timings %+v", res.Usage, res.Timings)
	}
}
