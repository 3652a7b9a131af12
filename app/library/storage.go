package library

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"github.com/shirou/gopsutil/v4/disk"
)

// Kinds of model folders in a Usage.
const (
	UsageDownloads = "downloads" // where new downloads go
	UsageEarlier   = "earlier"   // an earlier downloads folder, still served
	UsageFolder    = "folder"    // a models folder whose .gguf files are served as they are
)

// Usage is a folder holding models: the bytes they take and the room left on its disk.
type Usage struct {
	Path       string
	Kind       string
	UsedBytes  int64
	Files      int
	FreeBytes  uint64
	TotalBytes uint64
	// Err says why the folder could not be read (a disk not mounted); the numbers are zero.
	Err error
}

// Storage reports every folder models live in: the downloads folder, earlier ones, then the
// models folders.
func (s *Store) Storage(ctx context.Context) []Usage {
	var out []Usage
	for i, d := range s.allBlobDirs() {
		kind := UsageDownloads
		if i > 0 {
			kind = UsageEarlier
		}
		u := Usage{Path: filepath.Dir(d), Kind: kind}
		u.UsedBytes, u.Files, u.Err = blobBytes(d)
		out = append(out, u.withDisk(d))
	}
	for _, d := range s.dirs {
		u := Usage{Path: d, Kind: UsageFolder}
		u.UsedBytes, u.Files, u.Err = ggufBytes(ctx, d)
		out = append(out, u.withDisk(d))
	}
	return out
}

func (u Usage) withDisk(dir string) Usage {
	if u.Err != nil {
		return u
	}
	du, err := disk.Usage(dir)
	if err != nil {
		u.Err = err
		return u
	}
	u.FreeBytes, u.TotalBytes = du.Free, du.Total
	return u
}

// blobBytes adds up the blobs in a blobs folder (finished and partial downloads).
func blobBytes(dir string) (int64, int, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0, 0, err
	}
	var n int64
	files := 0
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), "sha256-") && !strings.HasPrefix(e.Name(), "url-") {
			continue
		}
		if fi, err := e.Info(); err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
			files++
		}
	}
	return n, files, nil
}

// ggufBytes adds up the .gguf files below dir as the listing finds them (hidden entries
// skipped, links to files followed).
func ggufBytes(ctx context.Context, dir string) (int64, int, error) {
	if _, err := os.Stat(dir); err != nil {
		return 0, 0, err
	}
	var n int64
	files := 0
	err := walkGGUF(ctx, dir, nil, func(p string) error {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
			files++
		}
		return nil
	})
	return n, files, err
}
