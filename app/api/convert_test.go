package api

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/perchapp/perch/engine"
)

var updateGolden = flag.Bool("update", false, "rewrite the conversion golden files in testdata/")

// convGolden compares v, as indented JSON, with testdata/convert_<name>.golden.
func convGolden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "convert_"+name+".golden")
	if *updateGolden {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Fatalf("%s differs from the golden file:\n%s", name, got)
	}
}

// TestModelShapesGolden: a library model in /api/show, /api/tags and /api/ps.
func TestModelShapesGolden(t *testing.T) {
	m := LibraryModel{
		Name: "llama3.2:3b", Digest: "sha256:a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72", Size: 2019393189,
		Path: "/data/perch/models/blobs/sha256-a80c", Architecture: "llama", ParameterCount: 3_212_749_888, Quantization: "Q4_K_M",
		ContextLength: 131072, EmbeddingSize: 3072, ModifiedAt: time.Date(2025, 5, 4, 17, 37, 44, 0, time.UTC),
		Template: "{{- if .Tools }}tools{{ end }}", System: "You are helpful.", License: "LLAMA 3.2 COMMUNITY LICENSE",
		Params:   map[string]any{"stop": []any{"<|eot_id|>", "<|start_header_id|>"}, "temperature": 0.6},
		Metadata: map[string]any{"llama.block_count": 28, "general.architecture": "llama"},
	}
	convGolden(t, "ollama_show", showResponseOf(m))
	convGolden(t, "ollama_tags_entry", listModelToOllama(m))
	st := engine.Status{Name: "llama3.2:3b", ExpiresAt: time.Date(2025, 6, 4, 14, 38, 31, 0, time.UTC),
		Memory: engine.MemoryUsage{WeightsBytes: 2 << 30, KVBytes: 1 << 28, ComputeBytes: 1 << 26, Device: "Metal"}, Options: engine.LoadOptions{ContextLength: 8192}}
	convGolden(t, "ollama_ps_entry", processModelOf(st, m))
}
