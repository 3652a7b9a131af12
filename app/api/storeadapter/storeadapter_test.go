package storeadapter_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/perchapp/perch/app/api/storeadapter"
	"github.com/perchapp/perch/app/library"
)

// TestStore serves shared/models through a real store, as `perch serve --models-dir` does.
func TestStore(t *testing.T) {
	models := filepath.Join("..", "..", "..", "..", "shared", "models")
	if _, err := os.Stat(filepath.Join(models, "stories260K.gguf")); err != nil {
		t.Skipf("shared/models is not beside the repository: %v", err)
	}
	s, err := library.Open(t.TempDir(), library.WithDirs(models))
	if err != nil {
		t.Fatal(err)
	}
	a := storeadapter.New(s)
	ctx := context.Background()
	list, err := a.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, m := range list {
		found = found || m.Name == "stories260k"
	}
	if !found {
		t.Fatalf("stories260k not listed: %+v", list)
	}
	m, err := a.Get(ctx, "stories260k")
	if err != nil {
		t.Fatal(err)
	}
	if m.Architecture != "llama" || m.Path == "" || m.Metadata["general.architecture"] != "llama" || m.EmbeddingSize == 0 {
		t.Fatalf("model %+v", m)
	}
	if _, err := a.Get(ctx, "no-such-model"); err == nil {
		t.Fatal("an unknown model was found")
	}
}
