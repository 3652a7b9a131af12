package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// models_dirs takes only absolute paths of existing folders.
func TestBadInputModelsDirs(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "model.gguf")
	if err := os.WriteFile(file, []byte("GGUF"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Open(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		dirs []string
		want string // "" : accepted
	}{
		{[]string{"models"}, "not an absolute path"},
		{[]string{"./models"}, "not an absolute path"},
		{[]string{filepath.Join(dir, "missing")}, "give an existing folder"},
		{[]string{file}, "not a folder"},
		{[]string{dir}, ""},
	}
	for _, tt := range tests {
		next := s.Get()
		next.ModelsDirs = tt.dirs
		err := s.Update(next)
		if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
			t.Errorf("models_dirs %q: %v; want %q", tt.dirs, err, tt.want)
		}
	}
}

// The instance lock is exclusive and says who holds it.
func TestFaultInstanceLock(t *testing.T) {
	p := Paths{Data: t.TempDir()}
	l, err := p.Lock("127.0.0.1:11435")
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Lock("127.0.0.1:9")
	if err == nil || !strings.Contains(err.Error(), "http://127.0.0.1:11435") {
		t.Fatalf("second lock: %v; want one naming the first's address", err)
	}
	l.Release()
	l2, err := p.Lock("127.0.0.1:9")
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	l2.Release()
}
