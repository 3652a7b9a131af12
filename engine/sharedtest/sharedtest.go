// Package sharedtest finds the shared test material (../shared beside the repository: real
// models, tokenizer vectors, chat templates, yardsticks) and skips a test clearly when it is
// not there, so a plain clone still builds and passes.
package sharedtest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/perchapp/perch/engine/llama"
	"github.com/perchapp/perch/engine/synth"
)

// EnvShared overrides where the shared material is.
const EnvShared = "PERCH_SHARED"

// Root returns the repository root (the folder with go.mod), or "" when not found.
func Root() string {
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			return ""
		}
	}
}

// Find returns the shared folder, or "" when it is missing.
func Find() string {
	if d := os.Getenv(EnvShared); d != "" {
		return d
	}
	root := Root()
	if root == "" {
		return ""
	}
	d := filepath.Join(root, "..", "shared")
	if _, err := os.Stat(filepath.Join(d, "models")); err != nil {
		return ""
	}
	return filepath.Clean(d)
}

// Dir returns the shared folder or skips the test.
func Dir(t testing.TB) string {
	t.Helper()
	d := Find()
	if d == "" {
		t.Skip("../shared (real models and test vectors) is not here; skipping")
	}
	return d
}

// Path returns a file under the shared folder, skipping the test when it is missing.
func Path(t testing.TB, rel ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{Dir(t)}, rel...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s is missing; skipping", p)
	}
	return p
}

// Model returns a model under shared/models.
func Model(t testing.TB, name string) string {
	t.Helper()
	return Path(t, "models", name)
}

// SynthCache is where generated models are kept between test runs (PERCH_SYNTH_CACHE, or a
// folder in the temporary directory). Files there are content-addressed and written
// atomically, so a stale or half-written one is never reused.
func SynthCache() string {
	if d := os.Getenv("PERCH_SYNTH_CACHE"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "perch-synth-cache")
}

// Synth returns a synthetic model of a preset shape with the tokenizer of a shared vocab file
// (e.g. "ggml-vocab-phi-3.gguf"), built on first use. Quantized types need the llama.cpp
// runtime; F16 does not.
func Synth(t testing.TB, preset, vocab, quant string) string {
	t.Helper()
	spec, err := synth.Preset(preset)
	if err != nil {
		t.Fatal(err)
	}
	if quant != "F16" && quant != "F32" {
		if err := llama.Init(""); err != nil {
			t.Skipf("llama.cpp runtime not available: %v", err)
		}
	}
	p, err := synth.Build(context.Background(), spec, Path(t, "vocab", vocab), quant, SynthCache())
	if err != nil {
		t.Fatal(err)
	}
	return p
}
