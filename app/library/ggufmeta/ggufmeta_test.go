package ggufmeta

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/perchapp/perch/engine/sharedtest"
	"github.com/perchapp/perch/engine/synth/synthtest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestReadSharedModels(t *testing.T) {
	for _, name := range []string{"stories260K.gguf", "llama-2-tiny-random.gguf"} {
		t.Run(name, func(t *testing.T) {
			info, err := Read(sharedtest.Path(t, "models", name))
			if err != nil {
				t.Fatal(err)
			}
			if !info.Runnable() {
				t.Errorf("Runnable() = false for a real model")
			}
			got, err := json.MarshalIndent(info, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", strings.TrimSuffix(name, ".gguf")+".json")
			if *update {
				if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if strings.TrimSpace(string(want)) != string(got) {
				t.Errorf("info differs from %s:\n%s", golden, got)
			}
		})
	}
}

func TestVocabOnlyIsNotRunnable(t *testing.T) {
	info, err := Read(sharedtest.Path(t, "vocab", "ggml-vocab-phi-3.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	if !info.VocabOnly() || info.Runnable() {
		t.Errorf("VocabOnly=%v Runnable=%v, want true, false", info.VocabOnly(), info.Runnable())
	}
	if !info.HasChatTemplate() {
		t.Errorf("phi-3 vocab carries a chat template; HasChatTemplate() = false")
	}
}

func TestReadRefusesNonGGUF(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, content, want string
	}{
		{"text", "hello, this is not a model at all", `starts with "hell"`},
		{"ggml", "lmgg\x01\x00\x00\x00rest", "older GGML format"},
		{"short", "GGU", "only 3 bytes"},
		{"binary", "\x00\x01\x02\x03\x04\x05\x06\x07", "starts with bytes 00 01 02 03"},
		{"truncated header", "GGUF\x03\x00\x00\x00\x05\x00", "header does not parse"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, c.name+".gguf")
			if err := os.WriteFile(p, []byte(c.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Read(p)
			if !errors.Is(err, ErrNotGGUF) {
				t.Fatalf("err = %v, want ErrNotGGUF", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %q, want it to mention %q", err, c.want)
			}
		})
	}
}

// TestReadWrongKeyTypes: gguf-parser-go panics on a key of the wrong type; Read and
// ReadRemote (which runs in a pull, inside the server) must return ErrNotGGUF instead.
func TestReadWrongKeyTypes(t *testing.T) {
	dir := t.TempDir()
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	cases := map[string][]any{
		"architecture": {"general.architecture", true},
		"context":      {"general.architecture", "llama", "llama.context_length", true},
	}
	for name, kvs := range cases {
		t.Run(name, func(t *testing.T) {
			synthtest.Header(t, filepath.Join(dir, name+".gguf"), kvs...)
			_, err := Read(filepath.Join(dir, name+".gguf"))
			if !errors.Is(err, ErrNotGGUF) || !strings.Contains(err.Error(), "malformed header") {
				t.Errorf("Read: err = %v, want ErrNotGGUF naming a malformed header", err)
			}
			_, err = ReadRemote(context.Background(), srv.URL+"/"+name+".gguf", "")
			if !errors.Is(err, ErrNotGGUF) || !strings.Contains(err.Error(), "malformed header") {
				t.Errorf("ReadRemote: err = %v, want ErrNotGGUF naming a malformed header", err)
			}
		})
	}
}

func TestEmbeddingAndFIM(t *testing.T) {
	dir := t.TempDir()
	base := []any{"general.architecture", "llama", "llama.block_count", uint32(1), "llama.embedding_length", uint32(4)}
	cases := []struct {
		name           string
		kvs            []any
		embedding, fim bool
	}{
		{"chat", nil, false, false},
		{"pooling", []any{"llama.pooling_type", uint32(1)}, true, false},
		{"not causal", []any{"llama.attention.causal", false}, true, false},
		{"fim", []any{"tokenizer.ggml.fim_pre_token_id", uint32(1), "tokenizer.ggml.fim_suf_token_id", uint32(2),
			"tokenizer.ggml.fim_mid_token_id", uint32(3)}, false, true},
		{"older fim keys", []any{"tokenizer.ggml.prefix_token_id", uint32(1), "tokenizer.ggml.suffix_token_id", uint32(2),
			"tokenizer.ggml.middle_token_id", uint32(3)}, false, true},
		{"fim without middle", []any{"tokenizer.ggml.fim_pre_token_id", uint32(1), "tokenizer.ggml.fim_suf_token_id", uint32(2)}, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "-")+".gguf")
			synthtest.Header(t, p, append(slices.Clone(base), c.kvs...)...)
			info, err := Read(p)
			if err != nil {
				t.Fatal(err)
			}
			if info.Embedding != c.embedding || info.FIM != c.fim {
				t.Errorf("Embedding=%v FIM=%v, want %v, %v", info.Embedding, info.FIM, c.embedding, c.fim)
			}
		})
	}
}
