package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/perchapp/perch/app/wire/ollama"
	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/chat"
)

// remoteBackend chats through a running Perch's Ollama-compatible /api/chat.
type remoteBackend struct {
	base string
}

func (r *remoteBackend) Close() {}

func (r *remoteBackend) post(ctx context.Context, path string, body any) (*http.Response, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.base+path, bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if k := os.Getenv("PERCH_API_KEY"); k != "" {
		req.Header.Set("Authorization", "Bearer "+k)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		var e struct {
			Error string `json:"error"`
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return nil, fmt.Errorf("%s", e.Error)
		}
		return nil, fmt.Errorf("Perch at %s answered %s", r.base, resp.Status)
	}
	return resp, nil
}

func (r *remoteBackend) Load(ctx context.Context, model string, opts engine.LoadOptions) (string, bool, error) {
	body := map[string]any{"model": model, "prompt": "", "stream": false}
	o := map[string]any{}
	if opts.ContextLength > 0 {
		o["num_ctx"] = opts.ContextLength
	}
	if opts.DraftModel != "" {
		o["draft_model"] = opts.DraftModel
	}
	if len(o) > 0 {
		body["options"] = o
	}
	resp, err := r.post(ctx, "/api/generate", body)
	if err != nil {
		return "", false, err
	}
	resp.Body.Close()
	resp, err = r.post(ctx, "/api/show", map[string]any{"model": model})
	if err != nil {
		return "", false, err
	}
	defer resp.Body.Close()
	var show struct {
		Template string `json:"template"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&show); err != nil {
		return "", false, fmt.Errorf("unreadable /api/show answer: %w", err)
	}
	return "", show.Template != "", nil
}

func (r *remoteBackend) options(s engine.Sampling, maxTokens int, load engine.LoadOptions) map[string]any {
	opts := map[string]any{"temperature": s.Temperature, "top_p": s.TopP, "top_k": s.TopK, "repeat_penalty": s.RepeatPenalty}
	if s.Seed >= 0 {
		opts["seed"] = s.Seed
	}
	if maxTokens > 0 {
		opts["num_predict"] = maxTokens
	}
	if load.ContextLength > 0 {
		opts["num_ctx"] = load.ContextLength
	}
	if load.DraftModel != "" {
		opts["draft_model"] = load.DraftModel
	}
	return opts
}

// Complete continues a raw prompt through /api/generate.
func (r *remoteBackend) Complete(ctx context.Context, req engine.CompletionRequest, fn func(string)) (*engine.CompletionResult, error) {
	start := time.Now()
	resp, err := r.post(ctx, "/api/generate", map[string]any{"model": req.Model, "prompt": req.Prompt, "raw": true, "stream": true,
		"options": r.options(req.Sampling, req.MaxTokens, req.Load)})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	res := &engine.CompletionResult{}
	err = r.stream(ctx, start, resp.Body, func(c ollamaChunk) {
		res.Text += c.Response
		fn(c.Response)
	}, func(c ollamaChunk, t engine.Timings) {
		res.FinishReason, res.Timings = c.DoneReason, t
		res.Usage = engine.Usage{PromptTokens: c.PromptEvalCount, CompletionTokens: c.EvalCount}
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// ollamaChunk is one line of /api/generate's or /api/chat's stream (the first carries
// Response, the second Message; both end with the metrics).
type ollamaChunk struct {
	Response string `json:"response"`
	Message  struct {
		Content   string          `json:"content"`
		Thinking  string          `json:"thinking"`
		ToolCalls []chat.ToolCall `json:"tool_calls"`
	} `json:"message"`
	Done       bool   `json:"done"`
	DoneReason string `json:"done_reason"`
	ollama.Metrics
	Error string `json:"error"`
}

func (r *remoteBackend) Chat(ctx context.Context, req engine.ChatRequest, fn func(engine.ChatEvent) error) (*engine.ChatResult, error) {
	start := time.Now()
	resp, err := r.post(ctx, "/api/chat", map[string]any{"model": req.Model, "messages": req.Messages, "stream": true,
		"options": r.options(req.Sampling, req.MaxTokens, req.Load)})
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	res := &engine.ChatResult{Message: chat.Message{Role: "assistant"}}
	var fnErr error
	err = r.stream(ctx, start, resp.Body, func(c ollamaChunk) {
		res.Message.Content += c.Message.Content
		res.Message.Reasoning += c.Message.Thinking
		res.Message.ToolCalls = append(res.Message.ToolCalls, c.Message.ToolCalls...)
		if fn != nil && fnErr == nil && (c.Message.Content != "" || c.Message.Thinking != "") {
			fnErr = fn(engine.ChatEvent{Content: c.Message.Content, Reasoning: c.Message.Thinking})
		}
	}, func(c ollamaChunk, t engine.Timings) {
		res.FinishReason, res.Timings = c.DoneReason, t
		res.Usage = engine.Usage{PromptTokens: c.PromptEvalCount, CompletionTokens: c.EvalCount}
	})
	if fnErr != nil {
		return nil, fnErr
	}
	if err != nil {
		return nil, err
	}
	return res, nil
}

// stream reads an Ollama NDJSON answer: each chunk to piece, the last one to done with the
// timings it reports.
func (r *remoteBackend) stream(ctx context.Context, start time.Time, body io.Reader, piece func(ollamaChunk), done func(ollamaChunk, engine.Timings)) error {
	first := 0.0
	lines := bufio.NewScanner(body)
	lines.Buffer(make([]byte, 1<<20), 16<<20)
	for lines.Scan() {
		var c ollamaChunk
		if err := json.Unmarshal(lines.Bytes(), &c); err != nil {
			return fmt.Errorf("unreadable answer from Perch: %w", err)
		}
		if c.Error != "" {
			return fmt.Errorf("%s", c.Error)
		}
		if first == 0 && (c.Response != "" || c.Message.Content != "" || c.Message.Thinking != "") {
			first = float64(time.Since(start)) / 1e6
		}
		piece(c)
		if c.Done {
			t := engine.Timings{FirstTokenM: first, LoadMs: float64(c.LoadDuration) / 1e6, PromptMs: float64(c.PromptEvalDuration) / 1e6,
				PredictMs: float64(c.EvalDuration) / 1e6, TotalMs: float64(time.Since(start)) / 1e6}
			if t.PromptMs > 0 {
				t.PromptPerS = float64(c.PromptEvalCount) / (t.PromptMs / 1000)
			}
			if t.PredictMs > 0 {
				t.PredictPerS = float64(c.EvalCount) / (t.PredictMs / 1000)
			}
			done(c, t)
			return nil
		}
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err := lines.Err(); err != nil {
		return err
	}
	return fmt.Errorf("Perch at %s ended the answer early", r.base)
}

// Memory is not reported per request by the Ollama API; perch ps shows it.
func (r *remoteBackend) Memory(string) (engine.MemoryUsage, bool) { return engine.MemoryUsage{}, false }
