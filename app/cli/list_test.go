package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perchapp/perch/app/library"
)

func TestListCommand(t *testing.T) {
	e := newLibEnv(t)
	mustPerch(t, "pull", "hf.co/test/Stories-GGUF:Q8_0")
	dir := t.TempDir()
	if err := os.Symlink(e.storiesPath, filepath.Join(dir, "stories260K.gguf")); err != nil {
		t.Fatal(err)
	}
	// The running server (here a stand-in for its /api/ps) has stories260k loaded.
	ps := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/ps" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`{"models":[{"name":"stories260k"}]}`))
	}))
	t.Cleanup(ps.Close)
	t.Setenv("PERCH_HOST", ps.Listener.Addr().String())

	out := mustPerch(t, "ls", "--models-dir", dir)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME") {
		t.Fatalf("list:\n%s", out)
	}
	for _, w := range []string{"hf.co/test/Stories-GGUF:Q8_0", "F16", "1.8 MB", "library"} {
		if !strings.Contains(lines[1], w) {
			t.Errorf("row %q lacks %q", lines[1], w)
		}
	}
	for _, w := range []string{"stories260k", "F32", "yes", dir} {
		if !strings.Contains(lines[2], w) {
			t.Errorf("row %q lacks %q", lines[2], w)
		}
	}

	t.Setenv(library.EnvModelsDirs, dir)
	var models []library.Model
	if err := json.Unmarshal([]byte(mustPerch(t, "list", "--json")), &models); err != nil {
		t.Fatal(err)
	}
	if len(models) != 2 || !models[1].External || models[0].Digest == "" {
		t.Errorf("list --json: %+v", models)
	}
}
