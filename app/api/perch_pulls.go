package api

import (
	"context"
	"net/http"

	"github.com/perchapp/perch/app/library/pulls"
	"github.com/perchapp/perch/app/wire"
	perchwire "github.com/perchapp/perch/app/wire/perch"
)

// Downloads the UI starts run in the server, in app/library/pulls; these are their routes.
// The UI watches them through one SSE stream.

// puller lets the model library serve the download manager.
type puller struct{ lib Library }

func (p puller) Pull(ctx context.Context, ref string, progress func(pulls.Progress)) error {
	return p.lib.Pull(ctx, ref, func(pp perchwire.PullProgress) {
		progress(pulls.Progress{Phase: string(pp.Phase), Digest: pp.Digest, Total: pp.Total, Completed: pp.Completed,
			BytesPerSecond: pp.BytesPerSecond, ETA: pp.ETA})
	})
}

type pullRequest struct {
	Ref string `json:"ref"`
}

func (a *perchAPI) pullStart(w http.ResponseWriter, r *http.Request) error {
	var req pullRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if err := wire.ValidatePullRef("ref", req.Ref); err != nil {
		return err
	}
	v, err := a.pulls.Start(req.Ref)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, v)
	return nil
}

func (a *perchAPI) pullList(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]any{"pulls": a.pulls.List()})
	return nil
}

// pullEvents streams {"pulls": [...]} now and after every change until the client leaves.
func (a *perchAPI) pullEvents(w http.ResponseWriter, r *http.Request) error {
	ch, stop := a.pulls.Watch()
	defer stop()
	sw := newSSE(w)
	if err := sw.Send(map[string]any{"pulls": a.pulls.List()}); err != nil {
		return nil
	}
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-ch:
			if err := sw.Send(map[string]any{"pulls": a.pulls.List()}); err != nil {
				return nil
			}
		}
	}
}

func (a *perchAPI) pullPause(w http.ResponseWriter, r *http.Request) error {
	v, err := a.pulls.Pause(r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (a *perchAPI) pullCancel(w http.ResponseWriter, r *http.Request) error {
	v, err := a.pulls.Cancel(r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (a *perchAPI) pullResume(w http.ResponseWriter, r *http.Request) error {
	v, err := a.pulls.Resume(r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (a *perchAPI) pullDismiss(w http.ResponseWriter, r *http.Request) error {
	if err := a.pulls.Dismiss(r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
