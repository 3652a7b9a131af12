package engine_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/enginetest"
	"github.com/perchapp/perch/engine/sharedtest"
)

// setBuildID stamps this test binary as `make build` stamps perch.
func setBuildID(t *testing.T, id string) {
	old := engine.BuildID
	engine.BuildID = id
	t.Cleanup(func() { engine.BuildID = old })
}

// perch-engine is used only when it answers with this build's id: a stale one from another
// build could speak another wire.
func TestWorkerCommandPicksSameBuild(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "perch")
	small := filepath.Join(dir, engine.WorkerBinary)
	big := []string{exe, "engine"}
	for _, c := range []struct {
		name, build, script string
		want                []string
	}{
		{"same build", "b1", "echo b1", []string{small}},
		{"another build", "b1", "echo b0", big},
		{"fails", "b1", "exit 3", big},
		{"unstamped perch", "", "echo ''", big},
		{"absent", "b1", "", big},
	} {
		t.Run(c.name, func(t *testing.T) {
			os.Remove(small)
			if c.script != "" {
				if err := os.WriteFile(small, []byte("#!/bin/sh\n"+c.script+"\n"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			setBuildID(t, c.build)
			if got := engine.WorkerCommand(context.Background(), exe); !slices.Equal(got, c.want) {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

// The real perch-engine, built as `make build` builds it, serves a model exactly as
// `perch engine` does.
func TestWorkerBinaryServes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds perch-engine")
	}
	dir := t.TempDir()
	const id = "test-build"
	build := exec.Command("go", "build", "-o", filepath.Join(dir, engine.WorkerBinary),
		"-ldflags", "-X github.com/perchapp/perch/engine.BuildID="+id, "github.com/perchapp/perch/engine/cmd/perch-engine")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build perch-engine: %v\n%s", err, out)
	}
	setBuildID(t, id)
	cmd := engine.WorkerCommand(context.Background(), filepath.Join(dir, "perch"))
	if len(cmd) != 1 || filepath.Base(cmd[0]) != engine.WorkerBinary {
		t.Fatalf("worker command %q; want perch-engine", cmd)
	}
	e, err := engine.New(engine.Config{Command: cmd, RuntimeDir: t.TempDir(), Threads: 1,
		Resolver: enginetest.Files{"stories": sharedtest.Model(t, "stories260K.gguf")}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	res, err := e.Complete(context.Background(), greedy("stories", "Once upon a time", 16), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Text, "there was a little girl named Lily") {
		t.Fatalf("text %q lacks the stories260K greedy continuation", res.Text)
	}
}
