package library

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perchapp/perch/app/library/download"
	"github.com/perchapp/perch/app/library/fakehub"
	"github.com/perchapp/perch/app/library/registry"
	"github.com/perchapp/perch/engine/sharedtest"
)

// env is a fake hub with real models and a store pulling from it.
type env struct {
	hub                 *fakehub.Hub
	stories, tiny       []byte
	storiesHex, tinyHex string
	storiesPath         string
	root                string
}

func hexOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{hub: fakehub.New(t), root: filepath.Join(t.TempDir(), "models")}
	e.storiesPath = sharedtest.Path(t, "models", "stories260K.gguf")
	e.stories = fakehub.ReadFile(t, e.storiesPath)
	e.tiny = fakehub.ReadFile(t, sharedtest.Path(t, "models", "llama-2-tiny-random.gguf"))
	e.storiesHex, e.tinyHex = hexOf(e.stories), hexOf(e.tiny)
	parts := fakehub.SplitGGUF(t, e.storiesPath, 3)
	vocab := fakehub.ReadFile(t, sharedtest.Path(t, "vocab", "ggml-vocab-phi-3.gguf"))

	e.hub.AddRepo("test/Stories-GGUF", false,
		fakehub.File{Path: "stories260K-Q4_K_M.gguf", Data: e.stories},
		fakehub.File{Path: "stories260K-Q8_0.gguf", Data: e.tiny},
		fakehub.File{Path: "F32/stories260K-F32-00001-of-00003.gguf", Data: parts[0]},
		fakehub.File{Path: "F32/stories260K-F32-00002-of-00003.gguf", Data: parts[1]},
		fakehub.File{Path: "F32/stories260K-F32-00003-of-00003.gguf", Data: parts[2]},
		fakehub.File{Path: "sub/dir/Tiny-IQ4_XS.gguf", Data: e.tiny},
		fakehub.File{Path: "mmproj-stories-f16.gguf", Data: e.tiny},
	)
	e.hub.AddRepo("test/Gated-GGUF", true, fakehub.File{Path: "gated-Q4_K_M.gguf", Data: e.stories})
	e.hub.AddRepo("test/NoGGUF", false, fakehub.File{Path: "model.safetensors", Data: []byte("weights")})
	e.hub.AddRepo("test/Fake-GGUF", false, fakehub.File{Path: "fake-Q4_K_M.gguf", Data: []byte("this is not a GGUF file, just text")})
	e.hub.AddRepo("test/Vocab-GGUF", false, fakehub.File{Path: "phi3-Q4_K_M.gguf", Data: vocab})

	e.hub.AddOllama("library", "tiny", "latest",
		fakehub.Layer{MediaType: registry.MediaModel, Data: e.tiny},
		fakehub.Layer{MediaType: registry.MediaTemplate, Data: []byte("{{ .System }}{{ .Prompt }}")},
		fakehub.Layer{MediaType: registry.MediaParams, Data: []byte(`{"stop":["foo","bar"],"seed":42,"top_p":0.9}`)},
		fakehub.Layer{MediaType: registry.MediaLicense, Data: []byte("MIT")},
		fakehub.Layer{MediaType: registry.MediaSystem, Data: []byte("You are tiny.")},
	)
	e.hub.AddOllama("library", "stories", "260k", fakehub.Layer{MediaType: registry.MediaModel, Data: e.stories})
	return e
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// open opens a store on e.root talking to the hub; extra options come last.
func (e *env) open(t *testing.T, opts ...Option) *Store {
	t.Helper()
	base := []Option{
		WithHF(e.hub.URL, ""),
		WithRetries(2, 5*time.Millisecond),
		WithLogger(testLogger(t)),
		WithPrivateURLs(func() bool { return true }), // the fake hub is on loopback
		WithDownloadOptions(download.WithSegments(4, 128<<10), download.WithProgressInterval(10*time.Millisecond)),
	}
	s, err := Open(e.root, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.verify.wg.Wait) // background hashes write beside the blobs
	return s
}

func (e *env) ollama(name string) string { return e.hub.Host + "/library/" + name }

// blobs lists the store's blob files (not partial downloads).
func blobs(t *testing.T, s *Store) []string {
	t.Helper()
	ents, err := os.ReadDir(filepath.Join(s.Root(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "sha256-") && !strings.Contains(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	return out
}

func names(t *testing.T, s *Store) []string {
	t.Helper()
	ms, err := s.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		out = append(out, m.Name)
	}
	return out
}

func fileDigest(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return "sha256:" + hexOf(b)
}
