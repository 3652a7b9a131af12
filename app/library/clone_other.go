//go:build !linux && !darwin

package library

import "errors"

// cloneFile: no copy-on-write clones here; the caller copies.
func cloneFile(src, dst string) error { return errors.New("no file clones on this system") }
