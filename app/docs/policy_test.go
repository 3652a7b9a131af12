package docs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hostileHome lays out a home folder with secrets where a client of the API might point the
// indexer, and ordinary notes beside them.
func hostileHome(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	key := []byte("-----BEGIN OPENSSH PRIVATE KEY-----\nsecret key material\n-----END OPENSSH PRIVATE KEY-----\n")
	for rel, b := range map[string][]byte{
		".ssh/id_rsa":                key,
		".ssh/notes.md":              []byte("# Hidden notes\n\nPRIVATE KEY in a hidden folder."),
		".aws/credentials":           []byte("[default]\naws_secret_access_key = PRIVATE KEY\n"),
		"notes/ok.md":                []byte("# Pumps\n\nThe pump runs at 40 bar."),
		"notes/id_rsa":               key,
		"notes/id_ed25519":           key,
		"notes/server.pem":           key,
		"notes/tls.key":              key,
		"notes/credentials":          []byte("PRIVATE KEY\n"),
		"notes/.env":                 []byte("TOKEN=PRIVATE KEY\n"),
		"Library/Keychains/login.md": []byte("PRIVATE KEY\n"),
	} {
		if err := write(home, rel, b); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"notes/hosts.txt":  "/etc/hosts",                                // out of the home folder
		"notes/readme.txt": filepath.Join(home, ".ssh", "id_rsa"),       // into a hidden folder
		"ssh-copy":         filepath.Join(home, ".ssh"),                 // a folder link to a hidden folder
		"etc":              "/etc",                                      // a folder link out of home
		"notes/inside.md":  filepath.Join(home, "notes", "ok.md"),       // a link that stays: allowed
		"keys":             filepath.Join(home, "Library", "Keychains"), // app data
		"notes/aws.txt":    filepath.Join(home, ".aws", "credentials"),  // credentials through a link
	}
	for rel, target := range links {
		if err := os.Symlink(target, filepath.Join(home, rel)); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("HOME", home)
	return home
}

// Indexing reads only what a person would put in a collection: no folder outside the home
// folder, no hidden or app-data folder as the root or below it, no keys or credentials, no
// links out of the allowed area.
func TestHostileFolderPolicy(t *testing.T) {
	home := hostileHome(t)
	emb := &countingEmbedder{Embedder: newEngine(t, testModels(t))}
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "collections.db"), Options{Embedder: emb})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	c, err := s.Create(ctx, NewCollection{Name: "notes", EmbeddingModel: "stories"})
	if err != nil {
		t.Fatal(err)
	}

	refused := []struct{ dir, want string }{
		{filepath.Join(home, ".ssh"), "hidden"},
		{filepath.Join(home, ".aws"), "hidden"},
		{"/etc", "outside your home folder"},
		{filepath.Join(home, "ssh-copy"), "hidden"},
		{filepath.Join(home, "etc"), "outside your home folder"},
		{filepath.Join(home, "Library", "Keychains"), "Library"},
		{filepath.Join(home, "keys"), "Library"},
		{home + "/notes/../.ssh", "hidden"},
	}
	for _, tt := range refused {
		sum, err := s.AddFolder(ctx, c.ID, tt.dir, nil)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("AddFolder(%s) = %+v, %v; want an invalid-request error saying %q", tt.dir, sum, err, tt.want)
		}
	}

	sum, err := s.AddFolder(ctx, c.ID, home, nil)
	if err != nil {
		t.Fatal(err)
	}
	docs, err := s.Documents(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range docs {
		names = append(names, strings.TrimPrefix(d.Name, home+"/"))
	}
	if strings.Join(names, ",") != "notes/inside.md,notes/ok.md" {
		t.Errorf("indexed %v, want only notes/inside.md and notes/ok.md; skips: %+v", names, sum.Skips)
	}
	for _, d := range docs {
		ps, _ := s.Passages(ctx, c.ID, d.ID)
		for _, p := range ps {
			if strings.Contains(p.Text, "PRIVATE KEY") {
				t.Errorf("%s serves a secret: %q", d.Name, p.Text)
			}
		}
	}
	skipped := map[string]string{}
	for _, sk := range sum.Skips {
		skipped[strings.TrimPrefix(sk.Path, home+"/")] = sk.Reason
	}
	for _, rel := range []string{"notes/id_rsa", "notes/id_ed25519", "notes/server.pem", "notes/tls.key", "notes/credentials", "notes/hosts.txt", "notes/readme.txt", "notes/aws.txt"} {
		if skipped[rel] == "" {
			t.Errorf("%s: not reported as skipped; skips: %v", rel, skipped)
		}
	}
	for _, sk := range sum.Skips {
		if sk.Code != SkipNotAllowed {
			t.Errorf("%s: skipped with code %q, want %q", sk.Path, sk.Code, SkipNotAllowed)
		}
	}
}
