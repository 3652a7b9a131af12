// Package sharedtest finds the shared test material (../shared beside the repository: real
// models, tokenizer vectors, chat templates, yardsticks) and skips a test clearly when it is
// not there, so a plain clone still builds and passes.
package sharedtest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/perchapp/perch/engine/shareddir"
)

// EnvShared overrides where the shared material is.
const EnvShared = shareddir.EnvShared

// EnvRequire, set to 1 (as .ci/run does), turns the skips for missing shared material or a
// missing llama.cpp runtime into failures, so a green run means the real-model tests ran.
const EnvRequire = "PERCH_REQUIRE_SHARED"

// Find returns the shared folder, or "" when it is missing.
func Find() string { return shareddir.Find() }

// Skipf skips the test because something it needs from outside the repository (../shared,
// the llama.cpp runtime) is missing, or fails it when PERCH_REQUIRE_SHARED=1.
func Skipf(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv(EnvRequire) == "1" {
		t.Fatalf(format+" ("+EnvRequire+"=1: failing instead of skipping)", args...)
		return
	}
	t.Skipf(format, args...)
}

// Dir returns the shared folder or skips the test.
func Dir(t testing.TB) string {
	t.Helper()
	d := Find()
	if d == "" {
		Skipf(t, "../shared (real models and test vectors) is not here; skipping")
	}
	return d
}

// Path returns a file under the shared folder, skipping the test when it is missing.
func Path(t testing.TB, rel ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{Dir(t)}, rel...)...)
	if _, err := os.Stat(p); err != nil {
		Skipf(t, "%s is missing; skipping", p)
	}
	return p
}

// Model returns a model under shared/models.
func Model(t testing.TB, name string) string {
	t.Helper()
	return Path(t, "models", name)
}
