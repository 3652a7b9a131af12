package api

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/perchapp/perch/app/library/catalog"
	"github.com/perchapp/perch/app/wire"
	perchwire "github.com/perchapp/perch/app/wire/perch"
)

func searchQuery(r *http.Request) (string, error) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len(q) > 200 || !utf8.ValidString(q) {
		return "", badRequest("q", "the search text must be valid text of at most 200 bytes")
	}
	return q, nil
}

func (a *perchAPI) catalogList(w http.ResponseWriter, r *http.Request) error {
	q, err := searchQuery(r)
	if err != nil {
		return err
	}
	ms, err := a.catalog.Catalog(r.Context(), q)
	if err != nil {
		return err
	}
	if ms == nil {
		ms = []perchwire.CatalogModel{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"models": ms})
	return nil
}

// catalogSearch searches Hugging Face for GGUF repositories.
func (a *perchAPI) catalogSearch(w http.ResponseWriter, r *http.Request) error {
	q, err := searchQuery(r)
	if err != nil {
		return err
	}
	if q == "" {
		return badRequest("q", "type something to search Hugging Face for")
	}
	ms, err := a.catalog.Search(r.Context(), q)
	if err != nil {
		return err
	}
	if ms == nil {
		ms = []perchwire.CatalogModel{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"models": ms})
	return nil
}

type inspectRequest struct {
	Ref           string `json:"ref"`
	ContextLength int    `json:"num_ctx,omitempty"`
}

type inspectResponse struct {
	Model perchwire.RemoteModel `json:"model"`
	Fit   *perchwire.Fit        `json:"fit,omitempty"`
}

// catalogInspect reads a remote GGUF's header (no download) and estimates its fit.
func (a *perchAPI) catalogInspect(w http.ResponseWriter, r *http.Request) error {
	var req inspectRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if err := wire.ValidatePullRef("ref", req.Ref); err != nil {
		return err
	}
	if err := perchwire.CheckContext(req.ContextLength); err != nil {
		return err
	}
	m, err := a.catalog.Inspect(r.Context(), req.Ref)
	if err != nil {
		return err
	}
	resp := inspectResponse{Model: m}
	if a.fit != nil {
		// The header is read; a failed estimate still leaves it worth showing.
		if f, err := a.fit.Fit(r.Context(), perchwire.FitQuery{Ref: req.Ref, ContextLength: req.ContextLength}); err == nil {
			resp.Fit = &f
		}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// recommended answers the model the empty Models and Chat views offer to download
// (catalog.Recommend picks it; ?lang=ko prefers models strong in Korean).
func (a *perchAPI) recommended(w http.ResponseWriter, r *http.Request) error {
	ms, err := a.catalog.Catalog(r.Context(), "")
	if err != nil {
		return err
	}
	rec, ok := catalog.Recommend(ms, r.URL.Query().Get("lang"))
	if !ok {
		return &apiError{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "none_fits",
			Message: "no recommended model fits this machine's memory; browse the catalog for smaller ones"}
	}
	writeJSON(w, http.StatusOK, rec)
	return nil
}
