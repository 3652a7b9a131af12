package api

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/perchapp/perch/app/remote"
	perchwire "github.com/perchapp/perch/app/wire/perch"
)

// The UI's remote endpoints (/perch/remotes) and how remote models join the model lists.

type remoteRequest struct {
	Name   string `json:"name"`
	URL    string `json:"url"`
	Kind   string `json:"kind,omitempty"`
	APIKey string `json:"api_key,omitempty"`
}

func (a *perchAPI) remotesList(w http.ResponseWriter, r *http.Request) error {
	sts, err := a.s.deps.Remotes.List(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"remotes": sts})
	return nil
}

func (a *perchAPI) remoteAdd(w http.ResponseWriter, r *http.Request) error {
	var req remoteRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	st, err := a.s.deps.Remotes.Add(r.Context(), req.Name, req.URL, remote.Kind(req.Kind), req.APIKey)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, st)
	return nil
}

func (a *perchAPI) remoteRemove(w http.ResponseWriter, r *http.Request) error {
	if err := a.s.deps.Remotes.Remove(r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// remotesDiscover lists the other Perch apps that advertise themselves on the network
// (_perch._tcp), for adding with one click.
func (a *perchAPI) remotesDiscover(w http.ResponseWriter, r *http.Request) error {
	found, err := remote.Discover(r.Context(), 1500*time.Millisecond)
	if err != nil {
		return err
	}
	if found == nil {
		found = []remote.Found{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"found": found})
	return nil
}

// remoteModels are the remote models as library entries, marked with their endpoint.
func (s *Server) remoteModels(ctx context.Context) []LibraryModel {
	if s.deps.Remotes == nil {
		return nil
	}
	var out []LibraryModel
	for _, m := range s.deps.Remotes.Models(ctx) {
		out = append(out, LibraryModel{Name: m.ID, Remote: m.Endpoint.Name, RemoteURL: m.Endpoint.URL})
	}
	return out
}

// remoteModel finds one remote model by its NAME/model name.
func (s *Server) remoteModel(ctx context.Context, name string) (LibraryModel, bool) {
	if s.deps.Remotes == nil {
		return LibraryModel{}, false
	}
	if _, ok := s.deps.Remotes.Resolve(name); !ok {
		return LibraryModel{}, false
	}
	for _, m := range s.remoteModels(ctx) {
		if m.Name == name {
			return m, true
		}
	}
	return LibraryModel{}, false
}

func (s *Server) whereOf(m LibraryModel) *perchwire.RemoteWhere {
	if m.Remote == "" || s.deps.Remotes == nil {
		return nil
	}
	h := s.deps.Remotes.Health(m.Remote)
	return &perchwire.RemoteWhere{Endpoint: m.Remote, URL: m.RemoteURL, Reachable: h.Reachable, LatencyMs: h.LatencyMs, LastError: h.LastError,
		Memory: "runs on " + m.Remote + " (" + m.RemoteURL + "); uses none of this Mac's memory"}
}

// remoteError maps the remote package's errors to HTTP (called from toAPIError).
func remoteError(err error) *apiError {
	var re *remote.Error
	if errors.As(err, &re) {
		e := &apiError{Status: http.StatusBadGateway, Type: "server_error", Code: "remote_" + string(re.Problem), Message: re.Error()}
		switch re.Problem {
		case remote.AuthFailed:
			e.Status, e.Type = http.StatusUnauthorized, "authentication_error"
		case remote.Timeout:
			e.Status = http.StatusGatewayTimeout
		}
		return e
	}
	switch {
	case errors.Is(err, remote.ErrInvalid):
		return &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Message: err.Error()}
	case errors.Is(err, remote.ErrNotFound):
		return &apiError{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "not_found", Message: err.Error()}
	}
	return nil
}
