package api

import (
	"errors"
	"net/http"
	"time"

	"github.com/perchapp/perch/app/remote"
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
