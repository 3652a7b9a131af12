package engine

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// BuildID names one build of Perch: `make build` and the Mac packaging stamp the same value
// into perch and perch-engine with -ldflags "-X github.com/perchapp/perch/engine.BuildID=…".
// Empty in builds that were not stamped (go test, go run).
var BuildID string

// WorkerBinary is the worker-only executable installed beside perch. It links the engine and
// llama.cpp's bindings but not the app (UI, stores, desktop shell), so each loaded model's
// process maps about half the bytes that `perch engine` does.
const WorkerBinary = "perch-engine"

// BuildIDFlag makes perch-engine print its BuildID and exit.
const BuildIDFlag = "--build-id"

// WorkerCommand is how this executable starts workers: perch-engine beside it when that file
// comes from the same build (a stale one from another build could speak another wire), else
// this executable's own `engine` subcommand.
func WorkerCommand(ctx context.Context, exe string) []string {
	small := filepath.Join(filepath.Dir(exe), WorkerBinary)
	if BuildID != "" && sameBuild(ctx, small) {
		return []string{small}
	}
	return []string{exe, "engine"}
}

func sameBuild(ctx context.Context, bin string) bool {
	if fi, err := os.Stat(bin); err != nil || fi.IsDir() {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, BuildIDFlag).Output()
	return err == nil && strings.TrimSpace(string(out)) == BuildID
}
