package api

import (
	"context"
	"net/http"

	"github.com/perchapp/perch/app/docs"
	openaiwire "github.com/perchapp/perch/app/wire/openai"
	"github.com/perchapp/perch/engine"
)

const fingerprint = "fp_perch"

// recordGeneration feeds a finished generation to metrics and the request's log line.
func (s *Server) recordGeneration(r *http.Request, model string, u engine.Usage, t engine.Timings) {
	s.metrics.observeGeneration(model, u.PromptTokens, u.CompletionTokens, t.FirstTokenM, t.PredictPerS)
	s.metrics.observeDrafts(model, t.DraftSource, t.DraftTokens, t.DraftAccepted)
	noteTokens(r, u.PromptTokens, u.CompletionTokens)
}

// countEngineError counts engine failures by kind for /metrics.
func (s *Server) countEngineError(err error) {
	if err != nil {
		s.metrics.engineErrors.WithLabelValues(string(engine.KindOf(err))).Inc()
	}
}

func (s *Server) openaiChat(w http.ResponseWriter, r *http.Request) error {
	var req openaiwire.ChatRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	base, n, err := openaiwire.ChatRequestFromOpenAI(req)
	if err != nil {
		return err
	}
	noteModel(r, base.Model)
	base.KeepAlive = s.keepAlive(base.Model, base.KeepAlive)
	rag, err := s.withCollection(r.Context(), req.Collection, &base)
	if err != nil {
		return err
	}
	if req.Stream {
		s.streamOpenAIChat(w, r, base, n, req.StreamOptions != nil && req.StreamOptions.IncludeUsage, rag)
		return nil
	}
	results := make([]*engine.ChatResult, n)
	err = runN(r.Context(), n, func(ctx context.Context, i int) error {
		cr := base
		cr.Sampling.Seed = openaiwire.SeedFor(base.Sampling.Seed, i)
		res, err := s.eng.Chat(ctx, cr, nil)
		results[i] = res
		return err
	})
	if err != nil {
		s.countEngineError(err)
		return err
	}
	resp := openaiwire.ChatResponse{ID: openaiwire.NewID("chatcmpl-"), Object: "chat.completion", Created: s.now().Unix(), Model: req.Model, SystemFingerprint: fingerprint}
	usages := make([]engine.Usage, n)
	for i, res := range results {
		resp.Choices = append(resp.Choices, openaiwire.ChatChoiceFromResult(i, res, base.Logprobs))
		usages[i] = res.Usage
		s.recordGeneration(r, base.Model, res.Usage, res.Timings)
	}
	resp.Usage = openaiwire.UsageToOpenAI(openaiwire.SumUsage(usages, n))
	writeJSON(w, http.StatusOK, withSources(resp, rag))
	return nil
}

func (s *Server) streamOpenAIChat(w http.ResponseWriter, r *http.Request, base engine.ChatRequest, n int, includeUsage bool, rag *docs.Retrieval) {
	sw := newSSE(w)
	id, created := openaiwire.NewID("chatcmpl-"), s.now().Unix()
	chunk := func(choices []openaiwire.ChunkChoice, u *openaiwire.Usage) openaiwire.ChatChunk {
		return openaiwire.ChatChunk{ID: id, Object: "chat.completion.chunk", Created: created, Model: base.Model, SystemFingerprint: fingerprint, Choices: choices, Usage: u}
	}
	one := func(c openaiwire.ChunkChoice) error { return sw.Send(chunk([]openaiwire.ChunkChoice{c}, nil)) }
	if sendSourcesChunk(sw, chunk(nil, nil), rag) != nil {
		return
	}
	usages := make([]engine.Usage, n)
	err := runN(r.Context(), n, func(ctx context.Context, i int) error {
		cr := base
		cr.Sampling.Seed = openaiwire.SeedFor(base.Sampling.Seed, i)
		roleSent := false
		sendRole := func() error {
			if roleSent {
				return nil
			}
			roleSent = true
			return one(openaiwire.ChunkChoice{Index: i, Delta: openaiwire.Delta{Role: "assistant"}})
		}
		res, err := s.eng.Chat(ctx, cr, func(ev engine.ChatEvent) error {
			if err := sendRole(); err != nil {
				return err
			}
			if ev.Content == "" && ev.Reasoning == "" && len(ev.Logprobs) == 0 {
				return nil
			}
			c := openaiwire.ChunkChoice{Index: i, Delta: openaiwire.Delta{ReasoningContent: ev.Reasoning}}
			if ev.Content != "" {
				text := ev.Content
				c.Delta.Content = &text
			}
			if cr.Logprobs && len(ev.Logprobs) > 0 {
				c.Logprobs = &openaiwire.ChatLogprobs{Content: openaiwire.LogprobsToOpenAI(ev.Logprobs)}
			}
			return one(c)
		})
		if err != nil {
			return err
		}
		usages[i] = res.Usage
		s.recordGeneration(r, base.Model, res.Usage, res.Timings)
		if err := sendRole(); err != nil {
			return err
		}
		// The engine hands tool calls over parsed, at the end; they go out as one delta.
		if calls := openaiwire.ToolCallsToOpenAI(res.Message.ToolCalls, true); len(calls) > 0 {
			if err := one(openaiwire.ChunkChoice{Index: i, Delta: openaiwire.Delta{ToolCalls: calls}}); err != nil {
				return err
			}
		}
		fr := openaiwire.FinishReason(res.FinishReason, len(res.Message.ToolCalls))
		return one(openaiwire.ChunkChoice{Index: i, FinishReason: &fr})
	})
	if err != nil {
		s.countEngineError(err)
		s.endStreamWithError(w, r, sw, err)
		return
	}
	if includeUsage {
		if sw.Send(chunk([]openaiwire.ChunkChoice{}, openaiwire.UsageToOpenAI(openaiwire.SumUsage(usages, n)))) != nil {
			return
		}
	}
	sw.Done()
}

// endStreamWithError answers with a status and JSON when nothing was streamed yet, and
// otherwise sends the error as the last SSE event (openai clients raise it).
func (s *Server) endStreamWithError(w http.ResponseWriter, r *http.Request, sw *streamWriter, err error) {
	sw.fail(w, r, err, writeOpenAIError, func(e *apiError) any { return openAIError(e) })
}
