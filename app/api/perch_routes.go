package api

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"

	"github.com/perchapp/perch/app/chats"
)

// perchAPI serves the UI's /perch routes (documented in docs/ui-api.md). Errors use the
// OpenAI shape {"error":{"message",...}} like the rest of the server outside /api.
type perchAPI struct {
	s *Server
	*perch
}

func init() {
	registerRoutes(func(s *Server) {
		a := &perchAPI{s: s, perch: newPerch(s)}
		s.handle("GET /perch/status", a.status)

		s.handle("GET /perch/chats", a.chatsList)
		s.handle("POST /perch/chats", a.chatCreate)
		s.handle("GET /perch/chats/{id}", a.chatGet)
		s.handle("PATCH /perch/chats/{id}", a.chatPatch)
		s.handle("DELETE /perch/chats/{id}", a.chatDelete)
		s.handle("POST /perch/chats/{id}/messages", a.chatSend)
		s.handle("POST /perch/chats/{id}/regenerate", a.chatRegenerate)
		s.handle("POST /perch/chats/{id}/messages/{mid}/edit", a.chatEdit)
		s.handle("POST /perch/chats/{id}/stop", a.chatStop)

		s.handle("GET /perch/models", a.modelsList)
		s.handle("POST /perch/models/load", a.modelLoad)
		s.handle("POST /perch/models/unload", a.modelUnload)
		s.handle("POST /perch/models/default", a.modelDefault)
		s.handle("POST /perch/models/delete", a.modelDelete)
		s.handle("POST /perch/models/import", a.modelImportPath)
		s.handle("POST /perch/uploads", a.uploadStart)
		s.handle("PUT /perch/uploads/{id}", a.uploadChunk)
		s.handle("POST /perch/uploads/{id}/finish", a.uploadFinish)
		s.handle("DELETE /perch/uploads/{id}", a.uploadDiscard)

		s.handle("GET /perch/catalog", a.catalogList)
		s.handle("GET /perch/search", a.catalogSearch)
		s.handle("POST /perch/inspect", a.catalogInspect)
		s.handle("GET /perch/recommended", a.recommended)
		s.handle("POST /perch/fit", a.fitRoute)

		s.handle("POST /perch/pulls", a.pullStart)
		s.handle("GET /perch/pulls", a.pullList)
		s.handle("GET /perch/pulls/events", a.pullEvents)
		s.handle("POST /perch/pulls/{id}/pause", a.pullPause)
		s.handle("POST /perch/pulls/{id}/resume", a.pullResume)
		s.handle("POST /perch/pulls/{id}/cancel", a.pullCancel)
		s.handle("DELETE /perch/pulls/{id}", a.pullDismiss)

		s.handle("GET /perch/memory", a.memoryGet)
		s.handle("GET /perch/memory/events", a.memoryEvents)

		s.handle("POST /perch/tokenize", a.tokenize)

		s.handle("GET /perch/settings", a.settingsGet)
		s.handle("PUT /perch/settings", a.settingsPut)

		// Anything else under /perch is an API miss, not a UI page.
		s.handle("/perch/", func(w http.ResponseWriter, r *http.Request) {
			writeOpenAIError(w, r, &apiError{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "unknown_url",
				Message: fmt.Sprintf("no endpoint %s %s; docs/ui-api.md lists the /perch routes", r.Method, r.URL.Path)})
		})
	})
}

// Features say which optional parts are wired, so the UI shows only what works.
type perchFeatures struct {
	Chats    bool `json:"chats"`
	Library  bool `json:"library"`
	Catalog  bool `json:"catalog"`
	Memory   bool `json:"memory"`
	Fit      bool `json:"fit"`
	Import   bool `json:"import"`
	Settings bool `json:"settings"`
	// Collections: documents to chat with (/perch/collections).
	Collections bool `json:"collections"`
}

type perchStatus struct {
	Version      string        `json:"version"`
	Address      string        `json:"address"`
	APIKey       bool          `json:"api_key_required"`
	Features     perchFeatures `json:"features"`
	DefaultModel string        `json:"default_model"`
	Loaded       []string      `json:"loaded"`
	Generating   bool          `json:"generating"`
}

func (a *perchAPI) status(w http.ResponseWriter, r *http.Request) {
	st := perchStatus{
		Version: a.s.cfg.Version, Address: a.listening(), APIKey: a.s.cfg.APIKey != "",
		Features: perchFeatures{
			Chats: a.chats != nil, Library: a.s.lib != nil, Catalog: a.catalog != nil, Memory: a.memory != nil,
			Fit: a.fit != nil, Import: a.importer != nil, Settings: a.settings != nil,
			Collections: a.s.collections() != nil,
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
}

// listening is the address the server listens on: the configured one, with the port the
// listener really got when it was asked for port 0.
func (a *perchAPI) listening() string {
	host, port, err := net.SplitHostPort(a.s.cfg.Addr)
	if err != nil || port != "0" {
		return a.s.cfg.Addr
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	for p := range a.s.ownPorts {
		if p != "0" {
			return net.JoinHostPort(host, p)
		}
	}
	return a.s.cfg.Addr
}

// perchErr writes err, mapping the chat store's errors to 404 and 400.
func perchErr(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, chats.ErrNotFound):
		err = &apiError{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "not_found", Message: err.Error()}
	case errors.Is(err, chats.ErrInvalid):
		err = &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Message: err.Error()}
	}
	writeOpenAIError(w, r, err)
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
