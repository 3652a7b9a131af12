package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/perchapp/perch/app/api"
)

// TestOllamaRoot: "/" says "Ollama is running" to clients, and browsers still get the UI.
func TestOllamaRoot(t *testing.T) {
	ui := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>ui</html>")) })
	ts := newServer(t, api.Config{}, func(d *api.Deps) { d.Static = ui })
	if status, _, body := ts.do(t, "GET", "/", ""); status != 200 || body != "Ollama is running" {
		t.Errorf("a client got %d %q, want 200 \"Ollama is running\"", status, body)
	}
	if status, _, body := ts.do(t, "GET", "/", "", "Accept", "text/html,application/xhtml+xml"); status != 200 || !strings.Contains(body, "<html>") {
		t.Errorf("a browser got %d %q, want the UI", status, body)
	}
}

// TestOllamaGenerateContext: /api/generate's final answer carries the context token array.
func TestOllamaGenerateContext(t *testing.T) {
	ts := newServer(t, api.Config{})
	for _, stream := range []string{"false", "true"} {
		status, _, body := ts.do(t, "POST", "/api/generate", `{"model":"tiny","prompt":"Once upon a time","stream":`+stream+`,"options":{"num_predict":4}}`)
		if status != 200 {
			t.Fatalf("status %d: %s", status, body)
		}
		lines := strings.Split(strings.TrimSpace(body), "\n")
		var last struct {
			Done    bool    `json:"done"`
			Context []int32 `json:"context"`
		}
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil || !last.Done || len(last.Context) == 0 {
			t.Errorf("stream %s: final line %s has no context array", stream, lines[len(lines)-1])
		}
	}
}

// TestOllamaShowVerbose: verbose show never answers null for a key (Perch leaves the tokenizer
// arrays out), and gives the template and capabilities.
func TestOllamaShowVerbose(t *testing.T) {
	ts := newServer(t, api.Config{})
	status, _, body := ts.do(t, "POST", "/api/show", `{"model":"tiny","verbose":true}`)
	if status != 200 {
		t.Fatalf("status %d: %s", status, body)
	}
	var show struct {
		ModelInfo    map[string]any `json:"model_info"`
		Capabilities []string       `json:"capabilities"`
	}
	if err := json.Unmarshal([]byte(body), &show); err != nil {
		t.Fatal(err)
	}
	for k, v := range show.ModelInfo {
		if v == nil {
			t.Errorf("model_info[%q] is null", k)
		}
	}
	if len(show.Capabilities) == 0 || show.Capabilities[0] != "completion" {
		t.Errorf("capabilities %v", show.Capabilities)
	}
}
