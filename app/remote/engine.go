package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/vecmath"
)

// Local is the engine on this Mac, as the API and the document collections use it.
type Local interface {
	Complete(ctx context.Context, req engine.CompletionRequest, fn func(engine.Event) error) (*engine.CompletionResult, error)
	Chat(ctx context.Context, req engine.ChatRequest, fn func(engine.ChatEvent) error) (*engine.ChatResult, error)
	Embed(ctx context.Context, req engine.EmbedRequest) (*engine.EmbedResult, error)
	Tokenize(ctx context.Context, model, text string, addSpecial, parseSpecial bool) ([]engine.TokenPiece, error)
	Detokenize(ctx context.Context, model string, tokens []int32, special bool) (string, error)
	Load(ctx context.Context, model string, opts engine.LoadOptions, keepAlive *time.Duration) (*engine.Status, error)
	Unload(ctx context.Context, model string) error
	Loaded() []engine.Status
}

// Engine answers requests for "NAME/model" on the remote NAME, speaking the OpenAI API (which
// Ollama, Perch, vLLM, llama-server and LM Studio all serve under /v1), and everything else
// on the local engine. The Perch UI's chats, the Ollama routes for an OpenAI-kind remote and
// the document collections reach remotes through it; same-format API routes are forwarded
// as they are instead (app/api).
type Engine struct {
	Local
	Remotes *Manager
}

// Chat answers a conversation, streaming its pieces to fn.
func (e Engine) Chat(ctx context.Context, req engine.ChatRequest, fn func(engine.ChatEvent) error) (*engine.ChatResult, error) {
	t, ok := e.Remotes.Resolve(req.Model)
	if !ok {
		return e.Local.Chat(ctx, req, fn)
	}
	body, err := chatBody(t.Model, req)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	resp, err := e.post(ctx, t, "/v1/chat/completions", body)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	acc := newChatAccumulator()
	var fnErr error
	err = readSSE(resp.Body, func(data []byte) error {
		ev, err := acc.add(data)
		if err != nil {
			return err
		}
		if fn != nil && (ev.Content != "" || ev.Reasoning != "") {
			if fnErr = fn(ev); fnErr != nil {
				return fnErr
			}
		}
		return nil
	})
	if fnErr != nil {
		return nil, fnErr
	}
	if err != nil {
		return nil, e.broken(ctx, t, err)
	}
	if !acc.finished {
		return nil, e.broken(ctx, t, fmt.Errorf("the stream ended before the answer was finished"))
	}
	res := acc.result()
	res.Timings = engine.Timings{TotalMs: float64(time.Since(start).Microseconds()) / 1000, FirstTokenM: acc.firstMs(start)}
	return res, nil
}

// Complete continues a prompt through /v1/completions.
func (e Engine) Complete(ctx context.Context, req engine.CompletionRequest, fn func(engine.Event) error) (*engine.CompletionResult, error) {
	t, ok := e.Remotes.Resolve(req.Model)
	if !ok {
		return e.Local.Complete(ctx, req, fn)
	}
	if len(req.Tokens) > 0 || req.Suffix != "" {
		return nil, engine.Errorf(engine.KindInvalid, "model %q runs on remote endpoint %q, which takes text prompts only (no token ids or suffix)", req.Model, t.Endpoint.Name)
	}
	body := samplingBody(t.Model, req.RequestOptions)
	body["prompt"] = req.Prompt
	start := time.Now()
	resp, err := e.post(ctx, t, "/v1/completions", body)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	res := &engine.CompletionResult{}
	finished := false
	err = readSSE(resp.Body, func(data []byte) error {
		var c struct {
			Choices []struct {
				Text         string  `json:"text"`
				FinishReason *string `json:"finish_reason"`
			} `json:"choices"`
			Usage *openAIUsage    `json:"usage"`
			Error json.RawMessage `json:"error"`
		}
		if err := json.Unmarshal(data, &c); err != nil {
			return fmt.Errorf("unreadable chunk: %v", err)
		}
		if len(c.Error) > 0 {
			return fmt.Errorf("%s", errorText(c.Error))
		}
		if c.Usage != nil {
			res.Usage = c.Usage.engine()
		}
		for _, ch := range c.Choices {
			res.Text += ch.Text
			if ch.Text != "" && fn != nil {
				if err := fn(engine.Event{Text: ch.Text}); err != nil {
					return err
				}
			}
			if ch.FinishReason != nil {
				res.FinishReason, finished = *ch.FinishReason, true
			}
		}
		return nil
	})
	if err == nil && !finished {
		err = fmt.Errorf("the stream ended before the answer was finished")
	}
	if err != nil {
		return nil, e.broken(ctx, t, err)
	}
	res.Timings.TotalMs = float64(time.Since(start).Microseconds()) / 1000
	return res, nil
}

// Embed asks the remote's /v1/embeddings; vectors are normalised when asked, as locally.
func (e Engine) Embed(ctx context.Context, req engine.EmbedRequest) (*engine.EmbedResult, error) {
	t, ok := e.Remotes.Resolve(req.Model)
	if !ok {
		return e.Local.Embed(ctx, req)
	}
	if len(req.Tokens) > 0 {
		return nil, engine.Errorf(engine.KindInvalid, "model %q runs on remote endpoint %q, which takes text inputs only", req.Model, t.Endpoint.Name)
	}
	resp, err := e.post(ctx, t, "/v1/embeddings", map[string]any{"model": t.Model, "input": req.Inputs})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out struct {
		Data []struct {
			Index     int       `json:"index"`
			Embedding []float32 `json:"embedding"`
		} `json:"data"`
		Usage openAIUsage `json:"usage"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, e.broken(ctx, t, fmt.Errorf("unreadable embeddings: %v", err))
	}
	res := &engine.EmbedResult{Embeddings: make([][]float32, len(req.Inputs)), PromptTokens: out.Usage.PromptTokens}
	for _, d := range out.Data {
		if d.Index < 0 || d.Index >= len(res.Embeddings) {
			return nil, e.broken(ctx, t, fmt.Errorf("embedding index %d out of range", d.Index))
		}
		if req.Normalize {
			vecmath.Normalize(d.Embedding)
		}
		res.Embeddings[d.Index] = d.Embedding
	}
	return res, nil
}

// Load has nothing to load for a remote model: the remote loads on demand.
func (e Engine) Load(ctx context.Context, model string, opts engine.LoadOptions, keepAlive *time.Duration) (*engine.Status, error) {
	t, ok := e.Remotes.Resolve(model)
	if !ok {
		return e.Local.Load(ctx, model, opts, keepAlive)
	}
	// A chat template is assumed: remote chat APIs apply their own.
	return &engine.Status{Name: model, Path: t.Endpoint.URL, Info: engine.ModelInfo{ChatTemplate: "(remote)"}}, nil
}

// Unload leaves a remote model alone: the remote manages its own memory.
func (e Engine) Unload(ctx context.Context, model string) error {
	if _, ok := e.Remotes.Resolve(model); ok {
		return nil
	}
	return e.Local.Unload(ctx, model)
}

// Tokenize works on local models only.
func (e Engine) Tokenize(ctx context.Context, model, text string, addSpecial, parseSpecial bool) ([]engine.TokenPiece, error) {
	if t, ok := e.Remotes.Resolve(model); ok {
		return nil, engine.Errorf(engine.KindInvalid, "model %q runs on remote endpoint %q; tokenizing works on this Mac's models only", model, t.Endpoint.Name)
	}
	return e.Local.Tokenize(ctx, model, text, addSpecial, parseSpecial)
}

// Detokenize works on local models only.
func (e Engine) Detokenize(ctx context.Context, model string, tokens []int32, special bool) (string, error) {
	if t, ok := e.Remotes.Resolve(model); ok {
		return "", engine.Errorf(engine.KindInvalid, "model %q runs on remote endpoint %q; detokenizing works on this Mac's models only", model, t.Endpoint.Name)
	}
	return e.Local.Detokenize(ctx, model, tokens, special)
}

// post sends a JSON body and turns a non-200 answer into an error in the engine's terms.
func (e Engine) post(ctx context.Context, t Target, path string, body any) (*http.Response, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	resp, err := e.Remotes.Do(ctx, t, http.MethodPost, path, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusOK {
		return resp, nil
	}
	detail := readDetail(resp)
	msg := fmt.Sprintf("remote endpoint %q (%s) refused the request: %s", t.Endpoint.Name, t.Endpoint.URL, detail)
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return nil, engine.Errorf(engine.KindNotFound, "%s", msg)
	case resp.StatusCode >= 400 && resp.StatusCode < 500:
		return nil, engine.Errorf(engine.KindInvalid, "%s", msg)
	}
	return nil, &Error{Endpoint: t.Endpoint.Name, URL: t.Endpoint.URL, Problem: BadAnswer, Detail: fmt.Sprintf("POST %s answered %s", path, detail)}
}

// broken wraps a failure while reading an answer; a caller that went away stays cancelled.
func (e Engine) broken(ctx context.Context, t Target, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return e.Remotes.note(t.Endpoint, 0, &Error{Endpoint: t.Endpoint.Name, URL: t.Endpoint.URL, Problem: Broken, Detail: err.Error(), Err: err})
}

// errorText reads an error field that is a string or {"message": …}.
func errorText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &o) == nil && o.Message != "" {
		return o.Message
	}
	return string(raw)
}

// Ensure Engine keeps the local engine's shape.
var _ Local = Engine{}

// toolArgs gives OpenAI's string form of a call's arguments.
func toolArgs(raw json.RawMessage) string {
	if len(raw) == 0 {
		return "{}"
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}
