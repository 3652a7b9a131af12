//go:build !unix

package download

import "os"

// lockFile is a no-op where flock is missing; one process at a time is then assumed.
func lockFile(*os.File) error { return nil }
