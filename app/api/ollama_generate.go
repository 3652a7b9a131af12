package api

import (
	"context"
	"net/http"
	"time"

	"github.com/perchapp/perch/app/wire"
	ollamawire "github.com/perchapp/perch/app/wire/ollama"
	"github.com/perchapp/perch/engine"
)

// loadOrUnload answers a request without a prompt: it loads the model, or unloads it when
// keep_alive is 0, and gives Ollama's done_reason.
func (s *Server) loadOrUnload(ctx context.Context, model string, load engine.LoadOptions, keepAlive *time.Duration) (string, error) {
	if keepAlive != nil && *keepAlive == 0 {
		err := s.eng.Unload(ctx, model)
		// A model that is not loaded is already unloaded.
		if err != nil && engine.KindOf(err) != engine.KindNotFound {
			return "", err
		}
		return "unload", nil
	}
	if _, err := s.eng.Load(ctx, model, load, keepAlive); err != nil {
		return "", err
	}
	return "load", nil
}

// planGenerate picks the engine call for /api/generate (ollamawire.PlanGenerate). Whether
// the model has a chat template is read by loading it, which the request would do anyway; the
// keep-alive is left to the request itself, since a keep_alive of 0 here would unload the
// model before the request runs and make it load twice.
func (s *Server) planGenerate(ctx context.Context, req ollamawire.GenerateRequest, run ollamawire.Run) (ollamawire.GeneratePlan, error) {
	return ollamawire.PlanGenerate(req, run, func() (bool, error) {
		st, err := s.eng.Load(ctx, req.Model, run.Load, nil)
		if err != nil {
			return false, err
		}
		return ollamawire.HasChatTemplate(st.Info.ChatTemplate), nil
	})
}

func (s *Server) ollamaGenerate(w http.ResponseWriter, r *http.Request) error {
	start := s.now()
	var req ollamawire.GenerateRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if err := wire.ValidateModelName("model", req.Model); err != nil {
		return err
	}
	noteModel(r, req.Model)
	if err := ollamawire.RefuseImages("images", req.Images); err != nil {
		return err
	}
	run, err := ollamawire.RunOptions(req.Options)
	if err != nil {
		return err
	}
	keepAlive, err := wire.ParseKeepAlive(req.KeepAlive, "keep_alive")
	if err != nil {
		return err
	}
	if err := ollamawire.CheckTopLogprobs(req.TopLogprobs); err != nil {
		return err
	}
	keepAlive = s.keepAlive(req.Model, keepAlive)
	if req.Prompt == "" && req.Suffix == "" {
		reason, err := s.loadOrUnload(r.Context(), req.Model, run.Load, keepAlive)
		if err != nil {
			s.countEngineError(err)
			return err
		}
		writeJSON(w, http.StatusOK, ollamawire.GenerateResponse{Model: req.Model, CreatedAt: s.now().UTC(), Done: true, DoneReason: reason})
		return nil
	}
	plan, err := s.planGenerate(r.Context(), req, run)
	if err != nil {
		s.countEngineError(err)
		return err
	}
	stream := req.Stream == nil || *req.Stream
	sw := newNDJSON(w)
	var send func(resp, think string, lp []engine.Logprob) error
	if stream { // otherwise the result holds the whole answer
		send = func(resp, think string, lp []engine.Logprob) error {
			if resp == "" && think == "" && len(lp) == 0 {
				return nil
			}
			return sw.Send(ollamawire.GenerateResponse{Model: req.Model, CreatedAt: s.now().UTC(), Response: resp, Thinking: think, Logprobs: ollamawire.LogprobsToOllama(lp)})
		}
	}
	g, err := s.runGenerate(r.Context(), plan, keepAlive, send)
	if err != nil {
		s.countEngineError(err)
		s.endNDJSONWithError(w, r, sw, err)
		return nil
	}
	s.recordGeneration(r, req.Model, g.usage, g.timings)
	final := ollamawire.GenerateResponse{Model: req.Model, CreatedAt: s.now().UTC(), Done: true, DoneReason: ollamawire.DoneReason(g.finish),
		Metrics: ollamawire.MetricsFromEngine(g.usage, g.timings, s.now().Sub(start)), Context: s.generateContext(r.Context(), req.Model, g)}
	if !stream {
		final.Response, final.Thinking, final.Logprobs = g.text, g.thinking, ollamawire.LogprobsToOllama(g.logprobs)
		writeJSON(w, http.StatusOK, final)
		return nil
	}
	sw.Send(final)
	return nil
}

// generated is what a generation produced, on either path.
type generated struct {
	text, thinking string
	logprobs       []engine.Logprob
	usage          engine.Usage
	timings        engine.Timings
	finish         string
	prompt         string // the prompt text the model saw, for the context array
}

// runGenerate runs a plan with keepAlive; send, when not nil, gets each piece as it comes.
func (s *Server) runGenerate(ctx context.Context, plan ollamawire.GeneratePlan, keepAlive *time.Duration, send func(resp, think string, lp []engine.Logprob) error) (generated, error) {
	if plan.Raw != nil {
		plan.Raw.KeepAlive = keepAlive
		var fn func(engine.Event) error
		if send != nil {
			fn = func(ev engine.Event) error {
				var lp []engine.Logprob
				if ev.Logprob != nil {
					lp = []engine.Logprob{*ev.Logprob}
				}
				return send(ev.Text, "", lp)
			}
		}
		res, err := s.eng.Complete(ctx, *plan.Raw, fn)
		if err != nil {
			return generated{}, err
		}
		return generated{text: res.Text, logprobs: res.Logprobs, usage: res.Usage, timings: res.Timings, finish: res.FinishReason, prompt: plan.Raw.Prompt}, nil
	}
	plan.Chat.KeepAlive = keepAlive
	var fn func(engine.ChatEvent) error
	if send != nil {
		fn = func(ev engine.ChatEvent) error { return send(ev.Content, ev.Reasoning, ev.Logprobs) }
	}
	res, err := s.eng.Chat(ctx, *plan.Chat, fn)
	if err != nil {
		return generated{}, err
	}
	return generated{text: res.Message.Content, thinking: res.Message.Reasoning, logprobs: res.Logprobs,
		usage: res.Usage, timings: res.Timings, finish: res.FinishReason, prompt: res.Prompt}, nil
}

// endNDJSONWithError answers with a status when nothing was streamed yet, and otherwise
// with one last {"error": "..."} line, as Ollama does.
func (s *Server) endNDJSONWithError(w http.ResponseWriter, r *http.Request, sw *streamWriter, err error) {
	sw.fail(w, r, err, writeOllamaError, func(e *apiError) any { return map[string]string{"error": e.Message} })
}

func (s *Server) ollamaChat(w http.ResponseWriter, r *http.Request) error {
	start := s.now()
	var req ollamawire.ChatRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if err := wire.ValidateModelName("model", req.Model); err != nil {
		return err
	}
	noteModel(r, req.Model)
	cr, err := ollamawire.ChatRequestFromOllama(req)
	if err != nil {
		return err
	}
	keepAlive, err := wire.ParseKeepAlive(req.KeepAlive, "keep_alive")
	if err != nil {
		return err
	}
	cr.KeepAlive = s.keepAlive(req.Model, keepAlive)
	if len(cr.Messages) == 0 {
		reason, err := s.loadOrUnload(r.Context(), req.Model, cr.Load, cr.KeepAlive)
		if err != nil {
			s.countEngineError(err)
			return err
		}
		writeJSON(w, http.StatusOK, ollamawire.ChatResponse{Model: req.Model, CreatedAt: s.now().UTC(), Message: ollamawire.ResponseMessage{Role: "assistant"}, Done: true, DoneReason: reason})
		return nil
	}
	stream := req.Stream == nil || *req.Stream
	sw := newNDJSON(w)
	res, err := s.eng.Chat(r.Context(), cr, func(ev engine.ChatEvent) error {
		if !stream || (ev.Content == "" && ev.Reasoning == "" && len(ev.Logprobs) == 0) {
			return nil
		}
		return sw.Send(ollamawire.ChatResponse{Model: req.Model, CreatedAt: s.now().UTC(),
			Message: ollamawire.ResponseMessage{Role: "assistant", Content: ev.Content, Thinking: ev.Reasoning}, Logprobs: ollamawire.LogprobsToOllama(ev.Logprobs)})
	})
	if err != nil {
		s.countEngineError(err)
		s.endNDJSONWithError(w, r, sw, err)
		return nil
	}
	s.recordGeneration(r, req.Model, res.Usage, res.Timings)
	final := ollamawire.ChatResponse{Model: req.Model, CreatedAt: s.now().UTC(), Message: ollamawire.ResponseMessage{Role: "assistant"}, Done: true,
		DoneReason: ollamawire.DoneReason(res.FinishReason), Metrics: ollamawire.MetricsFromEngine(res.Usage, res.Timings, s.now().Sub(start))}
	calls := ollamawire.ToolCallsToOllama(res.Message.ToolCalls)
	if !stream {
		final.Message = ollamawire.ResponseMessage{Role: "assistant", Content: res.Message.Content, Thinking: res.Message.Reasoning, ToolCalls: calls}
		final.Logprobs = ollamawire.LogprobsToOllama(res.Logprobs)
		writeJSON(w, http.StatusOK, final)
		return nil
	}
	// Tool calls arrive parsed at the end; Ollama streams them in a message of their own.
	if len(calls) > 0 {
		if err := sw.Send(ollamawire.ChatResponse{Model: req.Model, CreatedAt: s.now().UTC(), Message: ollamawire.ResponseMessage{Role: "assistant", ToolCalls: calls}}); err != nil {
			return nil
		}
	}
	sw.Send(final)
	return nil
}
