package e2e_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perchapp/perch/app/api"
	"github.com/perchapp/perch/app/api/storeadapter"
	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/sharedtest"
)

// TestDraftModelRealStack: the per-model default draft model (settings' draft_models, as
// perch serve passes it) and options.draft_model reach a real worker; the answer is the same
// as without, /metrics counts the draft model's guesses under source="model", and a draft of
// another vocabulary is a 400 that says what to do.
func TestDraftModelRealStack(t *testing.T) {
	if testing.Short() {
		t.Skip("starts llama.cpp workers")
	}
	models := filepath.Dir(sharedtest.Model(t, "stories260K.gguf"))
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	drafts := map[string]string{"stories260k": "stories260k"}
	eng, store := realEngine(t, engine.Config{ContextLength: 512, Log: log, DraftFor: func(m string) string { return drafts[m] }}, models)
	if _, err := eng.Load(context.Background(), "stories260k", engine.LoadOptions{}, nil); err != nil {
		sharedtest.Skipf(t, "the engine cannot load stories260K here (llama.cpp libraries missing?): %v", err)
	}
	srv := api.New(api.Config{Version: "0.1.0", Logger: log}, api.Deps{Engine: eng, Library: storeadapter.New(store)})
	base := serveOn(t, srv)
	call := func(method, path, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	generate := func(draft string) string {
		t.Helper()
		code, body := call("POST", "/api/generate", `{"model":"stories260k","prompt":"Once upon a time","raw":true,"stream":false,"options":{"temperature":0,"num_predict":120`+draft+`}}`)
		var r struct{ Response string }
		if code != 200 || json.Unmarshal([]byte(body), &r) != nil {
			t.Fatalf("generate: %d %s", code, body)
		}
		return r.Response
	}
	withDefault := generate("")
	if plain := generate(`,"draft_model":"none"`); plain != withDefault {
		t.Fatalf("the draft model changed the answer:\nwith:    %q\nwithout: %q", withDefault, plain)
	}
	if named := generate(`,"draft_model":"stories260k"`); named != withDefault {
		t.Fatalf("options.draft_model changed the answer:\nwith:    %q\nwithout: %q", named, withDefault)
	}
	_, metrics := call("GET", "/metrics", "")
	if !strings.Contains(metrics, `perch_speculative_draft_tokens_total{model="stories260k",result="accepted",source="model"}`) {
		t.Errorf("/metrics has no draft-model counts:\n%s", grepLines(metrics, "speculative"))
	}
	code, body := call("POST", "/api/generate", `{"model":"stories260k","prompt":"Once","stream":false,"options":{"draft_model":"llama-2-tiny-random"}}`)
	if code != 400 || !strings.Contains(body, "vocabulary has 32000 tokens") || !strings.Contains(body, "same family") {
		t.Errorf("a draft of another vocabulary: %d %s", code, body)
	}
}

func grepLines(s, word string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
