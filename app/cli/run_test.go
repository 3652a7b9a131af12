package cli

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/chat"
	"github.com/perchapp/perch/engine/enginetest"
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

// TestRunLongChatTrimmed: a terminal chat that outgrows the context goes on answering, its
// oldest turns left out (app/chats/answer's trimming), instead of failing every later message.
func TestRunLongChatTrimmed(t *testing.T) {
	models := enginetest.Files{"stories": sharedtest.Model(t, "stories260K.gguf")}
	eng, err := engine.New(engine.Config{Resolver: models, Command: []string{os.Args[0], "engine"}, RuntimeDir: t.TempDir(), Threads: 2, Slots: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer eng.Close()
	var out, errOut strings.Builder
	s := &chatSession{be: localBackend{eng}, model: "stories", out: &out, errOut: &errOut,
		flags:   runFlags{temperature: 0, topK: 40, topP: 0.9, seed: 1, numPredict: 8, ctx: 256},
		history: []chat.Message{{Role: "system", Content: "Tell stories."}}}
	var in strings.Builder
	for i := range 12 {
		fmt.Fprintf(&in, "%s %d\n", strings.Repeat("Once upon a time there was a little dog. ", 4), i)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.interactive(ctx, strings.NewReader(in.String())); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(errOut.String(), "error:") || !strings.Contains(errOut.String(), "oldest messages were left out") {
		t.Errorf("stderr:\n%s", errOut.String())
	}
	if n := len(s.history); n >= 1+2*12 || s.history[0].Role != "system" || s.history[n-1].Role != "assistant" {
		t.Errorf("history of %d messages, starting %q, ending %q", n, s.history[0].Role, s.history[n-1].Role)
	}
}
