package library

import (
	"os"
	"sync"
	"time"

	"github.com/perchapp/perch/app/library/ggufmeta"
)

// metaCache keeps parsed GGUF headers by path, size and modification time, so listing
// models does not parse every header every time.
type metaCache struct {
	mu sync.Mutex
	m  map[string]metaEntry
}

type metaEntry struct {
	size int64
	mod  time.Time
	info ggufmeta.Info
	err  error
}

func (c *metaCache) get(path string) (ggufmeta.Info, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return ggufmeta.Info{}, err
	}
	c.mu.Lock()
	e, ok := c.m[path]
	c.mu.Unlock()
	if ok && e.size == fi.Size() && e.mod.Equal(fi.ModTime()) {
		return e.info, e.err
	}
	info, err := ggufmeta.Read(path)
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]metaEntry{}
	}
	c.m[path] = metaEntry{size: fi.Size(), mod: fi.ModTime(), info: info, err: err}
	c.mu.Unlock()
	return info, err
}
