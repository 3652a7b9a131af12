package api

import (
	"context"
	"log/slog"
	"slices"

	"github.com/perchapp/perch/engine"
)

// generateContext is /api/generate's "context": the tokens of the prompt and the answer, as
// Ollama returns them (deprecated there, still read by older clients). Nil when the model
// is no longer loaded (keep_alive 0: tokenizing must not load it again) or cannot tokenize.
func (s *Server) generateContext(ctx context.Context, model string, g generated) []int32 {
	if !slices.ContainsFunc(s.eng.Loaded(), func(st engine.Status) bool { return st.Name == model }) {
		return nil
	}
	pieces, err := s.eng.Tokenize(ctx, model, g.prompt+g.text, true, true)
	if err != nil {
		slog.Debug("no context array", "model", model, "err", err)
		return nil
	}
	ids := make([]int32, len(pieces))
	for i, p := range pieces {
		ids[i] = p.ID
	}
	return ids
}
