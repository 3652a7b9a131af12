package api_test

import (
	"strings"
	"testing"

	"github.com/perchapp/perch/app/api"
)

// TestDraftModelOption: Ollama's options.draft_model reaches the engine's load options; a
// value that is not a name is a 400 naming the field.
func TestDraftModelOption(t *testing.T) {
	ts := newServer(t, api.Config{})
	status, _, out := ts.do(t, "POST", "/api/generate", `{"model":"tiny","prompt":"Once","stream":false,"options":{"draft_model":"tiny-draft","num_predict":2}}`)
	if status != 200 {
		t.Fatalf("generate: %d %s", status, out)
	}
	if load, _ := ts.eng.LastLoad(); load.DraftModel != "tiny-draft" {
		t.Fatalf("load options %+v; want draft_model tiny-draft", load)
	}
	// LM Studio's extension on the OpenAI routes.
	for _, c := range []struct{ path, body string }{
		{"/v1/chat/completions", `{"model":"tiny","messages":[{"role":"user","content":"hi"}],"max_tokens":2,"draft_model":"chat-draft"}`},
		{"/v1/completions", `{"model":"tiny","prompt":"Once","max_tokens":2,"draft_model":"completion-draft"}`},
	} {
		if status, _, out := ts.do(t, "POST", c.path, c.body); status != 200 {
			t.Fatalf("%s: %d %s", c.path, status, out)
		}
		if load, _ := ts.eng.LastLoad(); !strings.Contains(c.body, `"draft_model":"`+load.DraftModel+`"`) || load.DraftModel == "" {
			t.Errorf("%s: load options %+v; want its draft_model", c.path, load)
		}
	}
	status, _, out = ts.do(t, "POST", "/api/generate", `{"model":"tiny","prompt":"Once","stream":false,"options":{"draft_model":7}}`)
	if status != 400 || !strings.Contains(out, "options.draft_model must be a model name") {
		t.Fatalf("bad draft_model: %d %s", status, out)
	}
}
