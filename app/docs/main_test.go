package docs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/sharedtest"
	"github.com/perchapp/perch/engine/synth/synthtest"
	"github.com/perchapp/perch/engine/worker"
)

// TestMain lets this test binary act as the engine's worker: the engine starts it with
// "engine", as it starts `perch engine`.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "engine" {
		os.Exit(worker.Main(context.Background(), os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// files resolves model names to GGUF files, each name with its own identity.
type files map[string]string

func (f files) Resolve(_ context.Context, name string) (engine.ModelRef, error) {
	p, ok := f[name]
	if !ok {
		return engine.ModelRef{}, engine.ErrUnknownModel
	}
	sum := sha256.Sum256([]byte(name))
	return engine.ModelRef{Name: name, Path: p, Digest: "sha256:" + hex.EncodeToString(sum[:])}, nil
}

// testModels are real GGUF models: "synth" is a small random-weight llama with Phi-3's 32k
// vocabulary (byte fallback, so Korean tokenizes; 128-dimensional embeddings; random weights
// still embed deterministically), "stories" is stories260K (64 dimensions).
func testModels(t testing.TB) files {
	t.Helper()
	return files{
		"synth":   synthtest.Model(t, "tiny", "ggml-vocab-phi-3.gguf", "F16"),
		"stories": sharedtest.Model(t, "stories260K.gguf"),
	}
}

func newEngine(t testing.TB, models files) *engine.Engine {
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
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "collections.db"), Options{Embedder: emb})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
