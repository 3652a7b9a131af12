package library

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/perchapp/perch/app/library/fakehub"
	"github.com/perchapp/perch/app/library/ggufmeta"
	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/sharedtest"
)

func copyTo(t *testing.T, data []byte, path string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestImport(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	ctx := context.Background()
	dir := t.TempDir()
	own := filepath.Join(dir, "Stories260K.gguf")
	copyTo(t, e.stories, own)

	m, err := s.Import(ctx, own, "")
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "stories260k:latest" || m.Digest != "sha256:"+e.storiesHex || m.Quantization != "F32" || m.Source != own {
		t.Errorf("imported %+v", m)
	}
	// Same disk: hard-linked, not copied.
	a, _ := os.Stat(own)
	b, _ := os.Stat(m.Path)
	if !os.SameFile(a, b) {
		t.Log("the import was copied, not linked (different file systems?)")
	}
	// Through Pull, with a name, and from another disk (the shared folder): the blob is shared.
	m2, err := s.Pull(ctx, e.storiesPath, nil, WithName("hf.co/me/mine:v1"))
	if err != nil {
		t.Fatal(err)
	}
	if m2.Name != "hf.co/me/mine:v1" || m2.Path != m.Path {
		t.Errorf("second import %+v", m2)
	}

	t.Run("split", func(t *testing.T) {
		parts := fakehub.SplitGGUF(t, e.storiesPath, 2)
		for i, p := range parts {
			copyTo(t, p, filepath.Join(dir, "split", "Story-F32-0000"+string(rune('1'+i))+"-of-00002.gguf"))
		}
		m, err := s.Import(ctx, filepath.Join(dir, "split", "Story-F32-00001-of-00002.gguf"), "")
		if err != nil {
			t.Fatal(err)
		}
		if m.Name != "story-f32:latest" || len(m.Files) != 2 || !strings.HasSuffix(m.Path, "Story-F32-00001-of-00002.gguf") {
			t.Errorf("split import %+v", m)
		}
		if info, err := ggufmeta.Read(m.Path); err != nil || info.Parts != 2 {
			t.Errorf("stored split reads as %d parts, %v", info.Parts, err)
		}
		_, err = s.Import(ctx, filepath.Join(dir, "split", "Story-F32-00002-of-00002.gguf"), "")
		if err == nil || !strings.Contains(err.Error(), "first part") {
			t.Errorf("importing part 2: %v", err)
		}
	})

	t.Run("refused", func(t *testing.T) {
		vocab := sharedtest.Path(t, "vocab", "ggml-vocab-llama-spm.gguf")
		text := filepath.Join(dir, "notes.gguf")
		copyTo(t, []byte("just some notes, not a model"), text)
		cases := []struct {
			path, name, says string
		}{
			{text, "", "no readable GGUF model file"},
			{vocab, "", "vocabulary-only"},
			{own, "../../x", "invalid model name"},
			{filepath.Join(dir, "missing.gguf"), "", "no readable GGUF model file at that path"},
		}
		before := blobs(t, s)
		for _, c := range cases {
			t.Run(c.says, func(t *testing.T) {
				_, err := s.Import(ctx, c.path, c.name)
				if err == nil || !strings.Contains(err.Error(), c.says) {
					t.Fatalf("err = %v, want %q", err, c.says)
				}
			})
		}
		if after := blobs(t, s); !slices.Equal(before, after) {
			t.Errorf("blobs changed after refused imports: %v → %v", before, after)
		}
	})
}

func TestModelsDirs(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	lm := t.TempDir() // like LM Studio's folder: publisher/repo/file.gguf
	second := t.TempDir()
	copyTo(t, e.stories, filepath.Join(lm, "karpathy", "tinyllamas", "stories260K.gguf"))
	copyTo(t, e.tiny, filepath.Join(lm, "Llama 2 Tiny.gguf"))
	copyTo(t, fakehub.ReadFile(t, sharedtest.Path(t, "vocab", "ggml-vocab-phi-3.gguf")), filepath.Join(lm, "ggml-vocab-phi-3.gguf"))
	copyTo(t, []byte("not a model"), filepath.Join(lm, "broken.gguf"))
	copyTo(t, e.tiny, filepath.Join(lm, ".hidden", "secret.gguf"))
	copyTo(t, e.tiny, filepath.Join(lm, "readme.txt"))
	for i, p := range fakehub.SplitGGUF(t, e.storiesPath, 3) {
		copyTo(t, p, filepath.Join(lm, "split", "Big-F32-0000"+string(rune('1'+i))+"-of-00003.gguf"))
	}
	for i, p := range fakehub.SplitGGUF(t, e.storiesPath, 2)[:1] { // incomplete
		copyTo(t, p, filepath.Join(lm, "split", "Half-0000"+string(rune('1'+i))+"-of-00002.gguf"))
	}
	copyTo(t, e.tiny, filepath.Join(second, "STORIES260K.gguf")) // same name: the first folder wins

	s := e.open(t, WithDirs(ParseDirs([]string{lm}, second)...))
	if _, err := s.Pull(ctx, "hf.co/test/Stories-GGUF:Q8_0", nil); err != nil {
		t.Fatal(err)
	}
	ms, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Model{}
	var order []string
	for _, m := range ms {
		got[m.Name] = m
		order = append(order, m.Name)
	}
	want := []string{"hf.co/test/Stories-GGUF:Q8_0", "big-f32", "llama-2-tiny", "stories260k"}
	if !slices.Equal(order, want) {
		t.Fatalf("list %v, want %v", order, want)
	}
	if m := got["stories260k"]; !m.External || m.Size != int64(len(e.stories)) || m.Architecture != "llama" || m.Digest != "sha256:"+e.storiesHex {
		t.Errorf("external model %+v", m)
	}
	if m := got["big-f32"]; len(m.Files) != 3 || !strings.HasSuffix(m.Path, "-00001-of-00003.gguf") {
		t.Errorf("split external %+v", m)
	}

	for _, name := range []string{"stories260k", "Stories260K", "stories260k:latest"} {
		ref, err := s.Resolve(ctx, name)
		if err != nil || ref.Path != filepath.Join(lm, "karpathy", "tinyllamas", "stories260K.gguf") || ref.Digest != "sha256:"+e.storiesHex {
			t.Errorf("Resolve(%q) = %+v, %v", name, ref, err)
		}
	}
	err = s.Remove(ctx, "stories260k")
	if !errors.Is(err, ErrExternal) || !strings.Contains(err.Error(), "delete the file yourself") {
		t.Errorf("Remove external: %v", err)
	}
	if _, err := os.Stat(filepath.Join(lm, "karpathy", "tinyllamas", "stories260K.gguf")); err != nil {
		t.Errorf("the external file is gone: %v", err)
	}
	// Copying an external model imports it into the store.
	m, err := s.Copy(ctx, "stories260k", "kept:v1")
	if err != nil || m.External || m.Digest != "sha256:"+e.storiesHex {
		t.Errorf("copy of an external model: %+v, %v", m, err)
	}
}

func TestParseDirs(t *testing.T) {
	home, _ := os.UserHomeDir()
	got := ParseDirs([]string{"/a", "/b:/c", ""}, "/c:~/models::/a")
	want := []string{"/a", "/b", "/c", filepath.Join(home, "models")}
	if !slices.Equal(got, want) {
		t.Errorf("ParseDirs = %v, want %v", got, want)
	}
}

// A crash can leave a manifest whose blob is missing or short, partial downloads and
// temporary manifest files; none of them is listed, and the rest of the store works.
func TestListSkipsWhatACrashLeaves(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	s := e.open(t)
	if _, err := s.Pull(ctx, "hf.co/test/Stories-GGUF:Q4_K_M", nil); err != nil {
		t.Fatal(err)
	}
	good, err := s.Pull(ctx, "hf.co/test/Stories-GGUF:Q8_0", nil)
	if err != nil {
		t.Fatal(err)
	}
	// A manifest written without its blob.
	if err := os.Remove(s.blobPath("sha256:" + e.storiesHex)); err != nil {
		t.Fatal(err)
	}
	// A short blob (a copy interrupted outside Perch) under another manifest.
	short := s.blobPath("sha256:" + e.tinyHex)
	if _, err := s.Copy(ctx, good.Name, "short:v1"); err != nil {
		t.Fatal(err)
	}
	man := filepath.Join(s.Root(), "manifests", DefaultRegistry, DefaultNamespace, "short", "v1")
	b, _ := os.ReadFile(man)
	copyTo(t, []byte(strings.Replace(string(b), e.tinyHex, strings.Repeat("a", 64), 1)), man)
	copyTo(t, e.tiny[:100], s.blobPath("sha256:"+strings.Repeat("a", 64)))
	// Leftovers of interrupted writes.
	copyTo(t, e.tiny[:100], short+".partial")
	copyTo(t, []byte("{"), filepath.Join(filepath.Dir(man), ".v2.tmp123"))
	copyTo(t, []byte("not json"), filepath.Join(filepath.Dir(man), "v3"))

	s = e.open(t) // as after a restart
	if got := names(t, s); !slices.Equal(got, []string{good.Name}) {
		t.Errorf("list %v, want only %s", got, good.Name)
	}
	_, err = s.Get(ctx, "hf.co/test/Stories-GGUF:Q4_K_M")
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("Get of a model without its blob: %v", err)
	}
	// Pulling again repairs it.
	if _, err := s.Pull(ctx, "hf.co/test/Stories-GGUF:Q4_K_M", nil); err != nil {
		t.Fatal(err)
	}
}

func TestResolveUnknown(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	for _, name := range []string{"nope", "hf.co/a/b:Q4_K_M", "library/x:y"} {
		_, err := s.Resolve(context.Background(), name)
		if !errors.Is(err, engine.ErrUnknownModel) || !strings.Contains(err.Error(), "perch pull") {
			t.Errorf("Resolve(%q): %v", name, err)
		}
	}
	if _, err := s.Resolve(context.Background(), "../../etc/passwd"); !errors.Is(err, ErrInvalidName) {
		t.Errorf("traversal: %v", err)
	}
	var _ engine.Resolver = s
}

func TestCopyAndRemoveRefuseBadNames(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	ctx := context.Background()
	if _, err := s.Pull(ctx, "hf.co/test/Stories-GGUF:Q4_K_M", nil); err != nil {
		t.Fatal(err)
	}
	for _, dst := range []string{"../../x", "a/../../b", "x:"} {
		if _, err := s.Copy(ctx, "hf.co/test/Stories-GGUF:Q4_K_M", dst); !errors.Is(err, ErrInvalidName) {
			t.Errorf("Copy to %q: %v", dst, err)
		}
	}
	if err := s.Remove(ctx, "../../x"); !errors.Is(err, ErrInvalidName) {
		t.Errorf("Remove ../../x: %v", err)
	}
	if _, err := s.Copy(ctx, "nope", "x"); !errors.Is(err, engine.ErrUnknownModel) {
		t.Errorf("Copy of an unknown model: %v", err)
	}
}

// A name given to other content no longer holds on to the old files.
func TestReplacingANameFreesItsFiles(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	ctx := context.Background()
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.gguf"), filepath.Join(dir, "b.gguf")
	copyTo(t, e.stories, a)
	copyTo(t, e.tiny, b)
	old, err := s.Import(ctx, a, "x")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Import(ctx, b, "x"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(old.Path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the replaced file is still in the store")
	}
	if got := blobs(t, s); len(got) != 1 || got[0] != "sha256-"+e.tinyHex {
		t.Errorf("blobs %v", got)
	}
	if ref, err := s.Resolve(ctx, "x"); err != nil || ref.Digest != "sha256:"+e.tinyHex {
		t.Errorf("x resolves to %+v, %v", ref, err)
	}
}

// TestImportOtherDisk: a file on another file system (a tmpfs) is copied into the store,
// whole and with its digest, leaving no temporary file; a cancel that comes once the file has
// been read stops the import instead of a second, uncancellable pass copying it.
func TestImportOtherDisk(t *testing.T) {
	other, err := os.MkdirTemp("/dev/shm", "perch-import-")
	if err != nil {
		t.Skipf("no tmpfs to import from: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(other) })
	e := newEnv(t)
	s := e.open(t)
	src := filepath.Join(other, "Stories260K.gguf")
	copyTo(t, e.stories, src)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err = s.importFile(ctx, src, "", src, func(p Progress) {
		if p.Status == "importing" && p.Total > 0 && p.Completed == p.Total {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("import cancelled after the read: %v; want context.Canceled", err)
	}
	if _, err := os.Stat(s.blobPath("sha256:" + e.storiesHex)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a cancelled import left its blob: %v", err)
	}

	m, err := s.Import(context.Background(), src, "")
	if err != nil {
		t.Fatal(err)
	}
	a, _ := os.Stat(src)
	b, _ := os.Stat(m.Path)
	if m.Digest != "sha256:"+e.storiesHex || os.SameFile(a, b) || fileDigest(t, m.Path) != m.Digest {
		t.Errorf("imported %+v; want a copy with the file's digest", m)
	}
	ents, _ := os.ReadDir(filepath.Dir(m.Path))
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file %s left in the blobs folder", e.Name())
		}
	}
}
