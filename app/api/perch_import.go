package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/perchapp/perch/app/library"
	"github.com/perchapp/perch/app/library/uploads"
	perchwire "github.com/perchapp/perch/app/wire/perch"
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
	path, name, err := library.CheckImportPath(req.Path, req.Name)
	if err != nil {
		return err
	}
	m, err := a.importer.Import(r.Context(), path, name)
	if err != nil {
		return err // the library words it without echoing the path twice
	}
	writeJSON(w, http.StatusCreated, m)
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
	name, err := library.ImportName(req.Name, req.Filename)
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
	var m perchwire.LibraryModel
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
