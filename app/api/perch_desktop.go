package api

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"unicode/utf8"
)

// The desktop window's folder picker:
//
//	POST /perch/desktop/pick-folder {collection: id, title?} → {path, cancelled}
//	POST /perch/desktop/pick-folder {purpose: "downloads", title?} → {path, cancelled}
//
// It opens the native folder dialog of the desktop window (app/desktop), and the folder the
// person picks there is recorded as one the collection may index, even outside the home
// folder (docs.Store.AllowFolder): the pick is made by a person in a dialog the server opened,
// so no client can claim one. The UI then indexes it with POST /perch/collections/{id}/folders
// as it does a typed path. Only the desktop shell provides a picker; `perch serve` answers 501,
// and GET /perch/status says features.folder_picker so the UI shows the button only then.
// For the downloads folder (purpose "downloads") the folder is only returned: the UI saves it
// as the download_dir setting, which checks it as it does a typed one.

// FolderPicker opens the native folder dialog; app/desktop provides one.
type FolderPicker interface {
	// PickFolder shows the dialog with title and returns the folder chosen, or "" when the
	// person cancelled.
	PickFolder(ctx context.Context, title string) (string, error)
}

// maxPickTitle bounds the dialog's title, in characters.
const maxPickTitle = 200

type desktopAPI struct {
	picker FolderPicker
	store  Collections
	// picking is set while a dialog is open: one at a time.
	picking atomic.Bool
}

type pickFolderRequest struct {
	Collection int64  `json:"collection"`
	Purpose    string `json:"purpose"`
	Title      string `json:"title"`
}

// pickForDownloads is pickFolderRequest.Purpose for Settings' downloads folder.
const pickForDownloads = "downloads"

type pickFolderResponse struct {
	Path      string `json:"path"`
	Cancelled bool   `json:"cancelled"`
}

func (a *desktopAPI) pickFolder(w http.ResponseWriter, r *http.Request) error {
	var req pickFolderRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	downloads := req.Purpose == pickForDownloads && req.Collection == 0
	if req.Purpose != "" && !downloads {
		return badRequest("purpose", "field \"purpose\" must be \"downloads\" (without \"collection\") or absent, not %q", req.Purpose)
	}
	if req.Collection <= 0 && !downloads {
		return badRequest("collection", "field \"collection\" must be the id of the collection the folder is for")
	}
	title := strings.TrimSpace(req.Title)
	if utf8.RuneCountInString(title) > maxPickTitle {
		return badRequest("title", "field \"title\" is longer than %d characters", maxPickTitle)
	}
	switch {
	case title != "":
	case downloads:
		title = "Choose the folder for downloaded models"
	default:
		title = "Choose a folder of documents"
	}
	// The collection must exist before a dialog asks the person anything.
	if !downloads {
		if _, err := a.store.Get(r.Context(), req.Collection); err != nil {
			return collectionError(err)
		}
	}
	if !a.picking.CompareAndSwap(false, true) {
		return &apiError{Status: http.StatusConflict, Type: "invalid_request_error", Code: "busy",
			Message: "a folder dialog is already open in the Perch window; finish or cancel it first"}
	}
	path, err := a.picker.PickFolder(r.Context(), title)
	a.picking.Store(false)
	if err != nil {
		return err
	}
	if path == "" {
		writeJSON(w, http.StatusOK, pickFolderResponse{Cancelled: true})
		return nil
	}
	if downloads {
		writeJSON(w, http.StatusOK, pickFolderResponse{Path: path})
		return nil
	}
	allowed, err := a.store.AllowFolder(r.Context(), req.Collection, path)
	if err != nil {
		return collectionError(err)
	}
	writeJSON(w, http.StatusOK, pickFolderResponse{Path: allowed})
	return nil
}
