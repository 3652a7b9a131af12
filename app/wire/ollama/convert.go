package ollama

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/perchapp/perch/app/wire"
	"github.com/perchapp/perch/app/wire/openai"
	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/chat"
)

// Pure conversions between Ollama JSON and engine types. Absent options take
// engine.DefaultSampling() (Ollama's own defaults: temperature 0.8, top_k 40, top_p 0.9,
// repeat_penalty 1.1 over the last 64 tokens, random seed); num_predict absent or negative
// means until the context is full (no context shift); num_ctx absent leaves the engine's default.

// Run is what a request's options ask of the engine.
type Run struct {
	Sampling  engine.Sampling
	Load      engine.LoadOptions
	MaxTokens int
	Stop      []string
	Keep      int
}

// ignoredOptions are accepted for compatibility but have no effect in Perch.
var ignoredOptions = map[string]bool{
	"penalize_newline": true, "numa": true, "main_gpu": true, "low_vram": true, "f16_kv": true, "vocab_only": true,
	"use_mmap": true, "use_mlock": true, "draft_num_predict": true, "mirostat": true, "mirostat_tau": true,
	"mirostat_eta": true, "tfs_z": true, "num_gqa": true, "rope_frequency_base": true, "rope_frequency_scale": true,
	"embedding_only": true, "logits_all": true,
}

// RunOptions reads "options". Unknown keys are ignored, as Ollama does, so newer clients
// keep working; a known key with the wrong type is a 400 that names it.
func RunOptions(opts map[string]json.RawMessage) (Run, error) {
	run := Run{Sampling: engine.DefaultSampling()}
	num := func(key string, raw json.RawMessage) (float64, error) {
		var v float64
		if err := json.Unmarshal(raw, &v); err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, wire.BadRequest("options."+key, "options.%s must be a number, got %s", key, wire.JSONKind(raw))
		}
		if math.Abs(v) > math.MaxFloat32 { // would become ±Inf as the engine's float32
			return 0, wire.BadRequest("options."+key, "options.%s is out of range: %v is larger than a 32-bit float holds (about 3.4e38)", key, v)
		}
		return v, nil
	}
	integer := func(key string, raw json.RawMessage) (int, error) {
		v, err := num(key, raw)
		if err != nil {
			return 0, err
		}
		if v != math.Trunc(v) || math.Abs(v) > math.MaxInt32 {
			return 0, wire.BadRequest("options."+key, "options.%s must be an integer, got %v", key, v)
		}
		return int(v), nil
	}
	for _, key := range slices.Sorted(maps.Keys(opts)) {
		raw := opts[key]
		if wire.IsNull(raw) || ignoredOptions[key] {
			continue
		}
		var err error
		var f float64
		var i int
		s := &run.Sampling
		switch key {
		case "temperature", "top_p", "min_p", "typical_p", "repeat_penalty", "presence_penalty", "frequency_penalty":
			if f, err = num(key, raw); err != nil {
				return run, err
			}
			*map[string]*float32{
				"temperature": &s.Temperature, "top_p": &s.TopP, "min_p": &s.MinP, "typical_p": &s.TypicalP,
				"repeat_penalty": &s.RepeatPenalty, "presence_penalty": &s.PresencePenalty, "frequency_penalty": &s.FrequencyPenalty,
			}[key] = float32(f)
		case "seed":
			if i, err = integer(key, raw); err != nil {
				return run, err
			}
			s.Seed = int64(i)
		case "top_k", "repeat_last_n", "num_predict", "num_ctx", "num_batch", "num_thread", "num_keep", "num_gpu":
			if i, err = integer(key, raw); err != nil {
				return run, err
			}
			if i < 0 && key != "num_predict" && key != "repeat_last_n" && key != "num_gpu" && key != "num_keep" {
				return run, wire.BadRequest("options."+key, "options.%s must be 0 or more, got %d", key, i)
			}
			switch key {
			case "top_k":
				s.TopK = i
			case "repeat_last_n":
				s.RepeatLastN = i
			case "num_predict":
				// -2 is Ollama's "fill the context"; -1 ("infinite") and other negatives are
				// capped the same way: the engine ends an uncapped answer at the context's end.
				run.MaxTokens = max(i, 0)
			case "num_ctx":
				run.Load.ContextLength = i
			case "num_batch":
				run.Load.BatchSize = i
			case "num_thread":
				run.Load.Threads = i
			case "num_keep":
				run.Keep = max(i, 0)
			case "num_gpu":
				if i >= 0 { // -1 is Ollama's "as many as fit": the engine's default
					run.Load.GPULayers = &i
				}
			}
		case "draft_model":
			if err := json.Unmarshal(raw, &run.Load.DraftModel); err != nil {
				return run, wire.BadRequest("options.draft_model", "options.draft_model must be a model name, or \"none\" for no draft model; got %s", bytes.TrimSpace(raw))
			}
		case "stop":
			if run.Stop, err = wire.StringOrList(raw, "options.stop"); err != nil {
				return run, err
			}
			if len(run.Stop) > openai.MaxStops {
				return run, wire.BadRequest("options.stop", "options.stop has %d strings; the limit is %d", len(run.Stop), openai.MaxStops)
			}
		}
	}
	return run, nil
}

// ParseThink reads "think": a boolean, or a level ("low", "medium", "high", "max"), which
// turns thinking on.
func ParseThink(raw json.RawMessage) (*bool, error) {
	if wire.IsNull(raw) {
		return nil, nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err == nil {
		return &b, nil
	}
	var level string
	if err := json.Unmarshal(raw, &level); err == nil {
		switch level {
		case "low", "medium", "high", "max":
			on := true
			return &on, nil
		}
	}
	return nil, wire.BadRequest("think", "think must be true, false, or one of \"low\", \"medium\", \"high\", \"max\"; got %s", bytes.TrimSpace(raw))
}

// ParseFormat reads "format": "json", or a JSON schema object.
func ParseFormat(raw json.RawMessage) (*engine.Format, error) {
	if wire.IsNull(raw) {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		switch s {
		case "":
			return nil, nil
		case "json":
			return &engine.Format{Type: "json_object"}, nil
		}
		return nil, wire.BadRequest("format", "format must be \"json\" or a JSON schema object, got %q", s)
	}
	return openai.SchemaFormat("format", raw)
}

func RefuseImages(field string, images []json.RawMessage) error {
	if len(images) > 0 {
		return wire.BadRequest(field, "%s holds images, but Perch's models read text only; leave images out", field)
	}
	return nil
}

func MessagesFromOllama(in []Message) ([]chat.Message, error) {
	out := make([]chat.Message, 0, len(in))
	for i, m := range in {
		field := fmt.Sprintf("messages[%d]", i)
		role := strings.ToLower(m.Role)
		switch role {
		case "system", "user", "assistant", "tool":
		case "":
			return nil, wire.BadRequest(field+".role", "%s.role is required (system, user, assistant or tool)", field)
		default:
			return nil, wire.BadRequest(field+".role", "%s.role %q is not one of system, user, assistant, tool", field, m.Role)
		}
		if err := RefuseImages(field+".images", m.Images); err != nil {
			return nil, err
		}
		cm := chat.Message{Role: role, Content: m.Content, Reasoning: m.Thinking, Name: m.ToolName, ToolCallID: m.ToolCallID}
		for j, tc := range m.ToolCalls {
			f := fmt.Sprintf("%s.tool_calls[%d].function", field, j)
			if tc.Function.Name == "" {
				return nil, wire.BadRequest(f+".name", "%s.name is required", f)
			}
			args := openai.ArgumentsObject(tc.Function.Arguments)
			if !json.Valid(args) || bytes.TrimSpace(args)[0] != '{' {
				return nil, wire.BadRequest(f+".arguments", "%s.arguments must be a JSON object", f)
			}
			cm.ToolCalls = append(cm.ToolCalls, chat.ToolCall{ID: tc.ID, Type: "function", Function: chat.FunctionCall{Name: tc.Function.Name, Arguments: args}})
		}
		out = append(out, cm)
	}
	return out, nil
}

// ToolCallsToOllama gives arguments as a JSON object, as Ollama clients expect.
func ToolCallsToOllama(calls []chat.ToolCall) []ToolCall {
	if len(calls) == 0 {
		return nil
	}
	out := make([]ToolCall, len(calls))
	for i, c := range calls {
		out[i] = ToolCall{ID: c.ID, Function: FunctionCall{Index: i, Name: c.Function.Name, Arguments: openai.ArgumentsObject(c.Function.Arguments)}}
	}
	return out
}

func LogprobsToOllama(lps []engine.Logprob) []Logprob {
	if len(lps) == 0 {
		return nil
	}
	out := make([]Logprob, len(lps))
	for i, lp := range lps {
		o := Logprob{Token: lp.Token, Logprob: lp.Logprob, Bytes: openai.ByteInts(lp.Bytes, lp.Token)}
		for _, t := range lp.Top {
			o.TopLogprobs = append(o.TopLogprobs, TokenLogprob{Token: t.Token, Logprob: t.Logprob, Bytes: openai.ByteInts(t.Bytes, t.Token)})
		}
		out[i] = o
	}
	return out
}

// goTemplateData is what an Ollama (Go) template sees in /api/generate.
type goTemplateData struct {
	System, Prompt, Response, Suffix string
}

// RenderGoTemplate renders an Ollama-style Go template override. ok is false when tmpl is
// not a Go template (a Jinja one, for instance), which is then left to the engine.
func RenderGoTemplate(tmpl, system, prompt string) (text string, ok bool, err error) {
	if strings.Contains(tmpl, "{%") {
		return "", false, nil
	}
	t, perr := template.New("prompt").Option("missingkey=zero").Parse(tmpl)
	if perr != nil {
		return "", false, nil
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, goTemplateData{System: system, Prompt: prompt}); err != nil {
		return "", true, wire.BadRequest("template", "template does not render: %v", err)
	}
	return buf.String(), true, nil
}

// MetricsFromEngine converts the engine's milliseconds to Ollama's nanoseconds.
func MetricsFromEngine(u engine.Usage, t engine.Timings, total time.Duration) Metrics {
	ns := func(ms float64) int64 { return int64(ms * 1e6) }
	m := Metrics{
		TotalDuration: int64(total), LoadDuration: ns(t.LoadMs),
		PromptEvalCount: u.PromptTokens, PromptEvalDuration: ns(t.PromptMs),
		EvalCount: u.CompletionTokens, EvalDuration: ns(t.PredictMs),
	}
	if m.TotalDuration <= 0 {
		m.TotalDuration = 1
	}
	return m
}

func DoneReason(finish string) string {
	if finish == engine.FinishLength {
		return "length"
	}
	return "stop"
}
