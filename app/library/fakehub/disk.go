package fakehub

import (
	"os"
	"sync"
	"syscall"
)

// FullDisk is a file on a disk that fills up: its writes fail with ENOSPC once Limit bytes
// have been written. Downloads take it through download.WithFileWrapper.
type FullDisk struct {
	*os.File
	Limit int64

	mu      sync.Mutex
	written int64
}

// WriteAt writes p at off unless it would pass the limit.
func (f *FullDisk) WriteAt(p []byte, off int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.written+int64(len(p)) > f.Limit {
		return 0, &os.PathError{Op: "write", Path: f.Name(), Err: syscall.ENOSPC}
	}
	f.written += int64(len(p))
	return f.File.WriteAt(p, off)
}
