// Package sharedtest finds the shared test material (../shared beside the repository: real
// models, tokenizer vectors, chat templates, yardsticks) and skips a test clearly when it is
// not there, so a plain clone still builds and passes.
package sharedtest

import (
	"os"
	"path/filepath"
	"testing"
)

// EnvShared overrides where the shared material is.
const EnvShared = "PERCH_SHARED"

// Root returns the repository root (the folder with go.mod), or "" when not found.
func Root() string {
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		if filepath.Dir(dir) == dir {
			return ""
		}
	}
}

// Find returns the shared folder, or "" when it is missing.
func Find() string {
	if d := os.Getenv(EnvShared); d != "" {
		return d
	}
	root := Root()
	if root == "" {
		return ""
	}
	d := filepath.Join(root, "..", "shared")
	if _, err := os.Stat(filepath.Join(d, "models")); err != nil {
		return ""
	}
	return filepath.Clean(d)
}

// Dir returns the shared folder or skips the test.
func Dir(t testing.TB) string {
	t.Helper()
	d := Find()
	if d == "" {
		t.Skip("../shared (real models and test vectors) is not here; skipping")
	}
	return d
}

// Path returns a file under the shared folder, skipping the test when it is missing.
func Path(t testing.TB, rel ...string) string {
	t.Helper()
	p := filepath.Join(append([]string{Dir(t)}, rel...)...)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s is missing; skipping", p)
	}
	return p
}

// Model returns a model under shared/models.
func Model(t testing.TB, name string) string {
	t.Helper()
	return Path(t, "models", name)
}
