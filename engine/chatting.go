package engine

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/perchapp/perch/engine/chat"
)

// Chat renders the conversation with the model's template, generates, and parses the answer
// (reasoning, tool calls), calling fn for each streamed piece.
func (e *Engine) Chat(ctx context.Context, req ChatRequest, fn func(ChatEvent) error) (*ChatResult, error) {
	start := time.Now()
	if len(req.Messages) == 0 {
		return nil, &Error{Kind: KindInvalid, Param: "messages", Message: "messages is empty; send at least one message"}
	}
	if req.ToolChoice.Mode == "function" {
		found := false
		for _, t := range req.Tools {
			found = found || t.Function.Name == req.ToolChoice.Function
		}
		if !found {
			return nil, &Error{Kind: KindInvalid, Param: "tool_choice", Message: fmt.Sprintf("tool_choice names %q, which is not among the tools", req.ToolChoice.Function)}
		}
	}
	load := req.Load
	load.generate, load.request = true, true
	r, waited, err := e.acquire(ctx, req.Model, load, req.KeepAlive)
	if err != nil {
		return nil, err
	}
	defer e.release(r)
	tools := req.Tools
	if req.ToolChoice.Mode == "none" {
		tools = nil
	}
	var rendered RenderResponse
	if err := r.proc.call(ctx, http.MethodPost, "/render", RenderRequest{Messages: req.Messages, Tools: tools, Think: req.Think, Template: req.Template, Continue: req.Continue}, &rendered); err != nil {
		return nil, err
	}
	if len(tools) > 0 && !rendered.NativeTools {
		// Ollama's answer; a tool prompt of our own would be hundreds of tokens the model was
		// never trained to read.
		return nil, &Error{Kind: KindInvalid, Param: "tools", Message: fmt.Sprintf("%s does not support tools", req.Model)}
	}
	prompt := rendered.Prompt
	grammar, err := grammarFor(req, rendered.ToolFamily, tools)
	if err != nil {
		return nil, err
	}
	sampling := req.Sampling
	if grammar != "" {
		// A reasoning model may think first, then must follow the grammar.
		sampling.Grammar = chat.AllowThinking(grammar, rendered.Parser)
	}
	popts := rendered.Parser
	popts.ToolForced = grammar != "" && req.Format == nil
	parser := chat.NewParser(popts)
	emit := func(ev ChatEvent) error {
		if fn == nil || (ev.Content == "" && ev.Reasoning == "" && len(ev.Logprobs) == 0) {
			return nil
		}
		return fn(ev)
	}
	creq := CompletionRequest{
		Model: req.Model, Prompt: prompt,
		RequestOptions: RequestOptions{
			MaxTokens: req.MaxTokens, Stop: append(append([]string(nil), req.Stop...), r.ref.Stop...),
			Sampling: sampling, Logprobs: req.Logprobs, TopLogprobs: req.TopLogprobs,
			ContextShift: req.ContextShift, SaveState: req.SaveState,
		},
	}
	res, err := r.proc.complete(ctx, creq, func(ev Event) error {
		content, reasoning := parser.Feed(ev.Text)
		out := ChatEvent{Content: content, Reasoning: reasoning}
		if ev.Logprob != nil {
			out.Logprobs = []Logprob{*ev.Logprob}
		}
		return emit(out)
	})
	if err != nil {
		return nil, err
	}
	parsed := parser.Finish()
	if parsed.PartialToolCall != "" {
		// Kept out of the content; the finish reason (length, mostly) says why it broke.
		slog.Warn("tool call cut short or malformed", "model", req.Model, "finish", res.FinishReason, "text", parsed.PartialToolCall)
	}
	// What the parser held back to the end (a tag that never closed, say) is sent now.
	if err := emit(ChatEvent{Content: parsed.UnsentContent, Reasoning: parsed.UnsentReasoning}); err != nil {
		return nil, err
	}
	out := &ChatResult{
		Message:      chat.Message{Role: "assistant", Content: parsed.Content, Reasoning: parsed.Reasoning, ToolCalls: parsed.ToolCalls},
		FinishReason: res.FinishReason,
		Usage:        res.Usage,
		Timings:      res.Timings,
		Logprobs:     res.Logprobs,
		Prompt:       prompt,
	}
	if len(parsed.ToolCalls) > 0 && res.FinishReason == FinishStop {
		out.FinishReason = FinishToolCalls
	}
	out.Timings.LoadMs = ms(waited)
	out.Timings.TotalMs = ms(time.Since(start))
	return out, nil
}
