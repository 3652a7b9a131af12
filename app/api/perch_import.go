package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/perchapp/perch/app/library"
)

// Importing a GGUF the user has. Two ways in:
//
//   - POST /perch/models/import {"path": "/Users/me/model.gguf"}: the server reads the file
//     where it is. The server runs on the user's machine, so this is the cheap way, and the
//     only one for files larger than the browser can comfortably send.
//   - Uploads, for the file picker and drag and drop (a browser page never learns a file's
//     path): POST /perch/uploads, then PUT the bytes in chunks (each under the server's body
//     limit), then POST …/finish. Chunks give the UI a progress bar and let an interrupted
//     upload continue from where it stopped.

// maxChunk is the most one PUT may carry; it stays well under the server's 32 MiB body limit.
const maxChunk = 16 << 20

// uploadIdle is how long an upload may sit without a chunk before it is discarded.
const uploadIdle = time.Hour

var ggufMagic = []byte("GGUF")

type importPathRequest struct {
	Path string `json:"path"`
	Name string `json:"name"`
}

func (a *perchAPI) modelImportPath(w http.ResponseWriter, r *http.Request) error {
	var req importPathRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if req.Path == "" || !filepath.IsAbs(req.Path) {
		return badRequest("path", "path must be the absolute path of a .gguf file on this machine, got %q", req.Path)
	}
	path := filepath.Clean(req.Path)
	name, err := importName(req.Name, path)
	if err != nil {
		return err
	}
	if err := checkGGUF(path); err != nil {
		return err
	}
	m, err := a.importer.Import(r.Context(), path, name)
	if err != nil {
		return err // the library words it without echoing the path twice
	}
	writeJSON(w, http.StatusCreated, m)
	return nil
}

// importName is the given name, or the file's stem in lower case (as --models-dir names).
func importName(name, filename string) (string, error) {
	if name == "" {
		base := filepath.Base(strings.ReplaceAll(filename, `\`, "/"))
		name = strings.ToLower(strings.TrimSuffix(base, filepath.Ext(base)))
		name = strings.Map(func(c rune) rune {
			if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.ContainsRune("._-", c) {
				return c
			}
			return '-'
		}, name)
	}
	if err := validateModelName("name", name); err != nil {
		return "", err
	}
	return name, nil
}

// checkGGUF refuses what is not a readable GGUF file, before anything is copied; the
// message says no more than that (library.CheckImportable).
func checkGGUF(path string) error {
	if err := library.CheckImportable(path); err != nil {
		return badRequest("path", "%v", err)
	}
	return nil
}

// upload is one file on its way from the browser.
type upload struct {
	ID       string    `json:"id"`
	Filename string    `json:"filename"`
	Name     string    `json:"name"`
	Size     int64     `json:"size"`
	Received int64     `json:"received"`
	path     string    // the partial file
	touched  time.Time // the last chunk
	mu       sync.Mutex
}

type uploads struct {
	dir string
	now func() time.Time
	mu  sync.Mutex
	all map[string]*upload
}

func newUploads(dir string, now func() time.Time) *uploads {
	return &uploads{dir: dir, now: now, all: map[string]*upload{}}
}

// sweep discards uploads nobody has fed for a while, and files a previous run left.
func (u *uploads) sweep() {
	u.mu.Lock()
	for id, up := range u.all {
		up.mu.Lock()
		stale := u.now().Sub(up.touched) > uploadIdle
		up.mu.Unlock()
		if stale {
			os.Remove(up.path)
			delete(u.all, id)
		}
	}
	live := map[string]bool{}
	for _, up := range u.all {
		live[filepath.Base(up.path)] = true
	}
	u.mu.Unlock()
	ents, _ := os.ReadDir(u.dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".upload") && !live[e.Name()] {
			if info, err := e.Info(); err == nil && u.now().Sub(info.ModTime()) > uploadIdle {
				os.Remove(filepath.Join(u.dir, e.Name()))
			}
		}
	}
}

func (u *uploads) get(id string) (*upload, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	up, ok := u.all[id]
	if !ok {
		return nil, &apiError{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "not_found",
			Message: fmt.Sprintf("no upload %q (it finished, was discarded, or sat idle for over an hour); start again", id)}
	}
	return up, nil
}

func (u *uploads) drop(id string) {
	u.mu.Lock()
	up, ok := u.all[id]
	delete(u.all, id)
	u.mu.Unlock()
	if ok {
		os.Remove(up.path)
	}
}

type uploadStartRequest struct {
	Filename string `json:"filename"`
	Size     int64  `json:"size"`
	Name     string `json:"name"`
}

func (a *perchAPI) uploadStart(w http.ResponseWriter, r *http.Request) error {
	var req uploadStartRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if !strings.HasSuffix(strings.ToLower(req.Filename), ".gguf") {
		return badRequest("filename", "only .gguf model files can be imported, got %q", req.Filename)
	}
	if req.Size < int64(len(ggufMagic)) {
		return badRequest("size", "size must be the file's size in bytes, got %d", req.Size)
	}
	name, err := importName(req.Name, req.Filename)
	if err != nil {
		return err
	}
	a.uploads.sweep()
	if err := os.MkdirAll(a.uploadDir, 0o755); err != nil {
		return fmt.Errorf("create the upload folder: %w", err)
	}
	if err := checkUploadSize(a.uploadDir, req.Size); err != nil {
		return err
	}
	b := make([]byte, 8)
	rand.Read(b)
	id := hex.EncodeToString(b)
	path := filepath.Join(a.uploadDir, id+".upload")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("create the upload file: %w", err)
	}
	f.Close()
	up := &upload{ID: id, Filename: filepath.Base(req.Filename), Name: name, Size: req.Size, path: path, touched: a.s.now()}
	a.uploads.mu.Lock()
	a.uploads.all[id] = up
	a.uploads.mu.Unlock()
	writeJSON(w, http.StatusCreated, up)
	return nil
}

// uploadChunk appends the body at ?offset=, which must be where the upload stands (so a
// retried chunk is not written twice).
func (a *perchAPI) uploadChunk(w http.ResponseWriter, r *http.Request) error {
	up, err := a.uploads.get(r.PathValue("id"))
	if err != nil {
		return err
	}
	off, err := strconv.ParseInt(r.URL.Query().Get("offset"), 10, 64)
	if err != nil || off < 0 {
		return badRequest("offset", "offset must be the byte position of this chunk, got %q", r.URL.Query().Get("offset"))
	}
	up.mu.Lock()
	defer up.mu.Unlock()
	if off != up.Received {
		return &apiError{Status: http.StatusConflict, Type: "invalid_request_error", Code: "wrong_offset",
			Message: fmt.Sprintf("the upload stands at byte %d, not %d; send the chunk that starts there", up.Received, off)}
	}
	f, err := os.OpenFile(up.path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("open the upload file: %w", err)
	}
	defer f.Close()
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return fmt.Errorf("seek the upload file: %w", err)
	}
	limit := min(up.Size-off, maxChunk)
	body := io.Reader(r.Body)
	if off == 0 {
		// Refuse a file that is not a GGUF at its first chunk, not after gigabytes.
		head := make([]byte, len(ggufMagic))
		if _, err := io.ReadFull(r.Body, head); err != nil || !bytes.Equal(head, ggufMagic) {
			return badRequest("file", "%s is not a GGUF model file (it does not start with \"GGUF\")", up.Filename)
		}
		body = io.MultiReader(bytes.NewReader(head), r.Body)
	}
	n, err := io.Copy(f, io.LimitReader(body, limit+1))
	if err == nil && n > limit {
		err = badRequest("", "the chunk is too large: at most %d bytes fit here (chunks are at most %d bytes, and the file is %d)", limit, maxChunk, up.Size)
	}
	if err != nil {
		// Keep only whole chunks: cut back what this one wrote, so a retry starts clean.
		f.Truncate(off)
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			err = tooLarge(mbe.Limit)
		}
		return err
	}
	up.Received = off + n
	up.touched = a.s.now()
	writeJSON(w, http.StatusOK, up)
	return nil
}

func (a *perchAPI) uploadFinish(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	up, err := a.uploads.get(id)
	if err != nil {
		return err
	}
	up.mu.Lock()
	received, size, path, name := up.Received, up.Size, up.path, up.Name
	up.mu.Unlock()
	if received != size {
		return &apiError{Status: http.StatusConflict, Type: "invalid_request_error", Code: "incomplete",
			Message: fmt.Sprintf("the upload has %d of %d bytes; send the rest first", received, size)}
	}
	if err := checkGGUF(path); err != nil {
		a.uploads.drop(id)
		return badRequest("file", "%s is not a GGUF model file (it does not start with \"GGUF\")", up.Filename)
	}
	// The import may take a while (hashing gigabytes); it must not be cut short by a
	// client that stops waiting, or the store would be left to clean up after it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 30*time.Minute)
	defer cancel()
	m, err := a.importer.Import(ctx, path, name)
	a.uploads.drop(id)
	if err != nil {
		return fmt.Errorf("import %s: %w", up.Filename, err)
	}
	writeJSON(w, http.StatusCreated, m)
	return nil
}

func (a *perchAPI) uploadDiscard(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if _, err := a.uploads.get(id); err != nil {
		return err
	}
	a.uploads.drop(id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
