package docs

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/enginetest"
	"github.com/perchapp/perch/engine/sharedtest"
	"github.com/perchapp/perch/engine/synth/synthtest"
)

// TestMain lets this test binary act as the engine's worker.
func TestMain(m *testing.M) { enginetest.Main(m) }

// testModels are real GGUF models: "synth" is a small random-weight llama with Phi-3's 32k
// vocabulary (byte fallback, so Korean tokenizes; 128-dimensional embeddings; random weights
// still embed deterministically), "stories" is stories260K (64 dimensions).
func testModels(t testing.TB) enginetest.Files {
	t.Helper()
	return enginetest.Files{
		"synth":   synthtest.Model(t, "tiny", "ggml-vocab-phi-3.gguf", "F16"),
		"stories": sharedtest.Model(t, "stories260K.gguf"),
	}
}

func newEngine(t testing.TB, models enginetest.Files) *engine.Engine {
	t.Helper()
	e, err := engine.New(engine.Config{Resolver: models, Command: []string{os.Args[0], "engine"}, RuntimeDir: t.TempDir(), Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

// countingEmbedder passes requests to the real engine and records what was embedded.
type countingEmbedder struct {
	Embedder
	mu     sync.Mutex
	inputs []string
}

func (c *countingEmbedder) Embed(ctx context.Context, req engine.EmbedRequest) (*engine.EmbedResult, error) {
	c.mu.Lock()
	c.inputs = append(c.inputs, req.Inputs...)
	c.mu.Unlock()
	return c.Embedder.Embed(ctx, req)
}

func (c *countingEmbedder) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	in := c.inputs
	c.inputs = nil
	return in
}

func openStore(t testing.TB, emb Embedder) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "collections.db"), Options{Embedder: emb, Roots: []string{os.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
