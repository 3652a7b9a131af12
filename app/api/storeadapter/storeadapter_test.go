package storeadapter_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/perchapp/perch/app/api/storeadapter"
	"github.com/perchapp/perch/app/library"
	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/sharedtest"
	"github.com/perchapp/perch/engine/synth/synthtest"
)

// TestStore serves shared/models through a real store, as `perch serve --models-dir` does.
func TestStore(t *testing.T) {
	models := filepath.Join("..", "..", "..", "..", "shared", "models")
	if _, err := os.Stat(filepath.Join(models, "stories260K.gguf")); err != nil {
		sharedtest.Skipf(t, "shared/models is not beside the repository: %v", err)
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
	if m.Embedding || m.FIM || !m.External {
		t.Errorf("stories260k: Embedding=%v FIM=%v External=%v, want false, false, true", m.Embedding, m.FIM, m.External)
	}
	if _, err := a.Get(ctx, "no-such-model"); err == nil {
		t.Fatal("an unknown model was found")
	}
}

// TestEmbeddingAndFIM: an embedding model and a fill-in-the-middle model in a models
// directory say so, so the collections warning and /api/show's capabilities are right.
func TestEmbeddingAndFIM(t *testing.T) {
	dir := t.TempDir()
	shape := []any{"general.architecture", "bert", "bert.block_count", uint32(1), "bert.embedding_length", uint32(4)}
	synthtest.Header(t, filepath.Join(dir, "bge.gguf"), append(shape, "bert.pooling_type", uint32(2), "bert.attention.causal", false)...)
	synthtest.Header(t, filepath.Join(dir, "coder.gguf"), "general.architecture", "llama", "llama.block_count", uint32(1), "llama.embedding_length", uint32(4),
		"tokenizer.ggml.fim_pre_token_id", uint32(1), "tokenizer.ggml.fim_suf_token_id", uint32(2), "tokenizer.ggml.fim_mid_token_id", uint32(3))
	s, err := library.Open(t.TempDir(), library.WithDirs(dir))
	if err != nil {
		t.Fatal(err)
	}
	a := storeadapter.New(s)
	ctx := context.Background()
	for name, want := range map[string][2]bool{"bge": {true, false}, "coder": {false, true}} {
		m, err := a.Get(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if m.Embedding != want[0] || m.FIM != want[1] {
			t.Errorf("%s: Embedding=%v FIM=%v, want %v, %v", name, m.Embedding, m.FIM, want[0], want[1])
		}
	}
	// The list (what /perch/models shows) says the same.
	list, err := a.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range list {
		want := map[string][2]bool{"bge": {true, false}, "coder": {false, true}}[m.Name]
		if m.Embedding != want[0] || m.FIM != want[1] {
			t.Errorf("list %s: Embedding=%v FIM=%v, want %v, %v", m.Name, m.Embedding, m.FIM, want[0], want[1])
		}
	}
	if len(list) != 2 {
		t.Errorf("list has %d models, want 2", len(list))
	}
}

// TestRefusalsAreInvalid: the library's refusals are 400s, not server errors.
func TestRefusalsAreInvalid(t *testing.T) {
	dir := t.TempDir()
	synthtest.Header(t, filepath.Join(dir, "file.gguf"), "general.architecture", "llama", "llama.block_count", uint32(1), "llama.embedding_length", uint32(4))
	s, err := library.Open(t.TempDir(), library.WithDirs(dir))
	if err != nil {
		t.Fatal(err)
	}
	a := storeadapter.New(s)
	ctx := context.Background()
	cases := map[string]struct {
		err   error
		param string
	}{
		"remove a models-directory file": {a.Remove(ctx, "file"), "model"},
		"copy to a bad name":             {a.Copy(ctx, "file", "a b/c:d:e"), "destination"},
	}
	for name, c := range cases {
		var ee *engine.Error
		if !errors.As(c.err, &ee) || ee.Kind != engine.KindInvalid || ee.Param != c.param {
			t.Errorf("%s: err = %#v, want an invalid-request error naming %s", name, c.err, c.param)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "file.gguf")); err != nil {
		t.Errorf("the models-directory file is gone: %v", err)
	}
}
