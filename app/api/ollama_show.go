package api

import (
	"context"
	"log/slog"
	"maps"

	ollamawire "github.com/perchapp/perch/app/wire/ollama"
	perchwire "github.com/perchapp/perch/app/wire/perch"
)

// ModelTensor is one tensor of a model's GGUF, as Ollama's verbose /api/show lists it.
type ModelTensor = ollamawire.Tensor

// ModelInfoReader is a Library that reads a model's whole GGUF header for /api/show: every
// key/value, with the tokenizer arrays ([] unless full) and, with full, the tensors.
type ModelInfoReader interface {
	ModelInfo(ctx context.Context, name string, full bool) (map[string]any, []ModelTensor, error)
}

// showResponse is /api/show's answer. verbose adds the tokenizer arrays and the tensors,
// read from the file only then (they run to megabytes).
func (s *Server) showResponse(ctx context.Context, m perchwire.LibraryModel, verbose bool) ollamawire.ShowResponse {
	reader, ok := s.lib.(ModelInfoReader)
	if !ok {
		return ollamawire.ShowOf(m)
	}
	kvs, tensors, err := reader.ModelInfo(ctx, m.Name, verbose)
	if err != nil {
		// The summary still answers; the file may have gone since it was listed.
		s.log.LogAttrs(ctx, slog.LevelWarn, "read the GGUF header for /api/show", slog.String("model", m.Name), slog.Any("error", err))
		return ollamawire.ShowOf(m)
	}
	md := maps.Clone(m.Metadata)
	if md == nil {
		md = map[string]any{}
	}
	maps.Copy(md, kvs)
	// As Ollama does: the template is shown on its own, the name is the model's.
	delete(md, "tokenizer.chat_template")
	delete(md, "general.name")
	m.Metadata = md
	resp := ollamawire.ShowOf(m)
	resp.Tensors = tensors
	return resp
}
