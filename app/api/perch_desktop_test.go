package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perchapp/perch/app/docs"
)

// fakePicker stands in for the desktop window's native folder dialog (a real dialog cannot be
// driven headless): it answers with path, or waits for release when it is set.
type fakePicker struct {
	mu      sync.Mutex
	path    string
	titles  []string
	opened  chan struct{}
	release chan struct{}
}

func (p *fakePicker) PickFolder(ctx context.Context, title string) (string, error) {
	p.mu.Lock()
	p.titles = append(p.titles, title)
	path, opened, release := p.path, p.opened, p.release
	p.mu.Unlock()
	if opened != nil {
		opened <- struct{}{}
	}
	if release != nil {
		select {
		case <-release:
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	return path, nil
}

func (p *fakePicker) set(path string) {
	p.mu.Lock()
	p.path = path
	p.mu.Unlock()
}

func (p *fakePicker) calls() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.titles...)
}

// WithFolderPicker gives a test server the desktop window's folder dialog.
func WithFolderPicker(p FolderPicker) Option { return func(d *Deps) { d.FolderPicker = p } }

func statusFeatures(t *testing.T, env *perchEnv) map[string]bool {
	t.Helper()
	code, body := env.do(t, "GET", "/perch/status", "")
	var st struct {
		Features map[string]bool `json:"features"`
	}
	if err := json.Unmarshal([]byte(body), &st); code != 200 || err != nil {
		t.Fatalf("status: %d %s", code, body)
	}
	return st.Features
}

// Without the desktop shell (perch serve, a browser) there is no folder dialog: the status
// says so and the route answers 501.
func TestPickFolderAbsentWithoutDesktop(t *testing.T) {
	env := newPerchEnv(t, Config{}, WithCollections(openDocs(t)))
	if f := statusFeatures(t, env); f["folder_picker"] {
		t.Errorf("features.folder_picker is true without a picker: %v", f)
	}
	code, body := env.do(t, "POST", "/perch/desktop/pick-folder", `{"collection":1}`)
	if code != http.StatusNotImplemented || !strings.Contains(body, "desktop app") {
		t.Errorf("pick-folder without a picker: %d %s, want 501 naming the desktop app", code, body)
	}
}

// A folder picked in the dialog may be indexed even outside the home folder, for that
// collection; a typed path outside it is still refused, and a cancelled dialog allows nothing.
func TestPickFolderAllowsThePickedFolder(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, ".env"), []byte("TOKEN=secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	picker := &fakePicker{}
	store := openDocs(t)
	env := newPerchEnv(t, Config{}, WithCollections(store), WithFolderPicker(picker))
	if f := statusFeatures(t, env); !f["folder_picker"] {
		t.Errorf("features.folder_picker is false with a picker: %v", f)
	}
	c, err := store.Create(context.Background(), docs.NewCollection{Name: "notes", EmbeddingModel: "stories260k"})
	if err != nil {
		t.Fatal(err)
	}
	index := func() (int, string) {
		return env.do(t, "POST", fmt.Sprintf("/perch/collections/%d/folders", c.ID), fmt.Sprintf(`{"path":%q,"stream":false}`, outside))
	}
	if code, body := index(); code != http.StatusBadRequest || !strings.Contains(body, "outside your home folder") {
		t.Fatalf("typed path outside home: %d %s, want 400", code, body)
	}

	// Cancelled: nothing is allowed.
	code, body := env.do(t, "POST", "/perch/desktop/pick-folder", fmt.Sprintf(`{"collection":%d,"title":"Choose a folder for notes"}`, c.ID))
	if code != 200 || strings.TrimSpace(body) != `{"path":"","cancelled":true}` {
		t.Fatalf("cancelled pick: %d %s", code, body)
	}
	if code, _ := index(); code != http.StatusBadRequest {
		t.Fatalf("a cancelled pick allowed the folder: %d", code)
	}

	picker.set(outside)
	code, body = env.do(t, "POST", "/perch/desktop/pick-folder", fmt.Sprintf(`{"collection":%d}`, c.ID))
	want, _ := json.Marshal(pickFolderResponse{Path: outside})
	if code != 200 || strings.TrimSpace(body) != string(want) {
		t.Fatalf("pick: %d %s, want 200 %s", code, body, want)
	}
	if got := picker.calls(); len(got) != 2 || got[0] != "Choose a folder for notes" || got[1] != "Choose a folder of documents" {
		t.Errorf("dialog titles %q", got)
	}
	code, body = index()
	var sum docs.Summary
	if err := json.Unmarshal([]byte(body), &sum); code != 200 || err != nil || sum.Files != 0 {
		t.Fatalf("indexing the picked folder: %d %s, want 200 with the hidden file left out", code, body)
	}
}

// What the dialog returns is checked like any folder: a hidden one is refused; an unknown
// collection is refused before any dialog opens; one dialog at a time.
func TestPickFolderBadInput(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	picker := &fakePicker{path: filepath.Join(home, ".ssh")}
	store := openDocs(t)
	env := newPerchEnv(t, Config{}, WithCollections(store), WithFolderPicker(picker))
	c, err := store.Create(context.Background(), docs.NewCollection{Name: "notes", EmbeddingModel: "stories260k"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		body       string
		code       int
		want       string
		dialogOpen bool
	}{
		{fmt.Sprintf(`{"collection":%d}`, c.ID), 400, "hidden", true},
		{`{"collection":99}`, 404, "not_found", false},
		{`{}`, 400, `"param":"collection"`, false},
		{fmt.Sprintf(`{"collection":%d,"title":%q}`, c.ID, strings.Repeat("x", 201)), 400, `"param":"title"`, false},
		{`not json`, 400, "", false},
	} {
		before := len(picker.calls())
		code, body := env.do(t, "POST", "/perch/desktop/pick-folder", tt.body)
		if code != tt.code || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d %s, want %d with %q", tt.body, code, body, tt.code, tt.want)
		}
		if opened := len(picker.calls()) > before; opened != tt.dialogOpen {
			t.Errorf("%s: dialog opened %v, want %v", tt.body, opened, tt.dialogOpen)
		}
	}

	// A second request while the dialog is open is refused at once.
	picker.mu.Lock()
	picker.opened, picker.release = make(chan struct{}, 1), make(chan struct{})
	picker.mu.Unlock()
	first := make(chan int, 1)
	go func() {
		code, _ := env.do(t, "POST", "/perch/desktop/pick-folder", fmt.Sprintf(`{"collection":%d}`, c.ID))
		first <- code
	}()
	select {
	case <-picker.opened:
	case <-time.After(10 * time.Second):
		t.Fatal("the dialog never opened")
	}
	code, body := env.do(t, "POST", "/perch/desktop/pick-folder", fmt.Sprintf(`{"collection":%d}`, c.ID))
	if code != http.StatusConflict || !strings.Contains(body, "already open") {
		t.Errorf("second pick while one is open: %d %s, want 409", code, body)
	}
	close(picker.release)
	if code := <-first; code != 400 { // .ssh: hidden
		t.Errorf("first pick: %d", code)
	}
}
