package memplan

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/perchapp/perch/engine/llama"
	"github.com/perchapp/perch/engine/synth"
)

// sharedDir is ../shared beside the module root; tests that need it skip without it.
func sharedDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		if filepath.Dir(dir) == dir {
			t.Skip("module root not found")
		}
		dir = filepath.Dir(dir)
	}
	shared := filepath.Join(dir, "..", "shared")
	if _, err := os.Stat(filepath.Join(shared, "vocab")); err != nil {
		t.Skipf("shared test data not found at %s", shared)
	}
	return shared
}

func initLlama(t testing.TB) {
	t.Helper()
	if err := llama.Init(""); err != nil {
		t.Skipf("llama.cpp runtime not available: %v", err)
	}
}

// synthCache is where generated models are kept between test runs: they are content-addressed
// and written atomically, so a stale or half-written file is never reused.
func synthCache() string {
	if d := os.Getenv("PERCH_SYNTH_CACHE"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "perch-synth-cache")
}

// buildModel generates (or reuses) a synthetic model.
func buildModel(t testing.TB, preset, vocab, quant string) string {
	t.Helper()
	s, err := synth.Preset(preset)
	if err != nil {
		t.Fatal(err)
	}
	p, err := synth.Build(context.Background(), s, filepath.Join(sharedDir(t), "vocab", vocab), quant, synthCache())
	if err != nil {
		t.Fatal(err)
	}
	return p
}
