package api

import (
	"context"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"

	perchwire "github.com/perchapp/perch/app/wire/perch"

	"github.com/perchapp/perch/app/library"
	"github.com/perchapp/perch/app/library/uploads"
	"github.com/perchapp/perch/app/wire"
)

// Importing a GGUF the user has. Two ways in:
//
//   - POST /perch/models/import {"path": "/Users/me/model.gguf"}: the server reads the file
//     where it is. The server runs on the user's machine, so this is the cheap way, and the
//     only one for files larger than the browser can comfortably send.
//   - Uploads, for the file picker and drag and drop (a browser page never learns a file's
//     path): POST /perch/uploads, then PUT the bytes in chunks, then POST …/finish; the
//     uploads service (app/library/uploads) keeps them.

func (a *perchAPI) modelImportPath(w http.ResponseWriter, r *http.Request) error {
	var req perchwire.ImportPathRequest
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
	if err := wire.ValidateModelName("name", name); err != nil {
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

func (a *perchAPI) uploadStart(w http.ResponseWriter, r *http.Request) error {
	var req perchwire.UploadStartRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if err := uploads.Check(req.Filename, req.Size); err != nil {
		return err
	}
	name, err := importName(req.Name, req.Filename)
	if err != nil {
		return err
	}
	up, err := a.uploads.Start(req.Filename, req.Size, name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, up)
	return nil
}

// uploadChunk appends the body at ?offset=, which must be where the upload stands (so a
// retried chunk is not written twice).
func (a *perchAPI) uploadChunk(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if _, err := a.uploads.Get(id); err != nil {
		return err
	}
	off, err := strconv.ParseInt(r.URL.Query().Get("offset"), 10, 64)
	if err != nil || off < 0 {
		return badRequest("offset", "offset must be the byte position of this chunk, got %q", r.URL.Query().Get("offset"))
	}
	up, err := a.uploads.Chunk(r.Context(), id, off, r.Body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, up)
	return nil
}

func (a *perchAPI) uploadFinish(w http.ResponseWriter, r *http.Request) error {
	var m LibraryModel
	err := a.uploads.Finish(r.Context(), r.PathValue("id"), func(ctx context.Context, path, name string) (err error) {
		m, err = a.importer.Import(ctx, path, name)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, m)
	return nil
}

func (a *perchAPI) uploadDiscard(w http.ResponseWriter, r *http.Request) error {
	if err := a.uploads.Discard(r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
