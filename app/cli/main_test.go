package cli

import (
	"context"
	"os"
	"testing"

	"github.com/perchapp/perch/engine/worker"
)

// TestMain lets the test binary stand in for `perch engine`, which commands start as workers.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "engine" {
		os.Exit(worker.Main(context.Background(), os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}
