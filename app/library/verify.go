package library

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// A blob's name is its sha256, but a file can change under the store (an editor, a disk
// error, another tool). Loading checks each blob cheaply, against a sample of its bytes
// recorded once the full hash was seen to match; the full sha256 runs in the background the
// first time a blob is loaded in this process. A blob that fails either is damaged: loads
// fail with an error that says so, rather than the model answering garbage.

// ErrDamaged is a stored model whose file no longer matches its digest.
var ErrDamaged = errors.New("the model's file is damaged")

// verifier remembers which blobs this process has checked.
type verifier struct {
	mu      sync.Mutex
	state   map[string]error // blob path → nil: verified; ErrDamaged: damaged
	running map[string]bool
	wg      sync.WaitGroup
}

// sampleBlock is the size of each sampled block; sampleBlocks are spread over the file.
const (
	sampleBlock  = 64 << 10
	sampleBlocks = 8
)

// sampleSum hashes the file's size, first block and sampleBlocks blocks spread over it:
// a few hundred KiB read, whatever the file's size.
func sampleSum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%d\n", st.Size())
	buf := make([]byte, sampleBlock)
	for i := int64(0); i <= sampleBlocks; i++ {
		off := i * max(st.Size()-sampleBlock, 0) / sampleBlocks
		n, err := f.ReadAt(buf, off)
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		h.Write(buf[:n])
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func samplePath(blob string) string { return blob + ".sample" }

// checkBlobs checks a model's blobs before a load: a recorded sample that no longer matches,
// or a full hash found wrong earlier, is ErrDamaged. Blobs not fully hashed in this process
// are hashed in the background.
func (s *Store) checkBlobs(m Model) error {
	if m.External {
		return nil
	}
	for _, p := range m.Files {
		want, ok := strings.CutPrefix(filepath.Base(p), "sha256-")
		if !ok {
			continue
		}
		if err := s.verify.known(p); err != nil {
			return fmt.Errorf("%s: %w", m.Name, err)
		}
		if rec, err := os.ReadFile(samplePath(p)); err == nil {
			got, err := sampleSum(p)
			if err == nil && got != strings.TrimSpace(string(rec)) {
				err := s.verify.mark(p, fmt.Errorf("%w: %s changed since it was stored (its sampled checksum differs); delete the model and pull or import it again", ErrDamaged, p))
				s.log.Error("damaged model file", "model", m.Name, "path", p)
				return fmt.Errorf("%s: %w", m.Name, err)
			}
		}
		s.verify.background(p, func() { s.fullCheck(m.Name, p, want) })
	}
	return nil
}

// fullCheck hashes the blob; on a match it records the sample for later loads, on a
// mismatch it marks the blob damaged.
func (s *Store) fullCheck(model, path, want string) {
	digest, _, err := hashCopy(context.Background(), io.Discard, path, func(int64, int64) {})
	if err != nil {
		s.log.Warn("cannot verify a model file", "model", model, "path", path, "err", err)
		s.verify.forget(path)
		return
	}
	if digest != "sha256:"+want {
		s.verify.mark(path, fmt.Errorf("%w: %s no longer matches its sha256; delete the model and pull or import it again", ErrDamaged, path))
		s.log.Error("damaged model file: its sha256 does not match", "model", model, "path", path)
		return
	}
	if sum, err := sampleSum(path); err == nil {
		_ = os.WriteFile(samplePath(path), []byte(sum+"\n"), 0o644)
	}
	s.verify.mark(path, nil)
}

func (v *verifier) known(path string) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.state[path]
}

func (v *verifier) mark(path string, err error) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.state == nil {
		v.state = map[string]error{}
	}
	v.state[path] = err
	delete(v.running, path)
	return err
}

func (v *verifier) forget(path string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	delete(v.running, path)
}

// background runs check once per blob per process, unless one is running or done.
func (v *verifier) background(path string, check func()) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if _, done := v.state[path]; done || v.running[path] {
		return
	}
	if v.running == nil {
		v.running = map[string]bool{}
	}
	v.running[path] = true
	v.wg.Add(1)
	go func() {
		defer v.wg.Done()
		check()
	}()
}
