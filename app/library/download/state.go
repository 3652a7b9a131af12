package download

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync/atomic"

	"github.com/perchapp/perch/app/config"
)

// The sidecar (PATH.partial.json) records which byte ranges of PATH.partial are written, so
// a download continues after a crash, a dropped connection or a cancel. It is rewritten
// atomically after the partial file is synced, so it never claims bytes the disk may not
// have; if it does anyway (a power cut), the sha256 check at the end catches it.
type state struct {
	Version  int       `json:"version"`
	URL      string    `json:"url"`
	Digest   string    `json:"digest,omitempty"`
	Size     int64     `json:"size"` // -1: unknown, streamed in one piece, not resumable
	Segments []segment `json:"segments"`
}

type segment struct {
	Start int64 `json:"start"`
	End   int64 `json:"end"` // exclusive; -1 while the size is unknown
	Done  int64 `json:"done"`
}

const stateVersion = 1

func partialPath(path string) string { return path + ".partial" }
func statePath(path string) string   { return path + ".partial.json" }

// loadState reads the sidecar of path and returns it when it belongs to the same file (same
// digest, or the same URL when the digest is unknown, and the same size); otherwise nil.
func loadState(path string, req Request) *state {
	b, err := os.ReadFile(statePath(path))
	if err != nil {
		return nil
	}
	var st state
	if err := json.Unmarshal(b, &st); err != nil || st.Version != stateVersion || st.Size <= 0 {
		return nil
	}
	switch {
	case req.Digest != "" && st.Digest != req.Digest:
		return nil
	case req.Digest == "" && req.URL != "" && st.URL != req.URL:
		return nil
	case req.Size > 0 && st.Size != req.Size:
		return nil
	}
	var covered int64
	for _, s := range st.Segments {
		if s.Start < 0 || s.End > st.Size || s.Start > s.End || s.Done < 0 || s.Done > s.End-s.Start || s.Start != covered {
			return nil
		}
		covered = s.End
	}
	if covered != st.Size {
		return nil
	}
	return &st
}

func saveState(path string, st *state) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := config.WriteFileAtomic(statePath(path), b, 0o644); err != nil {
		return fmt.Errorf("save download state: %w", err)
	}
	return nil
}

// Remaining is how many bytes of a download to path are still missing, given its size: all
// of them unless a partial download with a matching sidecar is there.
func Remaining(path string, size int64) int64 {
	st := loadState(path, Request{Size: size})
	if st == nil {
		return size
	}
	if _, err := os.Stat(partialPath(path)); errors.Is(err, fs.ErrNotExist) {
		return size
	}
	left := size
	for _, s := range st.Segments {
		left -= s.Done
	}
	return left
}

// plan splits size into at most n segments of at least minSize bytes.
func plan(size int64, n int, minSize int64) []segment {
	if size <= 0 {
		return []segment{{Start: 0, End: -1}}
	}
	if minSize < 1 {
		minSize = 1
	}
	k := int64(n)
	if k < 1 {
		k = 1
	}
	if most := size / minSize; most < k {
		k = max(most, 1)
	}
	segs := make([]segment, 0, k)
	per := size / k
	for i := range k {
		start := i * per
		end := start + per
		if i == k-1 {
			end = size
		}
		segs = append(segs, segment{Start: start, End: end})
	}
	return segs
}

// live is a segment being downloaded; done is read by the progress and checkpoint loops.
type live struct {
	start, end int64
	done       atomic.Int64
}

func (l *live) complete() bool { return l.end >= 0 && l.start+l.done.Load() >= l.end }
