package api

import (
	"context"
	"net/http"

	openaiwire "github.com/perchapp/perch/app/wire/openai"
	"github.com/perchapp/perch/engine"
)

// echoTexts gives each prompt as text, detokenizing token prompts, for echo.
func (s *Server) echoTexts(ctx context.Context, model string, prompts []openaiwire.CompletionPrompt) ([]string, error) {
	out := make([]string, len(prompts))
	for i, p := range prompts {
		if p.Tokens == nil {
			out[i] = p.Text
			continue
		}
		text, err := s.eng.Detokenize(ctx, model, p.Tokens, false)
		if err != nil {
			return nil, err
		}
		out[i] = text
	}
	return out, nil
}

func (s *Server) openaiCompletions(w http.ResponseWriter, r *http.Request) error {
	var req openaiwire.CompletionRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	base, prompts, n, err := openaiwire.CompletionRequestFromOpenAI(req)
	if err != nil {
		return err
	}
	noteModel(r, base.Model)
	base.KeepAlive = s.keepAlive(base.Model, base.KeepAlive)
	echo := make([]string, len(prompts))
	if req.Echo {
		if echo, err = s.echoTexts(r.Context(), base.Model, prompts); err != nil {
			s.countEngineError(err)
			return err
		}
	}
	jobs := openaiwire.CompletionJobs(base, prompts, n)
	if req.Stream {
		s.streamOpenAICompletions(w, r, req.Model, jobs, echo, req.StreamOptions != nil && req.StreamOptions.IncludeUsage)
		return nil
	}
	results := make([]*engine.CompletionResult, len(jobs))
	err = runN(r.Context(), len(jobs), func(ctx context.Context, i int) error {
		res, err := s.eng.Complete(ctx, jobs[i].Req, nil)
		results[i] = res
		return err
	})
	if err != nil {
		s.countEngineError(err)
		return err
	}
	resp := openaiwire.CompletionResponse{ID: openaiwire.NewID("cmpl-"), Object: "text_completion", Created: s.now().Unix(), Model: req.Model, SystemFingerprint: fingerprint,
		Choices: make([]openaiwire.CompletionChoice, len(jobs))}
	usages := make([]engine.Usage, len(jobs))
	for k, job := range jobs {
		res := results[k]
		prefix := echo[job.Prompt]
		fr := openaiwire.FinishReason(res.FinishReason, 0)
		c := openaiwire.CompletionChoice{Index: job.Index, Text: prefix + res.Text, FinishReason: &fr}
		if base.Logprobs {
			c.Logprobs = openaiwire.LegacyLogprobsOf(res.Logprobs, len(prefix))
		}
		resp.Choices[job.Index] = c
		s.recordGeneration(r, base.Model, res.Usage, res.Timings)
		usages[k] = res.Usage
	}
	resp.Usage = openaiwire.UsageToOpenAI(openaiwire.SumUsage(usages, n))
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (s *Server) streamOpenAICompletions(w http.ResponseWriter, r *http.Request, model string, jobs []openaiwire.CompletionJob, echo []string, includeUsage bool) {
	sw := newSSE(w)
	id, created := openaiwire.NewID("cmpl-"), s.now().Unix()
	send := func(c openaiwire.CompletionChoice) error {
		return sw.Send(openaiwire.CompletionResponse{ID: id, Object: "text_completion", Created: created, Model: model, SystemFingerprint: fingerprint, Choices: []openaiwire.CompletionChoice{c}})
	}
	usages := make([]engine.Usage, len(jobs))
	err := runN(r.Context(), len(jobs), func(ctx context.Context, k int) error {
		job := jobs[k]
		prefix := echo[job.Prompt]
		offset := len(prefix)
		sentPrefix := prefix == ""
		sendPrefix := func() error {
			if sentPrefix {
				return nil
			}
			sentPrefix = true
			return send(openaiwire.CompletionChoice{Index: job.Index, Text: prefix})
		}
		res, err := s.eng.Complete(ctx, job.Req, func(ev engine.Event) error {
			if err := sendPrefix(); err != nil {
				return err
			}
			c := openaiwire.CompletionChoice{Index: job.Index, Text: ev.Text}
			if job.Req.Logprobs && ev.Logprob != nil {
				c.Logprobs = openaiwire.LegacyLogprobsOf([]engine.Logprob{*ev.Logprob}, offset)
				offset += len(ev.Logprob.Token)
			}
			if ev.Text == "" && c.Logprobs == nil {
				return nil
			}
			return send(c)
		})
		if err != nil {
			return err
		}
		usages[k] = res.Usage
		s.recordGeneration(r, model, res.Usage, res.Timings)
		if err := sendPrefix(); err != nil {
			return err
		}
		fr := openaiwire.FinishReason(res.FinishReason, 0)
		return send(openaiwire.CompletionChoice{Index: job.Index, FinishReason: &fr})
	})
	if err != nil {
		s.countEngineError(err)
		s.endStreamWithError(w, r, sw, err)
		return
	}
	if includeUsage {
		total := openaiwire.SumUsage(usages, len(jobs)/len(echo)) // echo has one entry per prompt
		if sw.Send(openaiwire.CompletionResponse{ID: id, Object: "text_completion", Created: created, Model: model, SystemFingerprint: fingerprint,
			Choices: []openaiwire.CompletionChoice{}, Usage: openaiwire.UsageToOpenAI(total)}) != nil {
			return
		}
	}
	sw.Done()
}
