package config

import (
	"strings"
	"testing"
)

// TestModelDefaultsValidate: a model's own num_ctx and keep_alive are checked as the
// server-wide ones are, and a bad one is named with its model.
func TestModelDefaultsValidate(t *testing.T) {
	cases := []struct {
		name string
		m    map[string]ModelDefault
		says string // "" for valid
	}{
		{"none", nil, ""},
		{"context and keep-alive", map[string]ModelDefault{"qwen3:8b": {ContextLength: 8192, KeepAlive: "30m"}}, ""},
		{"keep forever", map[string]ModelDefault{"qwen3:8b": {KeepAlive: "-1"}}, ""},
		{"seconds", map[string]ModelDefault{"qwen3:8b": {KeepAlive: "600"}}, ""},
		{"smallest context", map[string]ModelDefault{"qwen3:8b": {ContextLength: MinContext}}, ""},
		{"context too small", map[string]ModelDefault{"qwen3:8b": {ContextLength: 100}}, `"qwen3:8b": num_ctx must be 0`},
		{"negative context", map[string]ModelDefault{"qwen3:8b": {ContextLength: -1}}, "num_ctx must be 0"},
		{"bad keep-alive", map[string]ModelDefault{"qwen3:8b": {KeepAlive: "soon"}}, `"qwen3:8b": keep_alive "soon" is not a duration`},
		{"no model name", map[string]ModelDefault{" ": {ContextLength: 8192}}, "has no model name"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := Defaults()
			s.ModelDefaults = c.m
			err := s.Validate()
			switch {
			case c.says == "" && err != nil:
				t.Fatalf("got %v, want valid", err)
			case c.says != "" && (err == nil || !strings.Contains(err.Error(), c.says) || !strings.Contains(err.Error(), "model_defaults")):
				t.Fatalf("got %v, want an error naming model_defaults and saying %q", err, c.says)
			}
		})
	}
}
