package api

import (
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	perchwire "github.com/perchapp/perch/app/wire/perch"

	"github.com/perchapp/perch/app/wire"
	"github.com/perchapp/perch/engine"
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
		ms = []CatalogModel{}
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
		ms = []CatalogModel{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"models": ms})
	return nil
}

type inspectRequest struct {
	Ref           string `json:"ref"`
	ContextLength int    `json:"num_ctx,omitempty"`
}

type inspectResponse struct {
	Model RemoteModel `json:"model"`
	Fit   *Fit        `json:"fit,omitempty"`
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
	if req.ContextLength < 0 || (req.ContextLength > 0 && req.ContextLength < engine.MinContext) || req.ContextLength > 1<<22 {
		return badRequest("num_ctx", "num_ctx must be 0 (automatic) or from %d to %d, got %d", engine.MinContext, 1<<22, req.ContextLength)
	}
	m, err := a.catalog.Inspect(r.Context(), req.Ref)
	if err != nil {
		return err
	}
	resp := inspectResponse{Model: m}
	if a.fit != nil {
		// The header is read; a failed estimate still leaves it worth showing.
		if f, err := a.fit.Fit(r.Context(), FitQuery{Ref: req.Ref, ContextLength: req.ContextLength}); err == nil {
			resp.Fit = &f
		}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// recommended picks, from the curated catalog's recommended chat models (preferring ones
// strong in Korean with ?lang=ko), the first with a quantization that fits this machine: the
// catalog's suggested quantization when it fits, else Q4_K_M, else the largest that does.
func (a *perchAPI) recommended(w http.ResponseWriter, r *http.Request) error {
	ms, err := a.catalog.Catalog(r.Context(), "")
	if err != nil {
		return err
	}
	rec, ok := pickRecommended(ms, r.URL.Query().Get("lang"))
	if !ok {
		return &apiError{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "none_fits",
			Message: "no recommended model fits this machine's memory; browse the catalog for smaller ones"}
	}
	writeJSON(w, http.StatusOK, rec)
	return nil
}

func pickRecommended(ms []CatalogModel, lang string) (perchwire.Recommendation, bool) {
	isChat := func(m CatalogModel) bool {
		return m.Recommended && !slices.Contains(m.Tags, "embedding") && (len(m.Tags) == 0 || slices.Contains(m.Tags, "chat"))
	}
	var order []CatalogModel
	if lang == "ko" {
		for _, m := range ms {
			if isChat(m) && slices.Contains(m.Tags, "korean") {
				order = append(order, m)
			}
		}
	}
	for _, m := range ms {
		if isChat(m) {
			order = append(order, m)
		}
	}
	for _, m := range order {
		var best, q4, largest *Quant
		for i := range m.Quants {
			q := &m.Quants[i]
			if q.Fit == nil || q.Fit.Verdict != VerdictFits {
				continue
			}
			switch {
			case q.Recommended:
				best = q
			case strings.EqualFold(q.Name, "Q4_K_M"):
				q4 = q
			}
			if largest == nil || q.Size > largest.Size {
				largest = q
			}
		}
		if best == nil {
			best = q4
		}
		if best == nil {
			best = largest
		}
		if best != nil {
			return perchwire.Recommendation{Model: m, Quant: *best}, true
		}
	}
	return perchwire.Recommendation{}, false
}
