package engine

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/perchapp/perch/engine/chat"
)

// templates caches a model's compiled chat template per runner.
type templates struct {
	once sync.Once
	tmpl *chat.Template
	err  error
}

func (r *runner) template(override string) (*chat.Template, error) {
	info := r.proc.info.Model
	if override != "" {
		t, err := chat.NewTemplate(override, info.BOS, info.EOS)
		if err != nil {
			return nil, &Error{Kind: KindInvalid, Param: "template", Message: err.Error()}
		}
		return t, nil
	}
	r.tmpls.once.Do(func() {
		r.tmpls.tmpl, r.tmpls.err = chat.NewTemplate(info.ChatTemplate, info.BOS, info.EOS)
		if r.tmpls.err != nil {
			// A GGUF whose template our Jinja engine cannot read still chats, in ChatML.
			r.e.log.Warn("model's chat template does not compile; using ChatML", "model", r.name, "err", r.tmpls.err)
			r.tmpls.tmpl, r.tmpls.err = chat.NewTemplate("", info.BOS, info.EOS)
		}
	})
	return r.tmpls.tmpl, r.tmpls.err
}

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
	r, waited, err := e.acquire(ctx, req.Model, req.Load, req.KeepAlive)
	if err != nil {
		return nil, err
	}
	defer e.release(r)
	tmpl, err := r.template(req.Template)
	if err != nil {
		return nil, err
	}
	tools := req.Tools
	if req.ToolChoice.Mode == "none" {
		tools = nil
	}
	prompt, err := tmpl.Render(req.Messages, chat.RenderOptions{Tools: tools, AddGenerationPrompt: true, EnableThinking: req.Think})
	if err != nil {
		return nil, &Error{Kind: KindInvalid, Param: "messages", Message: fmt.Sprintf("the chat template could not render these messages: %v", err)}
	}
	if r.proc.info.Model.AddBOS {
		prompt = chat.StripBOS(prompt, r.proc.info.Model.BOS)
	}
	grammar, err := grammarFor(req, tmpl, tools)
	if err != nil {
		return nil, err
	}
	sampling := req.Sampling
	if grammar != "" {
		sampling.Grammar = grammar
	}
	parser := chat.NewParser(tmpl.ParserOptions(prompt, len(tools) > 0))
	var sentContent, sentReasoning strings.Builder
	emit := func(ev ChatEvent) error {
		sentContent.WriteString(ev.Content)
		sentReasoning.WriteString(ev.Reasoning)
		if fn == nil || (ev.Content == "" && ev.Reasoning == "" && len(ev.Logprobs) == 0) {
			return nil
		}
		return fn(ev)
	}
	creq := CompletionRequest{
		Model: req.Model, Prompt: prompt, MaxTokens: req.MaxTokens, Stop: append(append([]string(nil), req.Stop...), r.ref.Stop...),
		Sampling: sampling, Logprobs: req.Logprobs, TopLogprobs: req.TopLogprobs,
		ContextShift: req.ContextShift, SaveState: req.SaveState,
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
	// What the parser held back to the end (a tag that never closed, say) is sent now.
	if rest, ok := strings.CutPrefix(parsed.Content, sentContent.String()); ok && rest != "" {
		if err := emit(ChatEvent{Content: rest}); err != nil {
			return nil, err
		}
	}
	if rest, ok := strings.CutPrefix(parsed.Reasoning, sentReasoning.String()); ok && rest != "" {
		if err := emit(ChatEvent{Reasoning: rest}); err != nil {
			return nil, err
		}
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
