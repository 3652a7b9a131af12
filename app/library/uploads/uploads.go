// Package uploads keeps the model files a browser sends in chunks until they are imported.
// A browser page never learns a file's path, so the file picker and drag and drop send the
// bytes: Start, then Chunk after chunk (each under the server's body limit), then Finish,
// which hands the whole file to an import. Chunks give the UI a progress bar and let an
// interrupted upload continue from where it stopped. Uploads nobody feeds for an hour are
// discarded; Close discards those in progress, so no partial file outlives the server.
package uploads

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/perchapp/perch/app/library"
	"github.com/perchapp/perch/app/library/download"
)

const (
	// MaxChunk is the most one chunk may carry; it stays well under the server's 32 MiB body limit.
	MaxChunk = 16 << 20
	// Idle is how long an upload may sit without a chunk before it is discarded.
	Idle = time.Hour
	// MaxSize is more than the largest GGUF models published (about 700 GiB).
	MaxSize = 1 << 40
)

var ggufMagic = []byte("GGUF")

// Kind says how a refused step is answered (the API maps it to a status).
type Kind int

// Kinds of Error.
const (
	Invalid  Kind = iota // bad input: 400
	NotFound             // no such upload: 404
	Conflict             // the upload's state does not allow it: 409
	DiskFull             // no room for the file: 507
)

// Error is a refused step, worded for the person uploading.
type Error struct {
	Kind    Kind
	Code    string // wrong_offset, incomplete, not_found, disk_full
	Param   string
	Message string
}

func (e *Error) Error() string { return e.Message }

func invalid(param, format string, args ...any) *Error {
	return &Error{Kind: Invalid, Param: param, Message: fmt.Sprintf(format, args...)}
}

// ErrClosed refuses uploads once the service is closed.
var ErrClosed = errors.New("the server is shutting down; upload the file again after it restarts")

// Upload is one file on its way from the browser, as the UI sees it.
type Upload struct {
	ID       string `json:"id"`
	Filename string `json:"filename"`
	Name     string `json:"name"`
	Size     int64  `json:"size"`
	Received int64  `json:"received"`
}

type upload struct {
	mu      sync.Mutex
	view    Upload
	path    string    // the partial file
	touched time.Time // the last chunk
}

// Service holds the uploads in progress, as files in one folder.
type Service struct {
	dir string
	now func() time.Time

	mu     sync.Mutex
	all    map[string]*upload
	closed bool
}

// New keeps uploads in dir, which should be on the store's disk so an import can hard-link.
func New(dir string, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{dir: dir, now: now, all: map[string]*upload{}}
}

// Check refuses what cannot start an upload: a name without .gguf, a size no GGUF has.
func Check(filename string, size int64) error {
	if !strings.HasSuffix(strings.ToLower(filename), ".gguf") {
		return invalid("filename", "only .gguf model files can be imported, got %q", filename)
	}
	if size < int64(len(ggufMagic)) {
		return invalid("size", "size must be the file's size in bytes, got %d", size)
	}
	return nil
}

// Start begins an upload of filename (a .gguf), size bytes, to be imported as name.
func (s *Service) Start(filename string, size int64, name string) (Upload, error) {
	if err := Check(filename, size); err != nil {
		return Upload{}, err
	}
	s.Sweep()
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return Upload{}, fmt.Errorf("create the upload folder: %w", err)
	}
	if err := checkSpace(s.dir, size); err != nil {
		return Upload{}, err
	}
	b := make([]byte, 8)
	rand.Read(b)
	id := hex.EncodeToString(b)
	path := filepath.Join(s.dir, id+".upload")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return Upload{}, fmt.Errorf("create the upload file: %w", err)
	}
	f.Close()
	up := &upload{view: Upload{ID: id, Filename: filepath.Base(filename), Name: name, Size: size}, path: path, touched: s.now()}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		os.Remove(path)
		return Upload{}, ErrClosed
	}
	s.all[id] = up
	return up.view, nil
}

// checkSpace refuses a file larger than any model, or than the disk has room for.
func checkSpace(dir string, size int64) error {
	if size > MaxSize {
		return invalid("size", "size %d is larger than any model file (the limit is %d GiB); give the file's size in bytes", size, MaxSize>>30)
	}
	free, err := download.FreeSpace(dir)
	if err != nil || uint64(size) <= free {
		return nil // a probe that fails must not block an import
	}
	return &Error{Kind: DiskFull, Code: "disk_full", Param: "size",
		Message: fmt.Sprintf("the file is %.1f GiB but the disk has %.1f GiB free; free some space and try again", float64(size)/(1<<30), float64(free)/(1<<30))}
}

// Sweep discards uploads nobody has fed for a while, and files a previous run left.
func (s *Service) Sweep() {
	s.mu.Lock()
	for id, up := range s.all {
		up.mu.Lock()
		stale := s.now().Sub(up.touched) > Idle
		up.mu.Unlock()
		if stale {
			os.Remove(up.path)
			delete(s.all, id)
		}
	}
	live := map[string]bool{}
	for _, up := range s.all {
		live[filepath.Base(up.path)] = true
	}
	s.mu.Unlock()
	ents, _ := os.ReadDir(s.dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".upload") && !live[e.Name()] {
			if info, err := e.Info(); err == nil && s.now().Sub(info.ModTime()) > Idle {
				os.Remove(filepath.Join(s.dir, e.Name()))
			}
		}
	}
}

func (s *Service) get(id string) (*upload, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	up, ok := s.all[id]
	if !ok {
		return nil, &Error{Kind: NotFound, Code: "not_found",
			Message: fmt.Sprintf("no upload %q (it finished, was discarded, or sat idle for over an hour); start again", id)}
	}
	return up, nil
}

// Get returns an upload in progress.
func (s *Service) Get(id string) (Upload, error) {
	up, err := s.get(id)
	if err != nil {
		return Upload{}, err
	}
	up.mu.Lock()
	defer up.mu.Unlock()
	return up.view, nil
}

// Discard drops an upload and its partial file.
func (s *Service) Discard(id string) error {
	if _, err := s.get(id); err != nil {
		return err
	}
	s.drop(id)
	return nil
}

func (s *Service) drop(id string) {
	s.mu.Lock()
	up, ok := s.all[id]
	delete(s.all, id)
	s.mu.Unlock()
	if ok {
		os.Remove(up.path)
	}
}

// Chunk appends body at off, which must be where the upload stands (so a retried chunk is
// not written twice). A failed chunk is cut back, so a retry starts clean. Cancelling ctx
// stops the copy.
func (s *Service) Chunk(ctx context.Context, id string, off int64, body io.Reader) (Upload, error) {
	up, err := s.get(id)
	if err != nil {
		return Upload{}, err
	}
	up.mu.Lock()
	defer up.mu.Unlock()
	if off != up.view.Received {
		return Upload{}, &Error{Kind: Conflict, Code: "wrong_offset",
			Message: fmt.Sprintf("the upload stands at byte %d, not %d; send the chunk that starts there", up.view.Received, off)}
	}
	f, err := os.OpenFile(up.path, os.O_WRONLY, 0)
	if err != nil {
		return Upload{}, fmt.Errorf("open the upload file: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return Upload{}, fmt.Errorf("seek the upload file: %w", err)
	}
	n, err := up.write(ctx, f, off, body)
	if err != nil {
		f.Truncate(off) // keep only whole chunks
		return Upload{}, err
	}
	up.view.Received = off + n
	up.touched = s.now()
	return up.view, nil
}

func (up *upload) write(ctx context.Context, f *os.File, off int64, body io.Reader) (int64, error) {
	limit := min(up.view.Size-off, MaxChunk)
	if off == 0 {
		// Refuse a file that is not a GGUF at its first chunk, not after gigabytes.
		head := make([]byte, len(ggufMagic))
		if _, err := io.ReadFull(body, head); err != nil || !bytes.Equal(head, ggufMagic) {
			return 0, invalid("file", "%s is not a GGUF model file (it does not start with \"GGUF\")", up.view.Filename)
		}
		body = io.MultiReader(bytes.NewReader(head), body)
	}
	n, err := io.Copy(f, io.LimitReader(ctxReader{ctx, body}, limit+1))
	if err == nil && n > limit {
		err = invalid("", "the chunk is too large: at most %d bytes fit here (chunks are at most %d bytes, and the file is %d)", limit, MaxChunk, up.view.Size)
	}
	return n, err
}

// ctxReader stops a copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Finish hands a complete upload to imp (path: the whole file, name: the model's name) and
// drops it, imported or not. The import is not cut short when ctx ends (hashing gigabytes
// takes a while, and a half-done import would leave the store to clean up), up to 30 minutes.
func (s *Service) Finish(ctx context.Context, id string, imp func(ctx context.Context, path, name string) error) error {
	up, err := s.get(id)
	if err != nil {
		return err
	}
	up.mu.Lock()
	v, path := up.view, up.path
	up.mu.Unlock()
	if v.Received != v.Size {
		return &Error{Kind: Conflict, Code: "incomplete",
			Message: fmt.Sprintf("the upload has %d of %d bytes; send the rest first", v.Received, v.Size)}
	}
	defer s.drop(id)
	if err := library.CheckImportable(path); err != nil {
		return invalid("file", "%s is not a GGUF model file (it does not start with \"GGUF\")", v.Filename)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Minute)
	defer cancel()
	if err := imp(ctx, path, v.Name); err != nil {
		return fmt.Errorf("import %s: %w", v.Filename, err)
	}
	return nil
}

// Close discards the uploads in progress (their ids die with the server, so their partial
// files could never be finished) and refuses new ones.
func (s *Service) Close() error {
	s.mu.Lock()
	s.closed = true
	ids := make([]string, 0, len(s.all))
	for id := range s.all {
		ids = append(ids, id)
	}
	s.mu.Unlock()
	for _, id := range ids {
		s.drop(id)
	}
	return nil
}
