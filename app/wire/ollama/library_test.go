package ollama

import (
	"slices"
	"testing"
	"time"

	"github.com/perchapp/perch/app/wire/perch"
	"github.com/perchapp/perch/engine"
)

// TestModelShapesGolden: a library model in /api/show, /api/tags and /api/ps.
func TestModelShapesGolden(t *testing.T) {
	m := perch.LibraryModel{
		Name: "llama3.2:3b", Digest: "sha256:a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72", Size: 2019393189,
		Path: "/data/perch/models/blobs/sha256-a80c", Architecture: "llama", ParameterCount: 3_212_749_888, Quantization: "Q4_K_M",
		ContextLength: 131072, EmbeddingSize: 3072, ModifiedAt: time.Date(2025, 5, 4, 17, 37, 44, 0, time.UTC),
		Template: "{{- if .Tools }}tools{{ end }}", System: "You are helpful.", License: "LLAMA 3.2 COMMUNITY LICENSE",
		Params:   map[string]any{"stop": []any{"<|eot_id|>", "<|start_header_id|>"}, "temperature": 0.6},
		Metadata: map[string]any{"llama.block_count": 28, "general.architecture": "llama"},
	}
	convGolden(t, "ollama_show", ShowOf(m))
	convGolden(t, "ollama_tags_entry", ListModelOf(m))
	st := engine.Status{Name: "llama3.2:3b", ExpiresAt: time.Date(2025, 6, 4, 14, 38, 31, 0, time.UTC),
		Memory: engine.MemoryUsage{WeightsBytes: 2 << 30, KVBytes: 1 << 28, ComputeBytes: 1 << 26, Device: "Metal"}, Options: engine.LoadOptions{ContextLength: 8192}}
	convGolden(t, "ollama_ps_entry", ProcessOf(st, m))
}

// TestShowCapabilities: /api/show reports the template Perch runs (the Ollama layer's, else the
// GGUF's own) and what it really supports.
func TestShowCapabilities(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    perch.LibraryModel
		tmpl string
		want []string
	}{
		{"no template: ChatML", perch.LibraryModel{}, "", []string{"completion", "tools"}},
		{"gguf template without tools", perch.LibraryModel{ChatTemplate: "{% for m in messages %}{{ m.content }}{% endfor %}"},
			"{% for m in messages %}{{ m.content }}{% endfor %}", []string{"completion"}},
		{"gguf template with tools and thinking", perch.LibraryModel{ChatTemplate: "{% if tools %}x{% endif %}<think>", FIM: true},
			"{% if tools %}x{% endif %}<think>", []string{"completion", "tools", "insert", "thinking"}},
		{"ollama layer wins", perch.LibraryModel{Template: "{{ .Prompt }}", ChatTemplate: "{% if tools %}{% endif %}"}, "{{ .Prompt }}", []string{"completion"}},
		{"embedding", perch.LibraryModel{Embedding: true}, "", []string{"embedding"}},
	} {
		got := ShowOf(tc.m)
		if got.Template != tc.tmpl || !slices.Equal(got.Capabilities, tc.want) {
			t.Errorf("%s: template %q, capabilities %v; want %q, %v", tc.name, got.Template, got.Capabilities, tc.tmpl, tc.want)
		}
	}
}

func TestPullProgressOf(t *testing.T) {
	digest := "sha256:a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72"
	tests := []struct {
		p        perch.PullProgress
		want     string
		download bool
	}{
		{perch.PullProgress{Phase: perch.PullManifest}, "pulling manifest", false},
		{perch.PullProgress{Phase: perch.PullDownload, Digest: digest, Total: 10, Completed: 4}, "pulling a80c4f17acd5", true},
		{perch.PullProgress{Phase: perch.PullVerify}, "verifying sha256 digest", false},
		{perch.PullProgress{Phase: perch.PullWrite}, "writing manifest", false},
		{perch.PullProgress{Phase: perch.PullDone}, "success", false},
		{perch.PullProgress{Phase: "unpacking"}, "unpacking", false},
		{perch.PullProgress{Status: "pulling 0123456789ab", Total: 5}, "pulling 0123456789ab", true},
		{perch.PullProgress{Phase: perch.PullVerify, Status: "verifying a split file"}, "verifying a split file", false},
	}
	for _, tt := range tests {
		got := PullProgressOf(tt.p)
		if got.Status != tt.want || got.Digest != tt.p.Digest || got.Total != tt.p.Total || got.Completed != tt.p.Completed {
			t.Errorf("PullProgressOf(%+v) = %+v, want status %q", tt.p, got, tt.want)
		}
		if IsDownload(tt.p) != tt.download {
			t.Errorf("IsDownload(%+v) = %v", tt.p, !tt.download)
		}
	}
}
