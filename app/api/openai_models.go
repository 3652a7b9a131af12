package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/perchapp/perch/app/wire"
	openaiwire "github.com/perchapp/perch/app/wire/openai"
	"github.com/perchapp/perch/engine"
)

func (s *Server) openaiEmbeddings(w http.ResponseWriter, r *http.Request) error {
	var req openaiwire.EmbeddingRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	er, err := embedRequestFromOpenAI(req)
	if err != nil {
		return err
	}
	noteModel(r, er.Model)
	er.KeepAlive = s.keepAlive(er.KeepAlive)
	res, err := s.eng.Embed(r.Context(), er)
	if err != nil {
		s.countEngineError(err)
		return err
	}
	resp, err := embeddingResponse(req, res)
	if err != nil {
		return err
	}
	noteTokens(r, res.PromptTokens, 0)
	s.metrics.tokens.WithLabelValues(er.Model, "prompt").Add(float64(res.PromptTokens))
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func embedRequestFromOpenAI(req openaiwire.EmbeddingRequest) (engine.EmbedRequest, error) {
	var er engine.EmbedRequest
	if err := wire.ValidateModelName("model", req.Model); err != nil {
		return er, err
	}
	texts, tokens, err := openaiwire.EmbedInputs(req.Input)
	if err != nil {
		return er, err
	}
	switch req.EncodingFormat {
	case "", "float", "base64":
	default:
		return er, badRequest("encoding_format", "encoding_format must be \"float\" or \"base64\", got %q", req.EncodingFormat)
	}
	if req.Dimensions != nil && *req.Dimensions < 1 {
		return er, badRequest("dimensions", "dimensions must be at least 1, got %d", *req.Dimensions)
	}
	if er.KeepAlive, err = wire.ParseKeepAlive(req.KeepAlive, "keep_alive"); err != nil {
		return er, err
	}
	er.Model, er.Inputs, er.Tokens, er.Normalize = req.Model, texts, tokens, true
	return er, nil
}

// embeddingResponse builds OpenAI's answer. dimensions must match the model's vectors: the
// engine cannot tell which models were trained to be shortened (Matryoshka), and cutting
// any other model's vectors would silently give poor ones.
func embeddingResponse(req openaiwire.EmbeddingRequest, res *engine.EmbedResult) (openaiwire.EmbeddingResponse, error) {
	out := openaiwire.EmbeddingResponse{Object: "list", Model: req.Model, Data: make([]openaiwire.Embedding, len(res.Embeddings)),
		Usage: openaiwire.EmbedUsage{PromptTokens: res.PromptTokens, TotalTokens: res.PromptTokens}}
	for i, v := range res.Embeddings {
		if req.Dimensions != nil && *req.Dimensions != len(v) {
			return out, badRequest("dimensions", "model %q gives %d-dimensional vectors and does not support other sizes; leave out dimensions or ask for %d", req.Model, len(v), len(v))
		}
		out.Data[i] = openaiwire.Embedding{Object: "embedding", Index: i, Embedding: openaiwire.EncodeEmbedding(v, req.EncodingFormat)}
	}
	return out, nil
}

// modelNames lists the library's models, or the loaded ones when there is no library.
func (s *Server) listModels(ctx context.Context) ([]LibraryModel, error) {
	if s.lib != nil {
		ms, err := s.lib.List(ctx)
		if err != nil {
			return nil, fmt.Errorf("list models: %w", err)
		}
		return append(ms, s.remoteModels(ctx)...), nil
	}
	var out []LibraryModel
	for _, st := range s.eng.Loaded() {
		out = append(out, modelFromStatus(st))
	}
	return append(out, s.remoteModels(ctx)...), nil
}

func modelFromStatus(st engine.Status) LibraryModel {
	return LibraryModel{Name: st.Name, Digest: st.Digest, Path: st.Path, Size: int64(st.Info.SizeBytes), Architecture: st.Info.Architecture,
		ParameterCount: st.Info.Parameters, Quantization: st.Info.FileType, ContextLength: st.Info.ContextLength,
		EmbeddingSize: st.Info.EmbeddingSize, ModifiedAt: st.LoadedAt, Template: st.Info.ChatTemplate, FIM: st.Info.FIM}
}

// getModel finds one model in the library (or among the loaded ones without a library).
func (s *Server) getModel(ctx context.Context, name string) (LibraryModel, error) {
	if m, ok := s.remoteModel(ctx, name); ok {
		return m, nil
	}
	if s.lib != nil {
		return s.lib.Get(ctx, name)
	}
	ms, _ := s.listModels(ctx)
	if i := slices.IndexFunc(ms, func(m LibraryModel) bool { return m.Name == name }); i >= 0 {
		return ms[i], nil
	}
	return LibraryModel{}, notFound("model %q not found", name)
}

func toOAIModel(m LibraryModel) openaiwire.Model {
	var created int64
	if !m.ModifiedAt.IsZero() {
		created = m.ModifiedAt.Unix()
	}
	owner := "perch"
	if m.Remote != "" {
		owner = m.Remote // where it runs
	}
	return openaiwire.Model{ID: m.Name, Object: "model", Created: created, OwnedBy: owner}
}

func (s *Server) openaiModels(w http.ResponseWriter, r *http.Request) error {
	ms, err := s.listModels(r.Context())
	if err != nil {
		return err
	}
	out := openaiwire.ModelList{Object: "list", Data: make([]openaiwire.Model, 0, len(ms))}
	for _, m := range ms {
		out.Data = append(out.Data, toOAIModel(m))
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
	writeJSON(w, http.StatusOK, toOAIModel(m))
	return nil
}

// modelLookupError says plainly that a model is unknown, and passes other failures on.
func modelLookupError(name string, err error) error {
	if e := toAPIError(err); e.Status == http.StatusNotFound {
		return notFound("model %q not found; GET /v1/models or /api/tags lists the models, `perch pull` adds one", name)
	}
	return err
}
