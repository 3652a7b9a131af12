package api

import (
	"fmt"
	"net"
	"net/http"
	"strconv"

	perchwire "github.com/perchapp/perch/app/wire/perch"
)

// perchAPI serves the UI's /perch routes (documented in docs/ui-api.md). Errors use the
// OpenAI shape {"error":{"message",...}} like the rest of the server outside /api.
type perchAPI struct {
	s *Server
	*perch
}

// perchMiss answers anything else under /perch: an API miss, not a UI page.
func perchMiss(w http.ResponseWriter, r *http.Request) error {
	return &apiError{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "unknown_url",
		Message: fmt.Sprintf("no endpoint %s %s; docs/ui-api.md lists the /perch routes", r.Method, r.URL.Path)}
}

func (a *perchAPI) status(w http.ResponseWriter, r *http.Request) error {
	st := perchwire.Status{
		Version: a.s.cfg.Version, Address: a.listening(), APIKey: a.s.apiKey() != "",
		Features: perchwire.Features{
			Chats: a.chats != nil, Library: a.s.lib != nil, Catalog: a.catalog != nil, Memory: a.memory != nil,
			Fit: a.fit != nil, Import: a.importer != nil, Settings: a.settings != nil,
			Collections: a.s.collections() != nil, FolderPicker: a.s.deps.FolderPicker != nil && a.s.collections() != nil,
		},
		Loaded: []string{},
	}
	if a.settings != nil {
		st.DefaultModel = a.settings.Get().DefaultModel
	}
	for _, l := range a.s.eng.Loaded() {
		st.Loaded = append(st.Loaded, l.Name)
		st.Generating = st.Generating || l.Generating || l.Busy > 0
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

// listening is the address the server listens on: the configured one, with the port the
// listener really got when it was asked for port 0.
func (a *perchAPI) listening() string {
	addr := a.s.addr()
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port != "0" {
		return addr
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	for p := range a.s.ownPorts {
		if p != "0" {
			return net.JoinHostPort(host, p)
		}
	}
	return addr
}

// unavailable is the answer of a route whose dependency this server was built without.
func unavailable(what string) error {
	return &apiError{Status: http.StatusNotImplemented, Type: "not_supported_error", Code: "not_available",
		Message: what + " is not available in this build of the server"}
}

// pathID reads a positive integer path value.
func pathID(r *http.Request, name string) (int64, error) {
	v := r.PathValue(name)
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest(name, "%s %q is not a valid id (a positive whole number)", name, v)
	}
	return id, nil
}
