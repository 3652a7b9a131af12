package library

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A models-directory file is hashed once: the digest is kept by size and modification time
// (across store openings), and a changed file is hashed again.
func TestModelsDirDigestCached(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	dir := t.TempDir()
	p := filepath.Join(dir, "stories260K.gguf")
	copyTo(t, e.stories, p)
	digestOf := func(s *Store) string {
		t.Helper()
		m, err := s.Get(ctx, "stories260k:latest")
		if err != nil {
			t.Fatal(err)
		}
		return m.Digest
	}
	s := e.open(t, WithDirs(dir))
	if d := digestOf(s); d != "sha256:"+e.storiesHex {
		t.Fatalf("digest %s, want sha256:%s", d, e.storiesHex)
	}
	// The saved table answers without reading the file: a planted entry shows it was used.
	table := filepath.Join(s.Root(), fileHashesName)
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	s2 := e.open(t, WithDirs(dir))
	s2.hashes.load()
	s2.hashes.m[p] = fileHash{Size: fi.Size(), Mod: fi.ModTime(), Digest: "sha256:planted"}
	if d := digestOf(s2); d != "sha256:planted" {
		t.Fatalf("digest %s: the cached one was not used", d)
	}
	if _, err := os.Stat(table); err != nil {
		t.Fatalf("the digest table was not saved: %v", err)
	}
	// A changed file gets a new digest.
	later := fi.ModTime().Add(time.Minute)
	if err := os.Chtimes(p, later, later); err != nil {
		t.Fatal(err)
	}
	if d := digestOf(s2); d != "sha256:"+e.storiesHex {
		t.Fatalf("digest %s after the file changed, want it hashed again", d)
	}
}
