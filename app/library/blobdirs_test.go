package library

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
)

// A new downloads folder takes the next import; the model stored before stays where it is
// and both are listed, served and removable, also after reopening the store. Storage reports
// both folders and a models folder with their bytes and the free space of their disks.
func TestDownloadDirKeepsEarlierModels(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	root := t.TempDir()
	gguf := filepath.Join(t.TempDir(), "stories.gguf")
	copyTo(t, e.stories, gguf)
	quietLog := func() *slog.Logger { return testLogger(t) }
	s, err := Open(root, WithLogger(quietLog()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(ctx, gguf, "first"); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(t.TempDir(), "Models")
	if err := s.SetDownloadDir(other); err != nil {
		t.Fatal(err)
	}
	if got := s.DownloadDir(); got != other {
		t.Errorf("DownloadDir = %s, want %s", got, other)
	}
	// A different file, so the second import is a new blob.
	second := filepath.Join(t.TempDir(), "second.gguf")
	b, _ := os.ReadFile(gguf)
	if err := os.WriteFile(second, append(b, make([]byte, 64)...), 0o644); err != nil {
		t.Fatal(err)
	}
	m2, err := s.Import(ctx, second, "second")
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(m2.Path) != filepath.Join(other, "blobs") {
		t.Errorf("the new model went to %s, want %s", m2.Path, filepath.Join(other, "blobs"))
	}

	s, err = Open(root, WithLogger(quietLog()), WithDownloadDir(other))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := s.List(ctx)
	if err != nil || len(ms) != 2 {
		t.Fatalf("after reopening: %d models, %v", len(ms), err)
	}
	for _, m := range ms {
		if _, err := os.Stat(m.Path); err != nil {
			t.Errorf("%s: %v", m.Name, err)
		}
	}
	first, err := s.Get(ctx, "first")
	if err != nil || filepath.Dir(first.Path) != filepath.Join(root, "blobs") {
		t.Errorf("the earlier model: %+v, %v; want it still in %s", first, err, filepath.Join(root, "blobs"))
	}
	// Back to the store's own folder: the model in the chosen folder stays listed.
	if err := s.SetDownloadDir(""); err != nil {
		t.Fatal(err)
	}
	s, err = Open(root, WithLogger(quietLog()))
	if err != nil {
		t.Fatal(err)
	}
	if ms, err := s.List(ctx); err != nil || len(ms) != 2 {
		t.Fatalf("back to the default folder: %d models, %v", len(ms), err)
	}

	s.dirs = []string{filepath.Dir(gguf)}
	st := s.Storage(ctx)
	if len(st) != 3 {
		t.Fatalf("storage: %+v", st)
	}
	for i, want := range []struct {
		path, kind string
		files      int
	}{{root, UsageDownloads, 1}, {other, UsageEarlier, 1}, {filepath.Dir(gguf), UsageFolder, 1}} {
		u := st[i]
		if u.Path != want.path || u.Kind != want.kind || u.Files != want.files || u.UsedBytes <= 0 || u.FreeBytes == 0 || u.TotalBytes < u.FreeBytes || u.Err != nil {
			t.Errorf("storage[%d] = %+v; want %s %s with %d file", i, u, want.kind, want.path, want.files)
		}
	}

	if err := s.Remove(ctx, "second"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(m2.Path); !os.IsNotExist(err) {
		t.Errorf("the removed model's blob in the earlier folder: %v", err)
	}
}

// A downloads folder that cannot be used now (a disk not mounted) does not keep the store
// from opening: new downloads go to its own folder meanwhile.
func TestDownloadDirUnavailableAtOpen(t *testing.T) {
	root := t.TempDir()
	file := filepath.Join(t.TempDir(), "not-a-folder")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Open(root, WithLogger(testLogger(t)), WithDownloadDir(filepath.Join(file, "Models")))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	if got := s.DownloadDir(); got != root {
		t.Errorf("DownloadDir = %s, want the store's own %s", got, root)
	}
}
