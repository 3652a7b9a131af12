package memplan

import (
	"testing"

	"github.com/perchapp/perch/engine/llama"
	"github.com/perchapp/perch/engine/sharedtest"
	"github.com/perchapp/perch/engine/synth/synthtest"
)

// sharedDir is ../shared beside the module root; tests that need it skip without it.
func sharedDir(t testing.TB) string { return sharedtest.Dir(t) }

func initLlama(t testing.TB) {
	t.Helper()
	if err := llama.Init(""); err != nil {
		sharedtest.Skipf(t, "llama.cpp runtime not available: %v", err)
	}
}

// buildModel generates (or reuses) a synthetic model.
func buildModel(t testing.TB, preset, vocab, quant string) string {
	return synthtest.Model(t, preset, vocab, quant)
}
