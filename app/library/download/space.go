package download

import (
	"fmt"

	"github.com/shirou/gopsutil/v4/disk"
)

// diskFree is the default free-space probe (gopsutil works on macOS and Linux alike).
func diskFree(dir string) (uint64, error) {
	u, err := disk.Usage(dir)
	if err != nil {
		return 0, fmt.Errorf("free space of %s: %w", dir, err)
	}
	return u.Free, nil
}

// CheckSpace returns a *SpaceError when dir has less than need bytes free. A probe that fails
// is logged and ignored: a missing number should not block a download.
func (d *Downloader) CheckSpace(dir string, need int64) error {
	if need <= 0 {
		return nil
	}
	free, err := d.freeSpace(dir)
	if err != nil {
		d.log.Warn("cannot check free disk space", "dir", dir, "err", err)
		return nil
	}
	if free < uint64(need) {
		return &SpaceError{Dir: dir, Need: uint64(need), Free: free}
	}
	return nil
}

// FreeSpace is the bytes free on the disk holding dir.
func FreeSpace(dir string) (uint64, error) { return diskFree(dir) }
