package api_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/perchapp/perch/app/api"
)

// TestNpmClients runs the npm packages openai (6.x) and ollama (0.6.4) against the server
// through testdata/npm/clients.mjs. It needs node and `npm ci` in testdata/npm; the script
// also runs by hand against any server: node clients.mjs BASE_URL MODEL [EMBED_MODEL].
func TestNpmClients(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	dir := filepath.Join("testdata", "npm")
	for _, pkg := range []string{"openai", "ollama"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json")); err != nil {
			t.Skipf("npm package %s is not installed: run npm ci in app/api/testdata/npm", pkg)
		}
	}
	ts := newServer(t, api.Config{APIKey: "npm-key"})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "clients.mjs", ts.URL, "tiny", "embed")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PERCH_API_KEY=npm-key")
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("the npm clients failed: %v", err)
	}
}
