package api

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

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/chat"
	"github.com/perchapp/perch/engine/format"
)

// Pure conversions between Ollama JSON and engine types. Absent options take
// engine.DefaultSampling() (Ollama's own defaults: temperature 0.8, top_k 40, top_p 0.9,
// repeat_penalty 1.1 over the last 64 tokens, random seed); num_predict absent or negative
// means until the context is full (no context shift); num_ctx absent leaves the engine's default.

// ollamaRun is what a request's options ask of the engine.
type ollamaRun struct {
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

// ollamaOptions reads "options". Unknown keys are ignored, as Ollama does, so newer clients
// keep working; a known key with the wrong type is a 400 that names it.
func ollamaOptions(opts map[string]json.RawMessage) (ollamaRun, error) {
	run := ollamaRun{Sampling: engine.DefaultSampling()}
	num := func(key string, raw json.RawMessage) (float64, error) {
		var v float64
		if err := json.Unmarshal(raw, &v); err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, badRequest("options."+key, "options.%s must be a number, got %s", key, jsonKind(raw))
		}
		if math.Abs(v) > math.MaxFloat32 { // would become ±Inf as the engine's float32
			return 0, badRequest("options."+key, "options.%s is out of range: %v is larger than a 32-bit float holds (about 3.4e38)", key, v)
		}
		return v, nil
	}
	integer := func(key string, raw json.RawMessage) (int, error) {
		v, err := num(key, raw)
		if err != nil {
			return 0, err
		}
		if v != math.Trunc(v) || math.Abs(v) > math.MaxInt32 {
			return 0, badRequest("options."+key, "options.%s must be an integer, got %v", key, v)
		}
		return int(v), nil
	}
	for _, key := range slices.Sorted(maps.Keys(opts)) {
		raw := opts[key]
		if isNull(raw) || ignoredOptions[key] {
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
				return run, badRequest("options."+key, "options.%s must be 0 or more, got %d", key, i)
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
		case "stop":
			if run.Stop, err = stringOrList(raw, "options.stop"); err != nil {
				return run, err
			}
			if len(run.Stop) > maxStops {
				return run, badRequest("options.stop", "options.stop has %d strings; the limit is %d", len(run.Stop), maxStops)
			}
		}
	}
	return run, nil
}

// parseThink reads "think": a boolean, or a level ("low", "medium", "high", "max"), which
// turns thinking on.
func parseThink(raw json.RawMessage) (*bool, error) {
	if isNull(raw) {
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
	return nil, badRequest("think", "think must be true, false, or one of \"low\", \"medium\", \"high\", \"max\"; got %s", bytes.TrimSpace(raw))
}

// parseOllamaFormat reads "format": "json", or a JSON schema object.
func parseOllamaFormat(raw json.RawMessage) (*engine.Format, error) {
	if isNull(raw) {
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
		return nil, badRequest("format", "format must be \"json\" or a JSON schema object, got %q", s)
	}
	return schemaFormat("format", raw)
}

func refuseImages(field string, images []json.RawMessage) error {
	if len(images) > 0 {
		return badRequest(field, "%s holds images, but Perch's models read text only; leave images out", field)
	}
	return nil
}

func messagesFromOllama(in []ollamaMessage) ([]chat.Message, error) {
	out := make([]chat.Message, 0, len(in))
	for i, m := range in {
		field := fmt.Sprintf("messages[%d]", i)
		role := strings.ToLower(m.Role)
		switch role {
		case "system", "user", "assistant", "tool":
		case "":
			return nil, badRequest(field+".role", "%s.role is required (system, user, assistant or tool)", field)
		default:
			return nil, badRequest(field+".role", "%s.role %q is not one of system, user, assistant, tool", field, m.Role)
		}
		if err := refuseImages(field+".images", m.Images); err != nil {
			return nil, err
		}
		cm := chat.Message{Role: role, Content: m.Content, Reasoning: m.Thinking, Name: m.ToolName, ToolCallID: m.ToolCallID}
		for j, tc := range m.ToolCalls {
			f := fmt.Sprintf("%s.tool_calls[%d].function", field, j)
			if tc.Function.Name == "" {
				return nil, badRequest(f+".name", "%s.name is required", f)
			}
			args := argumentsObject(tc.Function.Arguments)
			if !json.Valid(args) || bytes.TrimSpace(args)[0] != '{' {
				return nil, badRequest(f+".arguments", "%s.arguments must be a JSON object", f)
			}
			cm.ToolCalls = append(cm.ToolCalls, chat.ToolCall{ID: tc.ID, Type: "function", Function: chat.FunctionCall{Name: tc.Function.Name, Arguments: args}})
		}
		out = append(out, cm)
	}
	return out, nil
}

// toolCallsToOllama gives arguments as a JSON object, as Ollama clients expect.
func toolCallsToOllama(calls []chat.ToolCall) []ollamaToolCall {
	if len(calls) == 0 {
		return nil
	}
	out := make([]ollamaToolCall, len(calls))
	for i, c := range calls {
		out[i] = ollamaToolCall{ID: c.ID, Function: ollamaFunctionCall{Index: i, Name: c.Function.Name, Arguments: argumentsObject(c.Function.Arguments)}}
	}
	return out
}

func logprobsToOllama(lps []engine.Logprob) []ollamaLogprob {
	if len(lps) == 0 {
		return nil
	}
	out := make([]ollamaLogprob, len(lps))
	for i, lp := range lps {
		o := ollamaLogprob{Token: lp.Token, Logprob: lp.Logprob, Bytes: byteInts(lp.Bytes, lp.Token)}
		for _, t := range lp.Top {
			o.TopLogprobs = append(o.TopLogprobs, ollamaTokenLogprob{Token: t.Token, Logprob: t.Logprob, Bytes: byteInts(t.Bytes, t.Token)})
		}
		out[i] = o
	}
	return out
}

// goTemplateData is what an Ollama (Go) template sees in /api/generate.
type goTemplateData struct {
	System, Prompt, Response, Suffix string
}

// renderGoTemplate renders an Ollama-style Go template override. ok is false when tmpl is
// not a Go template (a Jinja one, for instance), which is then left to the engine.
func renderGoTemplate(tmpl, system, prompt string) (text string, ok bool, err error) {
	if strings.Contains(tmpl, "{%") {
		return "", false, nil
	}
	t, perr := template.New("prompt").Option("missingkey=zero").Parse(tmpl)
	if perr != nil {
		return "", false, nil
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, goTemplateData{System: system, Prompt: prompt}); err != nil {
		return "", true, badRequest("template", "template does not render: %v", err)
	}
	return buf.String(), true, nil
}

// metricsFromEngine converts the engine's milliseconds to Ollama's nanoseconds.
func metricsFromEngine(u engine.Usage, t engine.Timings, total time.Duration) ollamaMetrics {
	ns := func(ms float64) int64 { return int64(ms * 1e6) }
	m := ollamaMetrics{
		TotalDuration: int64(total), LoadDuration: ns(t.LoadMs),
		PromptEvalCount: u.PromptTokens, PromptEvalDuration: ns(t.PromptMs),
		EvalCount: u.CompletionTokens, EvalDuration: ns(t.PredictMs),
	}
	if m.TotalDuration <= 0 {
		m.TotalDuration = 1
	}
	return m
}

func ollamaDoneReason(finish string) string {
	if finish == engine.FinishLength {
		return "length"
	}
	return "stop"
}

// Model metadata.

func stripDigest(d string) string { return strings.TrimPrefix(d, "sha256:") }

func detailsOf(m LibraryModel) ollamaModelDetails {
	d := ollamaModelDetails{Format: "gguf", Family: m.Architecture, ParameterSize: format.OllamaParams(m.ParameterCount), QuantizationLevel: m.Quantization}
	if m.Architecture != "" {
		d.Families = []string{m.Architecture}
	}
	return d
}

// ollamaName gives a name Ollama's way, always with a tag: "stories260k:latest".
func ollamaName(name string) string {
	if name == "" || strings.Contains(name[strings.LastIndex(name, "/")+1:], ":") || strings.Contains(name, "@") {
		return name
	}
	return name + ":latest"
}

func listModelToOllama(m LibraryModel) ollamaListModel {
	return ollamaListModel{Name: ollamaName(m.Name), Model: ollamaName(m.Name), ModifiedAt: m.ModifiedAt, Size: m.Size, Digest: stripDigest(m.Digest), Details: detailsOf(m)}
}

// parametersText lists recommended parameters one per line, as `ollama show` prints them.
func parametersText(params map[string]any) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(params)) {
		vals, ok := params[k].([]any)
		if !ok {
			if ss, isStrings := params[k].([]string); isStrings {
				for _, s := range ss {
					vals = append(vals, s)
				}
			} else {
				vals = []any{params[k]}
			}
		}
		for _, v := range vals {
			if s, isString := v.(string); isString {
				v = fmt.Sprintf("%q", s)
			}
			fmt.Fprintf(&b, "%-30s %v\n", k, v)
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func modelfileOf(m LibraryModel) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Modelfile generated by \"perch show\"\n# To build a new Modelfile based on this, replace FROM with:\n# FROM %s\n\n", m.Name)
	from := m.Path
	if from == "" {
		from = m.Name
	}
	fmt.Fprintf(&b, "FROM %s\n", from)
	if m.Template != "" {
		fmt.Fprintf(&b, "TEMPLATE \"\"\"%s\"\"\"\n", m.Template)
	}
	if m.System != "" {
		fmt.Fprintf(&b, "SYSTEM \"\"\"%s\"\"\"\n", m.System)
	}
	for line := range strings.SplitSeq(parametersText(m.Params), "\n") {
		if f := strings.Fields(line); len(f) >= 2 {
			fmt.Fprintf(&b, "PARAMETER %s %s\n", f[0], strings.TrimSpace(strings.TrimPrefix(line, f[0])))
		}
	}
	if m.License != "" {
		fmt.Fprintf(&b, "LICENSE \"\"\"%s\"\"\"\n", m.License)
	}
	return b.String()
}

// modelInfoOf gives the GGUF facts keyed as GGUF names them, filling the basic ones from the
// model's fields when the library gave no metadata.
func modelInfoOf(m LibraryModel) map[string]any {
	info := map[string]any{}
	maps.Copy(info, m.Metadata)
	put := func(k string, v any, ok bool) {
		if _, exists := info[k]; !exists && ok {
			info[k] = v
		}
	}
	arch := m.Architecture
	put("general.architecture", arch, arch != "")
	put("general.parameter_count", m.ParameterCount, m.ParameterCount > 0)
	put(arch+".context_length", m.ContextLength, arch != "" && m.ContextLength > 0)
	put(arch+".embedding_length", m.EmbeddingSize, arch != "" && m.EmbeddingSize > 0)
	return info
}

// templateOf is the template /api/show reports: the Ollama layer's, else the GGUF's own.
func templateOf(m LibraryModel) string {
	if m.Template != "" {
		return m.Template
	}
	return m.ChatTemplate
}

// capabilitiesOf says what the model really does, from its template as Ollama reads it (a
// template that mentions tools shows them; one with no template chats in ChatML, which does).
// Vision is never reported: Perch runs no image projector.
func capabilitiesOf(m LibraryModel) []string {
	if m.Embedding {
		return []string{"embedding"}
	}
	tmpl := templateOf(m)
	caps := []string{"completion"}
	if tmpl == "" || strings.Contains(tmpl, "tools") {
		caps = append(caps, "tools")
	}
	if m.FIM {
		caps = append(caps, "insert")
	}
	for _, mark := range []string{"<think>", "enable_thinking", "reasoning_content", ".Thinking", "<|channel|>"} {
		if strings.Contains(tmpl, mark) {
			caps = append(caps, "thinking")
			break
		}
	}
	return caps
}

func showResponseOf(m LibraryModel) ollamaShowResponse {
	return ollamaShowResponse{
		License: m.License, Modelfile: modelfileOf(m), Parameters: parametersText(m.Params), Template: templateOf(m), System: m.System,
		Details: detailsOf(m), ModelInfo: modelInfoOf(m), Capabilities: capabilitiesOf(m), ModifiedAt: m.ModifiedAt,
	}
}

// forever is what /api/ps shows for a model kept loaded without end (as Ollama does).
var forever = time.Date(2318, 1, 1, 0, 0, 0, 0, time.UTC)

// processModelOf describes a loaded model; m carries the library's facts when known.
func processModelOf(st engine.Status, m LibraryModel) ollamaProcessModel {
	mem := st.Memory
	size := mem.WeightsBytes + mem.KVBytes + mem.ComputeBytes + mem.OutputBytes
	if size == 0 {
		size = mem.RSSBytes
	}
	if size == 0 {
		size = int64(st.Info.SizeBytes)
	}
	var vram int64
	if d := strings.ToLower(mem.Device); d != "" && !strings.Contains(d, "cpu") {
		vram = size
	}
	ctx := st.Options.ContextLength
	if ctx == 0 {
		ctx = st.Info.ContextLength
	}
	expires := st.ExpiresAt
	if expires.IsZero() {
		expires = forever
	}
	digest := st.Digest
	if digest == "" {
		digest = m.Digest
	}
	return ollamaProcessModel{Name: ollamaName(st.Name), Model: ollamaName(st.Name), Size: size, Digest: stripDigest(digest), Details: detailsOf(m),
		ExpiresAt: expires, SizeVRAM: vram, ContextLength: ctx}
}

// pullStatus writes a library progress report in Ollama's words.
func pullStatus(p PullProgress) ollamaProgress {
	out := ollamaProgress{Status: p.Status, Digest: p.Digest, Total: p.Total, Completed: p.Completed}
	if out.Status != "" {
		return out
	}
	switch p.Phase {
	case PullManifest:
		out.Status = "pulling manifest"
	case PullDownload:
		short := stripDigest(p.Digest)
		if len(short) > 12 {
			short = short[:12]
		}
		out.Status = "pulling " + short
	case PullVerify:
		out.Status = "verifying sha256 digest"
	case PullWrite:
		out.Status = "writing manifest"
	case PullDone:
		out.Status = "success"
	default:
		out.Status = string(p.Phase)
	}
	return out
}

// isDownload tells byte-count reports from the steps around them.
func isDownload(p PullProgress) bool {
	return p.Phase == PullDownload || (p.Phase == "" && PhaseOf(p.Status) == PullDownload)
}
