package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/perchapp/perch/app/wire"
	openaiwire "github.com/perchapp/perch/app/wire/openai"
	perchwire "github.com/perchapp/perch/app/wire/perch"
)

func (s *Server) openaiEmbeddings(w http.ResponseWriter, r *http.Request) error {
	var req openaiwire.EmbeddingRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	er, err := openaiwire.EmbedRequestFromOpenAI(req)
	if err != nil {
		return err
	}
	noteModel(r, er.Model)
	er.KeepAlive = s.keepAlive(er.Model, er.KeepAlive)
	res, err := s.eng.Embed(r.Context(), er)
	if err != nil {
		s.countEngineError(err)
		return err
	}
	resp, err := openaiwire.EmbeddingResponseOf(req, res)
	if err != nil {
		return err
	}
	noteTokens(r, res.PromptTokens, 0)
	s.metrics.tokens.WithLabelValues(er.Model, "prompt").Add(float64(res.PromptTokens))
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// modelNames lists the library's models, or the loaded ones when there is no library.
func (s *Server) listModels(ctx context.Context) ([]perchwire.LibraryModel, error) {
	if s.lib != nil {
		ms, err := s.lib.List(ctx)
		if err != nil {
			return nil, fmt.Errorf("list models: %w", err)
		}
		return append(ms, s.deps.Remotes.LibraryModels(ctx)...), nil
	}
	var out []perchwire.LibraryModel
	for _, st := range s.eng.Loaded() {
		out = append(out, perchwire.LibraryModelOf(st))
	}
	return append(out, s.deps.Remotes.LibraryModels(ctx)...), nil
}

// getModel finds one model in the library (or among the loaded ones without a library).
func (s *Server) getModel(ctx context.Context, name string) (perchwire.LibraryModel, error) {
	if m, ok := s.deps.Remotes.LibraryModel(ctx, name); ok {
		return m, nil
	}
	if s.lib != nil {
		return s.lib.Get(ctx, name)
	}
	ms, _ := s.listModels(ctx)
	if i := slices.IndexFunc(ms, func(m perchwire.LibraryModel) bool { return m.Name == name }); i >= 0 {
		return ms[i], nil
	}
	return perchwire.LibraryModel{}, notFound("model %q not found", name)
}

func (s *Server) openaiModels(w http.ResponseWriter, r *http.Request) error {
	ms, err := s.listModels(r.Context())
	if err != nil {
		return err
	}
	out := openaiwire.ModelList{Object: "list", Data: make([]openaiwire.Model, 0, len(ms))}
	for _, m := range ms {
		out.Data = append(out.Data, openaiwire.ModelOf(m))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) openaiModel(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := wire.ValidateModelName("id", id); err != nil {
		return err
	}
	m, err := s.getModel(r.Context(), id)
	if err != nil {
		return modelLookupError(id, err)
	}
	writeJSON(w, http.StatusOK, openaiwire.ModelOf(m))
	return nil
}

// modelLookupError says plainly that a model is unknown, and passes other failures on.
func modelLookupError(name string, err error) error {
	if e := toAPIError(err); e.Status == http.StatusNotFound {
		return notFound("model %q not found; GET /v1/models or /api/tags lists the models, `perch pull` adds one", name)
	}
	return err
}
