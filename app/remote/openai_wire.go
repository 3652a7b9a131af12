package remote

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/chat"
)

type openAIUsage struct {
	PromptTokens        int `json:"prompt_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	PromptTokensDetails *struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
}

func (u openAIUsage) engine() engine.Usage {
	out := engine.Usage{PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens}
	if u.PromptTokensDetails != nil {
		out.CachedTokens = u.PromptTokensDetails.CachedTokens
	}
	return out
}

// samplingBody is the OpenAI request's generation settings, for chat and completions.
func samplingBody(model string, o engine.RequestOptions) map[string]any {
	b := map[string]any{"model": model, "stream": true, "stream_options": map[string]any{"include_usage": true},
		"temperature": o.Sampling.Temperature}
	if o.Sampling.TopP > 0 {
		b["top_p"] = o.Sampling.TopP
	}
	if o.Sampling.Seed >= 0 {
		b["seed"] = o.Sampling.Seed
	}
	if o.MaxTokens > 0 {
		b["max_tokens"] = o.MaxTokens
	}
	if len(o.Stop) > 0 {
		b["stop"] = o.Stop
	}
	if o.Sampling.PresencePenalty != 0 {
		b["presence_penalty"] = o.Sampling.PresencePenalty
	}
	if o.Sampling.FrequencyPenalty != 0 {
		b["frequency_penalty"] = o.Sampling.FrequencyPenalty
	}
	return b
}

// chatBody turns an engine chat request into OpenAI's.
func chatBody(model string, req engine.ChatRequest) (map[string]any, error) {
	if req.Template != "" {
		return nil, engine.Errorf(engine.KindInvalid, "model %q runs on a remote endpoint, which applies its own chat template; leave out template", req.Model)
	}
	b := samplingBody(model, req.RequestOptions)
	msgs := make([]map[string]any, 0, len(req.Messages))
	for _, m := range req.Messages {
		o := map[string]any{"role": m.Role, "content": m.Content}
		if m.Name != "" {
			o["name"] = m.Name
		}
		if m.ToolCallID != "" {
			o["tool_call_id"] = m.ToolCallID
		}
		if len(m.ToolCalls) > 0 {
			calls := make([]map[string]any, len(m.ToolCalls))
			for i, c := range m.ToolCalls {
				calls[i] = map[string]any{"id": c.ID, "type": "function",
					"function": map[string]any{"name": c.Function.Name, "arguments": toolArgs(c.Function.Arguments)}}
			}
			o["tool_calls"] = calls
		}
		msgs = append(msgs, o)
	}
	b["messages"] = msgs
	if len(req.Tools) > 0 {
		b["tools"] = req.Tools
		switch req.ToolChoice.Mode {
		case "auto", "none", "required":
			b["tool_choice"] = req.ToolChoice.Mode
		case "function":
			b["tool_choice"] = map[string]any{"type": "function", "function": map[string]any{"name": req.ToolChoice.Function}}
		}
	}
	if f := req.Format; f != nil {
		switch f.Type {
		case "json_schema":
			b["response_format"] = map[string]any{"type": "json_schema", "json_schema": map[string]any{"name": "output", "schema": f.Schema}}
		default:
			b["response_format"] = map[string]any{"type": "json_object"}
		}
	}
	return b, nil
}

// readSSE calls fn with each event's data until "[DONE]" or the end of the body.
func readSSE(body io.Reader, fn func(data []byte) error) error {
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		data, ok := bytes.CutPrefix(line, []byte("data:"))
		if !ok {
			continue
		}
		data = bytes.TrimSpace(data)
		if string(data) == "[DONE]" {
			return nil
		}
		if err := fn(data); err != nil {
			return err
		}
	}
	return sc.Err()
}

// chatAccumulator builds the answer from a chat stream's chunks.
type chatAccumulator struct {
	msg      chat.Message
	calls    map[int]*chat.ToolCall
	args     map[int]*bytes.Buffer
	order    []int
	finish   string
	usage    engine.Usage
	finished bool
	first    time.Time
}

func newChatAccumulator() *chatAccumulator {
	return &chatAccumulator{msg: chat.Message{Role: "assistant"}, calls: map[int]*chat.ToolCall{}, args: map[int]*bytes.Buffer{}}
}

type chatChunk struct {
	Choices []struct {
		Delta struct {
			Content          *string `json:"content"`
			ReasoningContent string  `json:"reasoning_content"`
			Reasoning        string  `json:"reasoning"`
			ToolCalls        []struct {
				Index    *int   `json:"index"`
				ID       string `json:"id"`
				Function struct {
					Name      string `json:"name"`
					Arguments string `json:"arguments"`
				} `json:"function"`
			} `json:"tool_calls"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *openAIUsage    `json:"usage"`
	Error json.RawMessage `json:"error"`
}

// add takes one chunk and returns the text it adds.
func (a *chatAccumulator) add(data []byte) (engine.ChatEvent, error) {
	var c chatChunk
	if err := json.Unmarshal(data, &c); err != nil {
		return engine.ChatEvent{}, fmt.Errorf("unreadable chunk: %v", err)
	}
	if len(c.Error) > 0 {
		return engine.ChatEvent{}, fmt.Errorf("%s", errorText(c.Error))
	}
	if c.Usage != nil {
		a.usage = c.Usage.engine()
	}
	var ev engine.ChatEvent
	for _, ch := range c.Choices {
		d := ch.Delta
		if d.Content != nil {
			ev.Content += *d.Content
		}
		ev.Reasoning += d.ReasoningContent + d.Reasoning
		for j, tc := range d.ToolCalls {
			i := j
			if tc.Index != nil {
				i = *tc.Index
			}
			call, ok := a.calls[i]
			if !ok {
				call = &chat.ToolCall{Type: "function"}
				a.calls[i], a.args[i] = call, &bytes.Buffer{}
				a.order = append(a.order, i)
			}
			if tc.ID != "" {
				call.ID = tc.ID
			}
			call.Function.Name += tc.Function.Name
			a.args[i].WriteString(tc.Function.Arguments)
		}
		if ch.FinishReason != nil && *ch.FinishReason != "" {
			a.finish, a.finished = *ch.FinishReason, true
		}
	}
	if (ev.Content != "" || ev.Reasoning != "") && a.first.IsZero() {
		a.first = time.Now()
	}
	a.msg.Content += ev.Content
	a.msg.Reasoning += ev.Reasoning
	return ev, nil
}

func (a *chatAccumulator) result() *engine.ChatResult {
	for _, i := range a.order {
		c := *a.calls[i]
		args := a.args[i].Bytes()
		if !json.Valid(args) {
			args, _ = json.Marshal(string(args)) // kept as text rather than lost
		}
		c.Function.Arguments = json.RawMessage(args)
		a.msg.ToolCalls = append(a.msg.ToolCalls, c)
	}
	return &engine.ChatResult{Message: a.msg, FinishReason: a.finish, Usage: a.usage}
}

func (a *chatAccumulator) firstMs(start time.Time) float64 {
	if a.first.IsZero() {
		return 0
	}
	return float64(a.first.Sub(start).Microseconds()) / 1000
}
