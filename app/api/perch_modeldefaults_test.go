package api

import (
	"maps"
	"strings"
	"testing"

	"github.com/perchapp/perch/app/config"
)

// TestPerchSettingsModelDefaults: model_defaults entries are merged by PUT, read back by GET,
// an entry that sets nothing removes the model's, and a bad value is refused naming the
// model, with nothing changed.
func TestPerchSettingsModelDefaults(t *testing.T) {
	env := newPerchEnv(t, Config{})
	type md = map[string]config.ModelDefault
	steps := []struct {
		body string
		code int
		says string
		want md
	}{
		{`{"model_defaults":{"qwen3:8b":{"num_ctx":8192,"keep_alive":"30m"}}}`, 200, "", md{"qwen3:8b": {ContextLength: 8192, KeepAlive: "30m"}}},
		{`{"model_defaults":{"gemma3:4b":{"keep_alive":"-1"}}}`, 200, "", md{"qwen3:8b": {ContextLength: 8192, KeepAlive: "30m"}, "gemma3:4b": {KeepAlive: "-1"}}},
		{`{"model_defaults":{"qwen3:8b":{"num_ctx":100}}}`, 400, "num_ctx must be 0", md{"qwen3:8b": {ContextLength: 8192, KeepAlive: "30m"}, "gemma3:4b": {KeepAlive: "-1"}}},
		{`{"model_defaults":{"qwen3:8b":{"keep_alive":"later"}}}`, 400, `keep_alive \"later\" is not a duration`, md{"qwen3:8b": {ContextLength: 8192, KeepAlive: "30m"}, "gemma3:4b": {KeepAlive: "-1"}}},
		{`{"model_defaults":{"qwen3:8b":{"num_ctx":4096}}}`, 200, "", md{"qwen3:8b": {ContextLength: 4096}, "gemma3:4b": {KeepAlive: "-1"}}},
		{`{"model_defaults":{"gemma3:4b":{}}}`, 200, "", md{"qwen3:8b": {ContextLength: 4096}}},
	}
	for _, s := range steps {
		code, body := env.do(t, "PUT", "/perch/settings", s.body)
		if code != s.code {
			t.Fatalf("PUT %s: %d %s", s.body, code, body)
		}
		if code == 400 && (!strings.Contains(body, "model_defaults") || !strings.Contains(body, s.says)) {
			t.Errorf("PUT %s: the error does not name model_defaults and say %q: %s", s.body, s.says, body)
		}
		if got := env.settings.Get().ModelDefaults; !maps.Equal(got, s.want) {
			t.Errorf("after PUT %s: model_defaults %v, want %v", s.body, got, s.want)
		}
	}
	if _, body := env.do(t, "GET", "/perch/settings", ""); !strings.Contains(body, `"model_defaults":{"qwen3:8b":{"num_ctx":4096}}`) {
		t.Errorf("GET /perch/settings does not show model_defaults: %s", body)
	}
}
