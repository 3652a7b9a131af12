package e2e_test

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/perchapp/perch/app/api"
	"github.com/perchapp/perch/app/api/internal/compat"
	"github.com/perchapp/perch/app/api/storeadapter"
	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/sharedtest"
)

// toolContext holds a forced tool call's prompt (the tool prompt is ~600 tokens). stories260K
// declares a 2048-token context in its GGUF header, though it was trained on 512-token texts.
const toolContext = 2048

// TestRealStackClients runs the real clients whose cases do not fit TestRealStack's 512-token
// context, forced tool calls first, on stories260K with a 2048-token context: go-openai and
// langchaingo (every case) and the npm SDKs' forced tool calls.
func TestRealStackClients(t *testing.T) {
	if testing.Short() {
		t.Skip("starts llama.cpp workers")
	}
	tg := realStack(t, toolContext)
	t.Run("go clients", func(t *testing.T) {
		compat.GoClients(t, filepath.Join("..", "testdata", "goclients"), tg, "PERCH_REAL=1")
	})
	t.Run("forced tool calls", func(t *testing.T) {
		var calls []compat.Case
		for _, c := range append(compat.OpenAI(), compat.Responses()...) {
			if forcedCall(c) {
				calls = append(calls, c)
			}
		}
		compat.Run(t, tg, calls)
	})
	t.Run("npm SDKs forced tool calls", func(t *testing.T) {
		runSDKs(t, tg, "PERCH_ONLY=forced tool call")
	})
}

// realStack serves shared/models through the real engine with the given context length and
// returns the target for stories260K.
func realStack(t *testing.T, contextLength int) compat.Target {
	t.Helper()
	models := filepath.Dir(sharedtest.Model(t, "stories260K.gguf"))
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	eng, store := realEngine(t, engine.Config{ContextLength: contextLength, Log: log}, models)
	if _, err := eng.Load(context.Background(), "stories260k", engine.LoadOptions{}, nil); err != nil {
		sharedtest.Skipf(t, "the engine cannot load stories260K here (llama.cpp libraries missing?): %v", err)
	}
	srv := api.New(api.Config{APIKey: "e2e-key", Version: "0.1.0", Logger: log}, api.Deps{Engine: eng, Library: storeadapter.New(store)})
	base := serveOn(t, srv)
	return compat.Target{BaseURL: base, Model: "stories260k", EmbedModel: "stories260k", APIKey: "e2e-key", Story: stories260KGreedy}
}

// runSDKs runs testdata/npm/sdks.mjs against tg as a real model (PERCH_REAL), with env added;
// each of its cases becomes a subtest.
func runSDKs(t *testing.T, tg compat.Target, env ...string) {
	t.Helper()
	node, err := exec.LookPath("node")
	dir := filepath.Join("..", "testdata", "npm")
	if err != nil {
		t.Skip("node is not installed")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "ai", "package.json")); err != nil {
		t.Skip("the npm packages are not installed: make api-npm")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "sdks.mjs", tg.BaseURL, tg.Model, tg.EmbedModel)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "PERCH_API_KEY="+tg.APIKey, "PERCH_REAL=1"), env...)
	out, err := cmd.CombinedOutput()
	compat.Report(t, out)
	if err != nil {
		t.Fatalf("the npm SDK clients failed on the real stack: %v\n%s", err, out)
	}
}
