package api

import (
	"slices"
	"testing"
)

// TestShowCapabilities: /api/show reports the template Perch runs (the Ollama layer's, else the
// GGUF's own) and what it really supports.
func TestShowCapabilities(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    LibraryModel
		tmpl string
		want []string
	}{
		{"no template: ChatML", LibraryModel{}, "", []string{"completion", "tools"}},
		{"gguf template without tools", LibraryModel{ChatTemplate: "{% for m in messages %}{{ m.content }}{% endfor %}"},
			"{% for m in messages %}{{ m.content }}{% endfor %}", []string{"completion"}},
		{"gguf template with tools and thinking", LibraryModel{ChatTemplate: "{% if tools %}x{% endif %}<think>", FIM: true},
			"{% if tools %}x{% endif %}<think>", []string{"completion", "tools", "insert", "thinking"}},
		{"ollama layer wins", LibraryModel{Template: "{{ .Prompt }}", ChatTemplate: "{% if tools %}{% endif %}"}, "{{ .Prompt }}", []string{"completion"}},
		{"embedding", LibraryModel{Embedding: true}, "", []string{"embedding"}},
	} {
		got := showResponseOf(tc.m)
		if got.Template != tc.tmpl || !slices.Equal(got.Capabilities, tc.want) {
			t.Errorf("%s: template %q, capabilities %v; want %q, %v", tc.name, got.Template, got.Capabilities, tc.tmpl, tc.want)
		}
	}
}
