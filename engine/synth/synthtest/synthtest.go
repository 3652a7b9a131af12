// Package synthtest builds synthetic models for other packages' tests (cached between runs) and
// small GGUF headers for tests of what is read from them.
package synthtest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	gguf "github.com/gpustack/gguf-parser-go"
	"github.com/perchapp/perch/engine/llama"
	"github.com/perchapp/perch/engine/sharedtest"
	"github.com/perchapp/perch/engine/synth"
	"github.com/perchapp/perch/engine/synth/ggufio"
)

// Cache is where generated models are kept between test runs (PERCH_SYNTH_CACHE, or a folder
// in the temporary directory). Files there are content-addressed and written atomically, so a
// stale or half-written one is never reused.
func Cache() string {
	if d := os.Getenv("PERCH_SYNTH_CACHE"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "perch-synth-cache")
}

// Model returns a synthetic model of a preset shape with the tokenizer of a shared vocab file
// (e.g. "ggml-vocab-phi-3.gguf"), built on first use. Quantized types need the llama.cpp
// runtime; F16 and F32 do not.
func Model(t testing.TB, preset, vocab, quant string) string {
	t.Helper()
	spec, err := synth.Preset(preset)
	if err != nil {
		t.Fatal(err)
	}
	if quant != "F16" && quant != "F32" {
		if err := llama.Init(""); err != nil {
			sharedtest.Skipf(t, "llama.cpp runtime not available: %v", err)
		}
	}
	p, err := synth.Build(context.Background(), spec, sharedtest.Path(t, "vocab", vocab), quant, Cache())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Header writes a GGUF at path holding only the given metadata (key, value pairs, in order)
// and one tiny tensor: enough for tests of what is read from headers, including values of the
// wrong type.
func Header(t testing.TB, path string, kvs ...any) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := ggufio.NewWriter(f)
	for i := 0; i+1 < len(kvs); i += 2 {
		if err := w.AddKV(kvs[i].(string), kvs[i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.AddTensor("token_embd.weight", gguf.GGMLTypeF32, 4); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteTensor("token_embd.weight", bytes.NewReader(make([]byte, 16))); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
