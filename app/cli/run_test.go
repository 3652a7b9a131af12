package cli

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/perchapp/perch/engine/sharedtest"
)

// TestRunOnePrompt: a base model (no chat template) continues the prompt, greedily giving
// stories260K's known text, both with the engine in this process and through a running server.
func TestRunOnePrompt(t *testing.T) {
	stories := sharedtest.Model(t, "stories260K.gguf")
	t.Setenv("PERCH_HOME", t.TempDir())
	const want = ", there was a little girl named Lily"

	t.Run("in process", func(t *testing.T) {
		t.Setenv("PERCH_HOST", "127.0.0.1:1") // nothing listens there
		out := mustPerch(t, "run", stories, "Once upon a time", "--temperature", "0", "-n", "16")
		if !strings.HasPrefix(out, want) {
			t.Fatalf("got %q, want it to start with %q", out, want)
		}
	})

	t.Run("through perch serve", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		t.Setenv("PERCH_MODELS_DIRS", sharedtest.Path(t, "models"))
		app, err := openApp(serveFlags{host: addr})
		if err != nil {
			t.Fatal(err)
		}
		defer app.Close()
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 1)
		ready := make(chan struct{})
		go func() { served <- app.Serve(ctx, func(string) { close(ready) }) }()
		select {
		case <-ready:
		case err := <-served:
			t.Fatal(err)
		case <-time.After(10 * time.Second):
			t.Fatal("the server did not start")
		}
		t.Setenv("PERCH_HOST", addr)
		out := mustPerch(t, "run", "stories260k", "Once upon a time", "--temperature", "0", "-n", "16")
		if !strings.HasPrefix(out, want) {
			t.Errorf("got %q, want it to start with %q", out, want)
		}
		ps := mustPerch(t, "ps")
		if !strings.Contains(ps, "stories260k") {
			t.Errorf("perch ps does not list the model the run loaded:\n%s", ps)
		}
		cancel()
		<-served
	})
}
