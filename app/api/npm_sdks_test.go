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

// TestNpmSDKs runs the Vercel AI SDK 6 providers and LangChain JS against the server through
// testdata/npm/sdks.mjs (Zod schemas, forced tool calls, /v1/responses through openai(model)).
func TestNpmSDKs(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	dir := filepath.Join("testdata", "npm")
	for _, pkg := range []string{"ai", "@ai-sdk/openai", "@langchain/openai", "@langchain/ollama", "zod"} {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", pkg, "package.json")); err != nil {
			t.Skipf("npm package %s is not installed: run npm ci in app/api/testdata/npm", pkg)
		}
	}
	ts := newServer(t, api.Config{APIKey: "npm-key"})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "sdks.mjs", ts.URL, "tiny", "embed")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PERCH_API_KEY=npm-key")
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("the npm SDK clients failed: %v", err)
	}
}
