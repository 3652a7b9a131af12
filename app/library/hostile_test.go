package library

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// URL pulls and inspections refuse this machine and private networks unless the user allows
// them; the check is made where the connection is, so a name resolving to 127.0.0.1
// ("localhost") does not get around it.
func TestHostilePrivateURLs(t *testing.T) {
	e := newEnv(t)
	allowed := false
	s := e.open(t, WithPrivateURLs(func() bool { return allowed }))
	local := strings.Replace(e.hub.URL, "127.0.0.1", "localhost", 1)
	url := local + "/cdn/" + e.tinyHex + "/Tiny-F16.gguf"
	ctx := context.Background()
	if _, err := s.Pull(ctx, url, nil); !errors.Is(err, ErrPrivateAddress) {
		t.Fatalf("pull of %s: %v; want ErrPrivateAddress", url, err)
	}
	if _, err := s.Inspect(ctx, url); !errors.Is(err, ErrPrivateAddress) {
		t.Fatalf("inspect of %s: %v; want ErrPrivateAddress", url, err)
	}
	if _, err := s.Get(ctx, "tiny-f16"); err == nil {
		t.Error("a refused pull stored the model")
	}
	allowed = true
	if _, err := s.Pull(ctx, url, nil); err != nil {
		t.Fatalf("pull once allowed: %v", err)
	}
}

// A registry reference naming a host is a URL in disguise: "127.0.0.1:PORT/library/tiny" is
// refused as the URL is, while registry.ollama.ai itself is never guarded.
func TestHostilePrivateRegistryHost(t *testing.T) {
	e := newEnv(t)
	allowed := false
	s := e.open(t, WithPrivateURLs(func() bool { return allowed }))
	ctx := context.Background()
	for _, ref := range []string{e.ollama("tiny"), strings.Replace(e.ollama("tiny"), "127.0.0.1", "localhost", 1)} {
		if _, err := s.Pull(ctx, ref, nil); !errors.Is(err, ErrPrivateAddress) {
			t.Fatalf("pull of %s: %v; want ErrPrivateAddress", ref, err)
		}
		if _, err := s.Inspect(ctx, ref); !errors.Is(err, ErrPrivateAddress) {
			t.Fatalf("inspect of %s: %v; want ErrPrivateAddress", ref, err)
		}
	}
	if ms, _ := s.List(ctx); len(ms) != 0 {
		t.Errorf("a refused pull stored %v", ms)
	}
	allowed = true
	if _, err := s.Pull(ctx, e.ollama("tiny"), nil); err != nil {
		t.Fatalf("pull once allowed: %v", err)
	}
}

// Imports take only GGUF files, and say no more about any other path than that: not whether
// it exists, not what it starts with.
func TestHostileImportReveals(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	dir := t.TempDir()
	secret := filepath.Join(dir, "environ")
	if err := os.WriteFile(secret, []byte("PERCH_SECRET=hunter2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	short := filepath.Join(dir, "short.gguf")
	if err := os.WriteFile(short, []byte("GG"), 0o600); err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, p := range []string{secret, filepath.Join(dir, "missing.gguf"), dir, short, "/proc/self/environ"} {
		_, err := s.Import(context.Background(), p, "x")
		if !errors.Is(err, ErrNotModelFile) {
			t.Errorf("import %s: %v; want ErrNotModelFile", p, err)
			continue
		}
		msgs = append(msgs, strings.ReplaceAll(err.Error(), p, "PATH"))
		if strings.Contains(err.Error(), "PERC") || strings.Contains(err.Error(), "GG\"") {
			t.Errorf("import %s echoes the file's bytes: %v", p, err)
		}
	}
	for _, m := range msgs[1:] {
		if m != msgs[0] {
			t.Errorf("messages differ, so they tell paths apart: %q vs %q", m, msgs[0])
		}
	}
}

// Editing the imported file in place leaves the library's model as it was imported: the
// store holds a clone or a copy, never a hard link.
func TestFaultImportEditOriginal(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	own := filepath.Join(t.TempDir(), "mine.gguf")
	copyTo(t, e.stories, own)
	m, err := s.Import(context.Background(), own, "mine")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(own, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("garbage garbage garbage"), int64(len(e.stories)/2)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	got, err := os.ReadFile(m.Path)
	if err != nil {
		t.Fatal(err)
	}
	if hexOf(got) != e.storiesHex {
		t.Errorf("the stored model changed with the original (%s)", m.Path)
	}
}

// An invalid .gguf in a models directory is not listed, and says so once in the log.
func TestBadInputModelsDirLogsInvalidFile(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "broken.gguf")
	copyTo(t, []byte("GGUF but not really a model header"), bad)
	var log bytes.Buffer
	s, err := Open(t.TempDir(), WithDirs(dir), WithLogger(slog.New(slog.NewTextHandler(&log, nil))))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if ms, err := s.externals(context.Background()); err != nil || len(ms) != 0 {
			t.Fatalf("listed %v, %v", ms, err)
		}
	}
	if n := strings.Count(log.String(), "path="+bad); n != 1 {
		t.Errorf("the log reports %s %d times, want once:\n%s", bad, n, log.String())
	}
}

// A stored model whose file changed is refused as damaged: at once where its sampled
// checksum differs, and after the background sha256 where only the full hash can tell.
func TestFaultDamagedModel(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	ctx := context.Background()
	own := filepath.Join(t.TempDir(), "mine.gguf")
	copyTo(t, e.stories, own)
	m, err := s.Import(ctx, own, "mine")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Resolve(ctx, "mine"); err != nil {
		t.Fatal(err)
	}
	s.verify.wg.Wait()
	corrupt := func(off int64) {
		f, err := os.OpenFile(m.Path, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if _, err := f.WriteAt([]byte("XXXX"), off); err != nil {
			t.Fatal(err)
		}
	}
	corrupt(int64(len(e.stories)) - 10) // tensor data, in the last sampled block
	if _, err := s.Resolve(ctx, "mine"); !errors.Is(err, ErrDamaged) {
		t.Fatalf("resolve after the file changed: %v; want ErrDamaged", err)
	}

	// A fresh process, no sample recorded: the background hash finds it.
	copyTo(t, e.stories, m.Path)
	os.Remove(samplePath(m.Path))
	corrupt(int64(len(e.stories)) / 3)
	s2 := e.open(t)
	if _, err := s2.Resolve(ctx, "mine"); err != nil {
		t.Fatalf("first resolve (hash still running): %v", err)
	}
	s2.verify.wg.Wait()
	if _, err := s2.Resolve(ctx, "mine"); !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "pull or import it again") {
		t.Fatalf("resolve after the background hash: %v; want ErrDamaged saying what to do", err)
	}
}
