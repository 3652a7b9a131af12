// Package shareddir finds the shared test material (../shared beside the repository: real
// models, tokenizer vectors, chat templates, yardsticks). `perch bench` uses it to find a
// vocabulary, so it lives outside engine/sharedtest, which links package testing.
package shareddir

import (
	"os"
	"path/filepath"
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
