package library

import "golang.org/x/sys/unix"

// cloneFile makes dst a copy-on-write clone of src (APFS clonefile), sharing its blocks until
// either is written. An error means the file system cannot; copy instead.
func cloneFile(src, dst string) error { return unix.Clonefile(src, dst, unix.CLONE_NOFOLLOW) }
