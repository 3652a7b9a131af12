package ggufmeta

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	gguf "github.com/gpustack/gguf-parser-go"

	"github.com/perchapp/perch/engine/sharedtest"
	"github.com/perchapp/perch/engine/synth/ggufio"
)

// TestMetadataArrays: the tokenizer arrays are [] in the summary and whole with full, merges
// included (deepseek-coder's BPE vocabulary), and everything encodes as JSON.
func TestMetadataArrays(t *testing.T) {
	for _, tc := range []struct {
		path   []string
		tokens int
		merges bool
	}{
		{[]string{"models", "stories260K.gguf"}, 512, false},
		{[]string{"vocab", "ggml-vocab-deepseek-coder.gguf"}, 32256, true},
	} {
		path := sharedtest.Path(t, tc.path...)
		info, err := Read(path)
		if err != nil {
			t.Fatal(err)
		}
		short, tensors, err := Metadata(info, path, false)
		if err != nil {
			t.Fatal(err)
		}
		if a, ok := short["tokenizer.ggml.tokens"].([]any); !ok || len(a) != 0 || tensors != nil {
			t.Errorf("%s: summary tokens %T %v, tensors %v; want [] and none", path, short["tokenizer.ggml.tokens"], len(a), tensors)
		}
		full, tensors, err := Metadata(info, path, true)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{"tokenizer.ggml.tokens", "tokenizer.ggml.token_type"} {
			if a, _ := full[k].([]any); len(a) != tc.tokens {
				t.Errorf("%s: %s has %d items, want %d", path, k, len(a), tc.tokens)
			}
		}
		if m, _ := full["tokenizer.ggml.merges"].([]any); tc.merges != (len(m) > 0) {
			t.Errorf("%s: %d merges, want some: %v", path, len(m), tc.merges)
		}
		if len(tensors) != int(info.TensorCount) {
			t.Errorf("%s: %d tensors, want %d", path, len(tensors), info.TensorCount)
		}
		if _, err := json.Marshal(map[string]any{"model_info": full, "tensors": tensors}); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
}

// TestMetadataBounded: a header declaring an array beyond MaxArrayItems is not read in full;
// its arrays stay [] and the answer still comes.
func TestMetadataBounded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.gguf")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := ggufio.NewWriter(f)
	big := make([]any, MaxArrayItems+1)
	for i := range big {
		big[i] = uint8(0)
	}
	for _, kv := range []struct {
		k string
		v any
	}{
		{"general.architecture", "llama"},
		{"tokenizer.ggml.tokens", ggufio.Array{Type: gguf.GGUFMetadataValueTypeString, Items: []any{"a", "b", "c", "d", "e", "f"}}},
		{"x.big", ggufio.Array{Type: gguf.GGUFMetadataValueTypeUint8, Items: big}},
	} {
		if err := w.AddKV(kv.k, kv.v); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	info, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	kvs, _, err := Metadata(info, path, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"tokenizer.ggml.tokens", "x.big"} {
		if a, ok := kvs[k].([]any); !ok || len(a) != 0 {
			t.Errorf("%s = %T of %d, want []", k, kvs[k], len(a))
		}
	}
	if kvs["general.architecture"] != "llama" {
		t.Errorf("scalars lost: %v", kvs)
	}
}
