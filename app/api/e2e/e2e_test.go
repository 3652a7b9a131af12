// Package e2e runs the real-client conformance cases against the whole stack: the API
// server, the real engine (workers running llama.cpp) and a model store serving
// shared/models, as `perch serve --models-dir` does. It skips where the shared models or
// the llama.cpp libraries are missing.
package e2e_test

import (
	"context"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/perchapp/perch/app/api"
	"github.com/perchapp/perch/app/api/internal/compat"
	"github.com/perchapp/perch/app/api/storeadapter"
	"github.com/perchapp/perch/app/library"
	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/sharedtest"
	"github.com/perchapp/perch/engine/worker"
)

// TestMain lets this test binary act as the worker: the engine starts it with "engine".
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "engine" {
		os.Exit(worker.Main(context.Background(), os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// stories260KGreedy is the model's greedy continuation of "Once upon a time" (16 tokens), from
// shared/yardsticks/stories260K-reference.json.
const stories260KGreedy = "Once upon a time, there was a little girl named Lily. She loved to play"

func TestRealStack(t *testing.T) {
	if testing.Short() {
		t.Skip("starts llama.cpp workers")
	}
	models := filepath.Dir(sharedtest.Model(t, "stories260K.gguf"))
	store, err := library.Open(t.TempDir(), library.WithDirs(models))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	var srv *api.Server
	eng, err := engine.New(engine.Config{
		Resolver: store, Command: []string{os.Args[0], "engine"}, RuntimeDir: t.TempDir(), Threads: 1, ContextLength: 512, Log: log,
		OnWorkerExit: func(model string, _ error) { srv.ObserveWorkerRestart(model) },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Close)
	if _, err := eng.Load(context.Background(), "stories260k", engine.LoadOptions{}, nil); err != nil {
		t.Skipf("the engine cannot load stories260K here (llama.cpp libraries missing?): %v", err)
	}
	srv = api.New(api.Config{APIKey: "e2e-key", Version: "0.1.0", Logger: log}, eng, storeadapter.New(store))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); <-done })

	tg := compat.Target{BaseURL: "http://" + ln.Addr().String(), Model: "stories260k", EmbedModel: "stories260k", APIKey: "e2e-key", Story: stories260KGreedy}
	t.Run("openai", func(t *testing.T) { compat.Run(t, tg, compat.OpenAI()) })
	t.Run("ollama", func(t *testing.T) { compat.Run(t, tg, compat.Ollama()) })
	t.Run("npm", func(t *testing.T) {
		node, err := exec.LookPath("node")
		dir := filepath.Join("..", "testdata", "npm")
		if _, serr := os.Stat(filepath.Join(dir, "node_modules", "openai")); err != nil || serr != nil {
			t.Skip("node or the npm clients (npm ci in app/api/testdata/npm) are missing")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, node, "clients.mjs", tg.BaseURL, tg.Model, tg.EmbedModel)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "PERCH_API_KEY="+tg.APIKey)
		out, err := cmd.CombinedOutput()
		t.Logf("%s", out)
		if err != nil {
			t.Fatalf("the npm clients failed: %v", err)
		}
	})
}
