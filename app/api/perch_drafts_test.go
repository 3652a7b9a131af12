package api

import (
	"maps"
	"strings"
	"testing"
)

// TestPerchSettingsDraftModels: draft_models entries are merged by PUT, an empty draft
// removes one, and an entry without a model name is refused with nothing changed.
func TestPerchSettingsDraftModels(t *testing.T) {
	env := newPerchEnv(t, Config{})
	steps := []struct {
		body string
		code int
		want map[string]string
	}{
		{`{"draft_models":{"qwen3:8b":"qwen3:0.6b"}}`, 200, map[string]string{"qwen3:8b": "qwen3:0.6b"}},
		{`{"draft_models":{"llama3.1:8b":"llama3.2:1b"}}`, 200, map[string]string{"qwen3:8b": "qwen3:0.6b", "llama3.1:8b": "llama3.2:1b"}},
		{`{"draft_models":{"qwen3:8b":""}}`, 200, map[string]string{"llama3.1:8b": "llama3.2:1b"}},
		{`{"draft_models":{" ":"x"}}`, 400, map[string]string{"llama3.1:8b": "llama3.2:1b"}},
	}
	for _, s := range steps {
		code, body := env.do(t, "PUT", "/perch/settings", s.body)
		if code != s.code {
			t.Fatalf("PUT %s: %d %s", s.body, code, body)
		}
		if code == 400 && !strings.Contains(body, "draft_models") {
			t.Errorf("PUT %s: the error does not name draft_models: %s", s.body, body)
		}
		if got := env.settings.Get().DraftModels; !maps.Equal(got, s.want) {
			t.Errorf("after PUT %s: draft_models %v, want %v", s.body, got, s.want)
		}
	}
}
