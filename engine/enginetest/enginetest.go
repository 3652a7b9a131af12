// Package enginetest lets a package's tests run the real engine: the test binary stands in
// for `perch engine`, and test models are named files.
package enginetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"testing"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/worker"
)

// Main is a TestMain: when the engine started this test binary as a worker (with "engine",
// as it starts `perch engine`), it runs the worker; otherwise the tests.
func Main(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "engine" {
		os.Exit(worker.Main(context.Background(), os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// Files resolves model names to GGUF files. Each name gets its own identity (digest), as
// two library models would, even when two names share a file.
type Files map[string]string

// Resolve implements engine.Resolver.
func (f Files) Resolve(_ context.Context, name string) (engine.ModelRef, error) {
	p, ok := f[name]
	if !ok {
		return engine.ModelRef{}, engine.ErrUnknownModel
	}
	sum := sha256.Sum256([]byte(name))
	return engine.ModelRef{Name: name, Path: p, Digest: "sha256:" + hex.EncodeToString(sum[:])}, nil
}
