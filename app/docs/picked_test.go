package docs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A folder picked in the desktop window's dialog may lie outside the home folder, for the
// collection it was picked for only, and stays picked when the store is opened again; inside
// it, hidden folders and files, keys and files over the size cap are still not read.
func TestPickedFolderOutsideHome(t *testing.T) {
	hostileHome(t)
	outside := t.TempDir() // not inside HOME (another temporary folder)
	key := []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nPRIVATE KEY\n")
	for rel, b := range map[string][]byte{
		"notes.md":         []byte("# Pumps\n\nThe pump runs at 40 bar."),
		"sub/valves.txt":   []byte("Valves open at dawn."),
		".hidden/diary.md": []byte("PRIVATE KEY in a hidden folder."),
		".env":             []byte("TOKEN=PRIVATE KEY\n"),
		"id_rsa":           key,
		"server.pem":       key,
		"big.txt":          []byte(strings.Repeat("large ", 400)),
	} {
		if err := write(outside, rel, b); err != nil {
			t.Fatal(err)
		}
	}
	dbPath := filepath.Join(t.TempDir(), "collections.db")
	emb := &countingEmbedder{Embedder: newEngine(t, testModels(t))}
	open := func() *Store {
		s, err := Open(context.Background(), dbPath, Options{Embedder: emb, MaxFileBytes: 1024})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s := open()
	ctx := context.Background()
	c, err := s.Create(ctx, NewCollection{Name: "picked", EmbeddingModel: "stories"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.Create(ctx, NewCollection{Name: "other", EmbeddingModel: "stories"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddFolder(ctx, c.ID, outside, nil); !errors.Is(err, ErrNotAllowed) || !strings.Contains(err.Error(), "outside your home folder") {
		t.Fatalf("before the pick: %v; want outside the home folder", err)
	}
	if got, err := s.AllowFolder(ctx, c.ID, outside+"/"); err != nil || got != outside {
		t.Fatalf("AllowFolder = %q, %v; want %q", got, err, outside)
	}
	if _, err := s.AddFolder(ctx, other.ID, outside, nil); !errors.Is(err, ErrNotAllowed) {
		t.Errorf("a pick for one collection opened the folder to another: %v", err)
	}
	s.Close()

	s = open() // the pick is remembered, so adding the folder again later still works
	defer s.Close()
	sum, err := s.AddFolder(ctx, c.ID, outside, nil)
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.Documents(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range list {
		names = append(names, strings.TrimPrefix(d.Name, outside+"/"))
	}
	if strings.Join(names, ",") != "notes.md,sub/valves.txt" {
		t.Errorf("indexed %v, want notes.md and sub/valves.txt; skips %+v", names, sum.Skips)
	}
	skipped := map[string]string{}
	for _, sk := range sum.Skips {
		skipped[strings.TrimPrefix(sk.Path, outside+"/")] = sk.Reason
	}
	for rel, want := range map[string]string{"id_rsa": "key", "server.pem": "key", "big.txt": "limit"} {
		if !strings.Contains(skipped[rel], want) {
			t.Errorf("%s: skip reason %q, want one saying %q (skips %v)", rel, skipped[rel], want, skipped)
		}
	}
}

// Some folders are refused even when picked: hidden ones, the home folder's app data, the
// system's folders and the whole disk; and a pick names a real folder of a real collection.
func TestPickedFolderRefused(t *testing.T) {
	home := hostileHome(t)
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "collections.db"), Options{Embedder: &countingEmbedder{}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	c, err := s.Create(ctx, NewCollection{Name: "picked", EmbeddingModel: "stories"})
	if err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir()
	if err := os.MkdirAll(filepath.Join(outside, ".config", "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "file.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		id       int64
		dir      string
		want     error
		wantText string
	}{
		{c.ID, filepath.Join(home, ".ssh"), ErrNotAllowed, "hidden"},
		{c.ID, filepath.Join(outside, ".config", "app"), ErrNotAllowed, "hidden"},
		{c.ID, filepath.Join(home, "Library", "Keychains"), ErrNotAllowed, "Library"},
		{c.ID, filepath.Join(home, "keys"), ErrNotAllowed, "Library"}, // a link to ~/Library/Keychains
		{c.ID, "/", ErrNotAllowed, "whole disk"},
		{c.ID, "/etc", ErrNotAllowed, "system"},
		{c.ID, "notes", ErrInvalid, "absolute"},
		{c.ID, filepath.Join(outside, "missing"), ErrInvalid, "cannot read"},
		{c.ID, filepath.Join(outside, "file.txt"), ErrInvalid, "not a folder"},
		{c.ID + 100, outside, ErrNotFound, ""},
	}
	for _, tt := range tests {
		_, err := s.AllowFolder(ctx, tt.id, tt.dir)
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.wantText) {
			t.Errorf("AllowFolder(%d, %s) = %v; want %v saying %q", tt.id, tt.dir, err, tt.want, tt.wantText)
		}
	}
	if got, err := s.pickedFolders(ctx, c.ID); err != nil || len(got) != 0 {
		t.Errorf("refused picks were recorded: %v, %v", got, err)
	}
}
