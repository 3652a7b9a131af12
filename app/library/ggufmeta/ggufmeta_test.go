package ggufmeta

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perchapp/perch/engine/sharedtest"
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
