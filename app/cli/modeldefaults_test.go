package cli

import (
	"testing"
	"time"

	"github.com/perchapp/perch/app/config"
)

// TestModelDefaultsLookup: settings.model_defaults reach the engine by the model's name, a
// name without a tag finds the entry saved with :latest, and a model without one gets none.
func TestModelDefaultsLookup(t *testing.T) {
	s := config.Defaults()
	s.ModelDefaults = map[string]config.ModelDefault{
		"qwen3:8b":       {ContextLength: 8192, KeepAlive: "30m"},
		"stories:latest": {KeepAlive: "-1"},
	}
	cases := []struct {
		model string
		ctx   int
		keep  time.Duration // 0: none
	}{
		{"qwen3:8b", 8192, 30 * time.Minute},
		{"stories", 0, -1},
		{"stories:latest", 0, -1},
		{"qwen3:4b", 0, 0},
	}
	for _, c := range cases {
		d := modelDefaults(s, c.model)
		var keep time.Duration
		if d.KeepAlive != nil {
			keep = *d.KeepAlive
		}
		if d.ContextLength != c.ctx || keep != c.keep {
			t.Errorf("%s: context %d keep-alive %s, want %d and %s", c.model, d.ContextLength, keep, c.ctx, c.keep)
		}
	}
}
