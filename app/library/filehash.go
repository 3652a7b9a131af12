package library

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// fileHashes keeps the sha256 of models-directory files by path, size and modification time,
// in memory and in a small JSON file under the store's folder, so each file is hashed once
// (Ollama clients expect a real 64-hex digest for every model).
type fileHashes struct {
	mu     sync.Mutex
	file   string // where the table is kept; "" keeps it in memory only
	loaded bool
	m      map[string]fileHash
	// busy serialises hashing of one path, so concurrent listings read a big file once.
	busy map[string]*sync.Mutex
}

type fileHash struct {
	Size   int64     `json:"size"`
	Mod    time.Time `json:"mod"`
	Digest string    `json:"digest"` // "sha256:<hex>"
}

const fileHashesName = "file-digests.json"

// digest returns "sha256:<hex>" of the file at path, hashing it only when its size or
// modification time changed since the last time.
func (c *fileHashes) digest(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", err
	}
	lock := c.pathLock(path)
	lock.Lock()
	defer lock.Unlock()
	if d, ok := c.cached(path, fi); ok {
		return d, nil
	}
	d, err := hashFile(path)
	if err != nil {
		return "", err
	}
	c.mu.Lock()
	c.m[path] = fileHash{Size: fi.Size(), Mod: fi.ModTime(), Digest: d}
	snapshot, _ := json.Marshal(c.m)
	c.mu.Unlock()
	c.save(snapshot)
	return d, nil
}

func (c *fileHashes) pathLock(path string) *sync.Mutex {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.load()
	if c.busy == nil {
		c.busy = map[string]*sync.Mutex{}
	}
	l, ok := c.busy[path]
	if !ok {
		l = &sync.Mutex{}
		c.busy[path] = l
	}
	return l
}

func (c *fileHashes) cached(path string, fi os.FileInfo) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[path]
	return e.Digest, ok && e.Size == fi.Size() && e.Mod.Equal(fi.ModTime())
}

// load reads the saved table once; a missing or unreadable one starts empty. c.mu is held.
func (c *fileHashes) load() {
	if c.loaded {
		return
	}
	c.loaded, c.m = true, map[string]fileHash{}
	if c.file == "" {
		return
	}
	if b, err := os.ReadFile(c.file); err == nil {
		json.Unmarshal(b, &c.m)
	}
}

// save writes the table atomically; failing to save only costs a hash later.
func (c *fileHashes) save(b []byte) {
	if c.file == "" || b == nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(c.file), ".file-digests-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if werr != nil || cerr != nil || os.Rename(tmp.Name(), c.file) != nil {
		os.Remove(tmp.Name())
	}
}

func hashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}
