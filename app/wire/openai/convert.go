package openai

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/perchapp/perch/app/wire"
	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/chat"
)

// Pure conversions between OpenAI JSON and engine types. What the engine gets when a field
// is absent (OpenAI's documented defaults, not Ollama's): temperature 1, top_p 1 (off), no
// top_k, no min_p, repeat penalty 1 (off), presence/frequency penalties 0 over the whole
// context (repeat_last_n -1), a random seed, max tokens 0 (until the context is full),
// n 1, no stop strings.

const (
	maxN           = 16 // choices per request; each one is a full generation
	MaxStops       = 16 // stop strings per request, on every route
	MaxTopLogprobs = 20
)

// SamplingParams are the OpenAI sampling fields shared by chat and legacy completions.
type SamplingParams struct {
	Temperature, TopP, MinP           *float32
	TopK                              *int
	Seed                              *int64
	PresencePenalty, FrequencyPenalty *float32
	LogitBias                         map[string]float32
}

func OpenAISampling(p SamplingParams) (engine.Sampling, error) {
	s := engine.Sampling{Temperature: 1, TopP: 1, RepeatPenalty: 1, RepeatLastN: -1, Seed: -1}
	if v := p.Temperature; v != nil {
		if !finite32(*v) || *v < 0 || *v > 2 {
			return s, wire.BadRequest("temperature", "temperature must be between 0 and 2, got %v", *v)
		}
		s.Temperature = *v
	}
	if v := p.TopP; v != nil {
		if !finite32(*v) || *v < 0 || *v > 1 {
			return s, wire.BadRequest("top_p", "top_p must be between 0 and 1, got %v", *v)
		}
		s.TopP = *v
	}
	if v := p.MinP; v != nil {
		if !finite32(*v) || *v < 0 || *v > 1 {
			return s, wire.BadRequest("min_p", "min_p must be between 0 and 1, got %v", *v)
		}
		s.MinP = *v
	}
	if v := p.TopK; v != nil {
		if *v < 0 {
			return s, wire.BadRequest("top_k", "top_k must be 0 or more, got %d", *v)
		}
		s.TopK = *v
	}
	if v := p.Seed; v != nil {
		s.Seed = *v
	}
	for name, v := range map[string]*float32{"presence_penalty": p.PresencePenalty, "frequency_penalty": p.FrequencyPenalty} {
		if v != nil && (!finite32(*v) || *v < -2 || *v > 2) {
			return s, wire.BadRequest(name, "%s must be between -2 and 2, got %v", name, *v)
		}
	}
	if p.PresencePenalty != nil {
		s.PresencePenalty = *p.PresencePenalty
	}
	if p.FrequencyPenalty != nil {
		s.FrequencyPenalty = *p.FrequencyPenalty
	}
	bias, err := logitBias(p.LogitBias)
	if err != nil {
		return s, err
	}
	s.LogitBias = bias
	return s, nil
}

// logitBias parses OpenAI's {"token id": bias} map; the engine checks ids against the
// vocabulary.
func logitBias(m map[string]float32) (map[int32]float32, error) {
	if len(m) == 0 {
		return nil, nil
	}
	out := make(map[int32]float32, len(m))
	for k, v := range m {
		id, err := strconv.ParseInt(strings.TrimSpace(k), 10, 32)
		if err != nil || id < 0 {
			return nil, wire.BadRequest("logit_bias", "logit_bias keys must be token ids (non-negative integers as strings), got %q", k)
		}
		if !finite32(v) || v < -100 || v > 100 {
			return nil, wire.BadRequest("logit_bias", "logit_bias values must be between -100 and 100, got %v for token %s", v, k)
		}
		out[int32(id)] = v
	}
	return out, nil
}

func finite32(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }

func parseStop(raw json.RawMessage) ([]string, error) {
	stops, err := wire.StringOrList(raw, "stop")
	if err != nil {
		return nil, err
	}
	out := stops[:0]
	for _, s := range stops {
		if s != "" { // an empty stop string would end every answer at once
			out = append(out, s)
		}
	}
	if len(out) > MaxStops {
		return nil, wire.BadRequest("stop", "stop has %d strings; the limit is %d", len(out), MaxStops)
	}
	return out, nil
}

func parseN(n *int) (int, error) {
	if n == nil {
		return 1, nil
	}
	if *n < 1 || *n > maxN {
		return 0, wire.BadRequest("n", "n must be between 1 and %d, got %d", maxN, *n)
	}
	return *n, nil
}

func ParseMaxTokens(field string, v *int) (int, error) {
	if v == nil {
		return 0, nil
	}
	if *v < 1 {
		return 0, wire.BadRequest(field, "%s must be at least 1, got %d", field, *v)
	}
	return *v, nil
}

// ChatRequestFromOpenAI validates an OpenAI chat request and builds the engine request
// (one per choice; the caller varies the seed) and the number of choices.
func ChatRequestFromOpenAI(req ChatRequest) (engine.ChatRequest, int, error) {
	var out engine.ChatRequest
	if err := wire.ValidateModelName("model", req.Model); err != nil {
		return out, 0, err
	}
	out.Model = req.Model
	if req.Messages == nil {
		return out, 0, wire.BadRequest("messages", "field \"messages\" is required: an array of {role, content} objects")
	}
	if len(req.Messages) == 0 {
		return out, 0, wire.BadRequest("messages", "\"messages\" is empty; send at least one message")
	}
	msgs, err := messagesFromOpenAI(req.Messages)
	if err != nil {
		return out, 0, err
	}
	out.Messages = msgs
	if req.StreamOptions != nil && !req.Stream {
		return out, 0, wire.BadRequest("stream_options", "stream_options is only allowed when stream is true")
	}
	n, err := parseN(req.N)
	if err != nil {
		return out, 0, err
	}
	maxTok, err := ParseMaxTokens("max_completion_tokens", req.MaxCompletionTokens)
	if err != nil {
		return out, 0, err
	}
	if maxTok == 0 {
		if maxTok, err = ParseMaxTokens("max_tokens", req.MaxTokens); err != nil {
			return out, 0, err
		}
	}
	out.MaxTokens = maxTok
	if out.Stop, err = parseStop(req.Stop); err != nil {
		return out, 0, err
	}
	if out.Sampling, err = OpenAISampling(SamplingParams{
		Temperature: req.Temperature, TopP: req.TopP, MinP: req.MinP, TopK: req.TopK, Seed: req.Seed,
		PresencePenalty: req.PresencePenalty, FrequencyPenalty: req.FrequencyPenalty, LogitBias: req.LogitBias,
	}); err != nil {
		return out, 0, err
	}
	if req.TopLogprobs != nil {
		if *req.TopLogprobs < 0 || *req.TopLogprobs > MaxTopLogprobs {
			return out, 0, wire.BadRequest("top_logprobs", "top_logprobs must be between 0 and %d, got %d", MaxTopLogprobs, *req.TopLogprobs)
		}
		if req.Logprobs == nil || !*req.Logprobs {
			return out, 0, wire.BadRequest("top_logprobs", "top_logprobs needs logprobs set to true")
		}
		out.TopLogprobs = *req.TopLogprobs
	}
	out.Logprobs = req.Logprobs != nil && *req.Logprobs
	if out.Format, err = ResponseFormat(req.ResponseFormat); err != nil {
		return out, 0, err
	}
	if out.Tools, err = ToolsFromOpenAI(req.Tools); err != nil {
		return out, 0, err
	}
	if out.ToolChoice, err = ToolChoiceFromOpenAI(req.ToolChoice, out.Tools); err != nil {
		return out, 0, err
	}
	out.Think = ThinkFromEffort(req.ReasoningEffort)
	if out.KeepAlive, err = wire.ParseKeepAlive(req.KeepAlive, "keep_alive"); err != nil {
		return out, 0, err
	}
	out.Load.DraftModel = req.DraftModel
	return out, n, nil
}

// ThinkFromEffort maps reasoning_effort onto the engine's on/off switch.
func ThinkFromEffort(effort string) *bool {
	var on bool
	switch effort {
	case "none", "minimal":
		on = false
	case "low", "medium", "high", "xhigh":
		on = true
	default:
		return nil
	}
	return &on
}

func messagesFromOpenAI(in []Message) ([]chat.Message, error) {
	out := make([]chat.Message, 0, len(in))
	for i, m := range in {
		field := fmt.Sprintf("messages[%d]", i)
		role := m.Role
		switch role {
		case "system", "user", "assistant", "tool":
		case "developer":
			role = "system"
		case "function":
			role = "tool"
		case "":
			return nil, wire.BadRequest(field+".role", "%s.role is required (system, developer, user, assistant or tool)", field)
		default:
			return nil, wire.BadRequest(field+".role", "%s.role %q is not one of system, developer, user, assistant, tool", field, role)
		}
		text, err := contentText(m.Content, field+".content")
		if err != nil {
			return nil, err
		}
		if wire.IsNull(m.Content) && !(role == "assistant" && len(m.ToolCalls) > 0) {
			return nil, wire.BadRequest(field+".content", "%s.content is required (a string or an array of text parts)", field)
		}
		cm := chat.Message{Role: role, Content: text, Name: m.Name, ToolCallID: m.ToolCallID, Reasoning: m.ReasoningContent}
		for j, tc := range m.ToolCalls {
			f := fmt.Sprintf("%s.tool_calls[%d]", field, j)
			if tc.Function.Name == "" {
				return nil, wire.BadRequest(f+".function.name", "%s.function.name is required", f)
			}
			args, err := ArgumentsFromString(tc.Function.Arguments, f+".function.arguments")
			if err != nil {
				return nil, err
			}
			cm.ToolCalls = append(cm.ToolCalls, chat.ToolCall{ID: tc.ID, Type: "function", Function: chat.FunctionCall{Name: tc.Function.Name, Arguments: args}})
		}
		out = append(out, cm)
	}
	return out, nil
}

// contentText joins a message's text parts; images, audio and files are refused, since the
// models Perch runs read text only.
func contentText(raw json.RawMessage, field string) (string, error) {
	if wire.IsNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", wire.BadRequest(field, "%s must be a string or an array of content parts, got %s", field, wire.JSONKind(raw))
	}
	texts := make([]string, 0, len(parts))
	for i, p := range parts {
		var part ContentPart
		if err := json.Unmarshal(p, &part); err != nil {
			return "", wire.BadRequest(field, "%s[%d] must be an object like {\"type\":\"text\",\"text\":\"...\"}, got %s", field, i, wire.JSONKind(p))
		}
		switch part.Type {
		case "text", "input_text", "refusal":
			texts = append(texts, part.Text)
		case "image_url", "input_image", "image":
			return "", wire.BadRequest(field, "%s[%d] is an image, but Perch's models read text only; send text parts", field, i)
		case "input_audio", "audio", "file", "input_file":
			return "", wire.BadRequest(field, "%s[%d] is of type %q, which Perch does not accept; send text parts", field, i, part.Type)
		default:
			return "", wire.BadRequest(field, "%s[%d] has unknown type %q; use \"text\"", field, i, part.Type)
		}
	}
	return strings.Join(texts, "\n"), nil
}

// ArgumentsFromString parses OpenAI's JSON-string arguments into the object the engine keeps.
func ArgumentsFromString(s, field string) (json.RawMessage, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return json.RawMessage("{}"), nil
	}
	if !json.Valid([]byte(s)) {
		return nil, wire.BadRequest(field, "%s must be a string holding a JSON object, got %q", field, s)
	}
	return json.RawMessage(s), nil
}

var toolNameRE = regexp.MustCompile(`^[A-Za-z0-9_.\-]{1,64}$`)

func ToolsFromOpenAI(in []Tool) ([]chat.Tool, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make([]chat.Tool, 0, len(in))
	seen := map[string]bool{}
	for i, t := range in {
		field := fmt.Sprintf("tools[%d]", i)
		if t.Type != "function" {
			return nil, wire.BadRequest(field+".type", "%s.type must be \"function\", got %q", field, t.Type)
		}
		name := t.Function.Name
		if !toolNameRE.MatchString(name) {
			return nil, wire.BadRequest(field+".function.name", "%s.function.name must be 1 to 64 letters, digits, _ . or -, got %q", field, name)
		}
		if seen[name] {
			return nil, wire.BadRequest(field+".function.name", "two tools are named %q", name)
		}
		seen[name] = true
		params := t.Function.Parameters
		if !wire.IsNull(params) && bytes.TrimSpace(params)[0] != '{' {
			return nil, wire.BadRequest(field+".function.parameters", "%s.function.parameters must be a JSON schema object, got %s", field, wire.JSONKind(params))
		}
		if wire.IsNull(params) {
			params = nil
		}
		out = append(out, chat.Tool{Type: "function", Function: chat.Function{
			Name: name, Description: t.Function.Description, Parameters: params, Strict: t.Function.Strict != nil && *t.Function.Strict,
		}})
	}
	return out, nil
}

func ToolChoiceFromOpenAI(raw json.RawMessage, tools []chat.Tool) (chat.ToolChoice, error) {
	if wire.IsNull(raw) {
		return chat.ToolChoice{Mode: "auto"}, nil
	}
	var mode string
	if err := json.Unmarshal(raw, &mode); err == nil {
		switch mode {
		case "none":
			return chat.ToolChoice{Mode: "none"}, nil
		case "auto", "required":
			if len(tools) == 0 && mode == "required" {
				return chat.ToolChoice{}, wire.BadRequest("tool_choice", "tool_choice %q needs tools", mode)
			}
			return chat.ToolChoice{Mode: mode}, nil
		}
		return chat.ToolChoice{}, wire.BadRequest("tool_choice", "tool_choice must be \"none\", \"auto\", \"required\" or {\"type\":\"function\",\"function\":{\"name\":...}}, got %q", mode)
	}
	var named struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if err := json.Unmarshal(raw, &named); err != nil || named.Type != "function" || named.Function.Name == "" {
		return chat.ToolChoice{}, wire.BadRequest("tool_choice", "tool_choice must be \"none\", \"auto\", \"required\" or {\"type\":\"function\",\"function\":{\"name\":...}}")
	}
	for _, t := range tools {
		if t.Function.Name == named.Function.Name {
			return chat.ToolChoice{Mode: "function", Function: named.Function.Name}, nil
		}
	}
	return chat.ToolChoice{}, wire.BadRequest("tool_choice", "tool_choice names function %q, which is not among the tools", named.Function.Name)
}

// ResponseFormat maps response_format to the engine's Format; the engine builds the grammar.
// llama.cpp's {"type":"json_object","schema":{...}} is honoured too.
func ResponseFormat(raw json.RawMessage) (*engine.Format, error) {
	if wire.IsNull(raw) {
		return nil, nil
	}
	var rf struct {
		Type       string          `json:"type"`
		Schema     json.RawMessage `json:"schema"`
		JSONSchema *struct {
			Name   string          `json:"name"`
			Schema json.RawMessage `json:"schema"`
			Strict *bool           `json:"strict"`
		} `json:"json_schema"`
	}
	if err := json.Unmarshal(raw, &rf); err != nil {
		return nil, wire.BadRequest("response_format", "response_format must be an object like {\"type\":\"json_object\"}, got %s", wire.JSONKind(raw))
	}
	switch rf.Type {
	case "text":
		return nil, nil
	case "json_object":
		if !wire.IsNull(rf.Schema) {
			return SchemaFormat("response_format.schema", rf.Schema)
		}
		return &engine.Format{Type: "json_object"}, nil
	case "json_schema":
		if rf.JSONSchema == nil {
			return nil, wire.BadRequest("response_format.json_schema", "response_format of type json_schema needs a json_schema object with a schema")
		}
		if wire.IsNull(rf.JSONSchema.Schema) {
			return &engine.Format{Type: "json_object"}, nil
		}
		f, err := SchemaFormat("response_format.json_schema.schema", rf.JSONSchema.Schema)
		if f != nil && rf.JSONSchema.Strict != nil {
			f.Strict = *rf.JSONSchema.Strict
		}
		return f, err
	case "":
		return nil, wire.BadRequest("response_format.type", "response_format.type is required: text, json_object or json_schema")
	}
	return nil, wire.BadRequest("response_format.type", "response_format.type %q is not supported; use text, json_object or json_schema", rf.Type)
}

func SchemaFormat(field string, schema json.RawMessage) (*engine.Format, error) {
	t := bytes.TrimSpace(schema)
	if len(t) == 0 || (t[0] != '{' && string(t) != "true") {
		return nil, wire.BadRequest(field, "%s must be a JSON schema object, got %s", field, wire.JSONKind(schema))
	}
	return &engine.Format{Type: "json_schema", Schema: json.RawMessage(t)}, nil
}

// Responses.

func NewID(prefix string) string {
	var b [12]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

func FinishReason(res string, toolCalls int) string {
	switch {
	case toolCalls > 0:
		return "tool_calls"
	case res == engine.FinishLength:
		return "length"
	case res == engine.FinishToolCalls:
		return "tool_calls"
	}
	return "stop"
}

func ChatChoiceFromResult(i int, res *engine.ChatResult, logprobs bool) ChatChoice {
	m := res.Message
	msg := ResponseMessage{Role: "assistant", ReasoningContent: m.Reasoning}
	if m.Content != "" || len(m.ToolCalls) == 0 {
		c := m.Content
		msg.Content = &c
	}
	msg.ToolCalls = ToolCallsToOpenAI(m.ToolCalls, false)
	ch := ChatChoice{Index: i, Message: msg, FinishReason: FinishReason(res.FinishReason, len(m.ToolCalls))}
	if logprobs {
		ch.Logprobs = &ChatLogprobs{Content: LogprobsToOpenAI(res.Logprobs)}
	}
	return ch
}

// ToolCallsToOpenAI gives arguments as a JSON string, as OpenAI clients expect.
func ToolCallsToOpenAI(calls []chat.ToolCall, stream bool) []ToolCall {
	if len(calls) == 0 {
		return nil
	}
	out := make([]ToolCall, len(calls))
	for i, c := range calls {
		id := c.ID
		if id == "" {
			id = NewID("call_")
		}
		out[i] = ToolCall{ID: id, Type: "function", Function: FunctionCall{Name: c.Function.Name, Arguments: ArgumentsString(c.Function.Arguments)}}
		if stream {
			idx := i
			out[i].Index = &idx
		}
	}
	return out
}

// ArgumentsString renders arguments compactly; a string holding JSON is taken as that JSON.
func ArgumentsString(raw json.RawMessage) string {
	obj := ArgumentsObject(raw)
	var buf bytes.Buffer
	if err := json.Compact(&buf, obj); err != nil {
		return string(obj)
	}
	return buf.String()
}

// ArgumentsObject returns the arguments as a JSON object, whatever the model wrote.
func ArgumentsObject(raw json.RawMessage) json.RawMessage {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		return json.RawMessage("{}")
	}
	if t[0] == '"' {
		var s string
		if json.Unmarshal(t, &s) == nil && json.Valid([]byte(s)) {
			return json.RawMessage(s)
		}
	}
	return json.RawMessage(t)
}

func LogprobsToOpenAI(lps []engine.Logprob) []TokenLogprob {
	out := make([]TokenLogprob, len(lps))
	for i, lp := range lps {
		top := make([]TopLogprob, len(lp.Top))
		for j, t := range lp.Top {
			top[j] = TopLogprob{Token: t.Token, Logprob: t.Logprob, Bytes: ByteInts(t.Bytes, t.Token)}
		}
		out[i] = TokenLogprob{Token: lp.Token, Logprob: lp.Logprob, Bytes: ByteInts(lp.Bytes, lp.Token), TopLogprobs: top}
	}
	return out
}

// ByteInts gives token bytes as a list of integers (OpenAI's form, not base64).
func ByteInts(b []byte, fallback string) []int {
	if b == nil {
		b = []byte(fallback)
	}
	out := make([]int, len(b))
	for i, c := range b {
		out[i] = int(c)
	}
	return out
}

func UsageToOpenAI(u engine.Usage) *Usage {
	return &Usage{
		PromptTokens: u.PromptTokens, CompletionTokens: u.CompletionTokens, TotalTokens: u.PromptTokens + u.CompletionTokens,
		PromptTokensDetails: &PromptDetails{CachedTokens: u.CachedTokens},
	}
}

// Legacy completions.

// CompletionPrompt is one prompt of /v1/completions: text or token ids.
type CompletionPrompt struct {
	Text   string
	Tokens []int32
}

// PromptsFromOpenAI reads a prompt that is a string, a list of strings, a list of token
// ids, or a list of token-id lists (and mixes of the last kinds, as llama.cpp allows).
func PromptsFromOpenAI(raw json.RawMessage) ([]CompletionPrompt, error) {
	if wire.IsNull(raw) {
		return nil, wire.BadRequest("prompt", "field \"prompt\" is required: a string, an array of strings, or token ids")
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return []CompletionPrompt{{Text: s}}, nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, wire.BadRequest("prompt", "prompt must be a string, an array of strings, or token ids, got %s", wire.JSONKind(raw))
	}
	if len(items) == 0 {
		return nil, wire.BadRequest("prompt", "prompt is an empty array")
	}
	if ids, err := tokenIDs(raw); err == nil {
		return []CompletionPrompt{{Tokens: ids}}, nil
	}
	out := make([]CompletionPrompt, 0, len(items))
	for i, it := range items {
		if err := json.Unmarshal(it, &s); err == nil {
			out = append(out, CompletionPrompt{Text: s})
			continue
		}
		ids, err := tokenIDs(it)
		if err != nil || len(ids) == 0 {
			return nil, wire.BadRequest("prompt", "prompt[%d] must be a string or a non-empty array of token ids, got %s", i, wire.JSONKind(it))
		}
		out = append(out, CompletionPrompt{Tokens: ids})
	}
	return out, nil
}

func tokenIDs(raw json.RawMessage) ([]int32, error) {
	var ids []int64
	if err := json.Unmarshal(raw, &ids); err != nil {
		return nil, err
	}
	out := make([]int32, len(ids))
	for i, id := range ids {
		if id < 0 || id > math.MaxInt32 {
			return nil, wire.BadRequest("prompt", "token id %d is out of range", id)
		}
		out[i] = int32(id)
	}
	return out, nil
}

// CompletionRequestFromOpenAI builds the engine request shared by every prompt and choice.
func CompletionRequestFromOpenAI(req CompletionRequest) (engine.CompletionRequest, []CompletionPrompt, int, error) {
	var out engine.CompletionRequest
	if err := wire.ValidateModelName("model", req.Model); err != nil {
		return out, nil, 0, err
	}
	out.Model = req.Model
	prompts, err := PromptsFromOpenAI(req.Prompt)
	if err != nil {
		return out, nil, 0, err
	}
	if req.StreamOptions != nil && !req.Stream {
		return out, nil, 0, wire.BadRequest("stream_options", "stream_options is only allowed when stream is true")
	}
	n, err := parseN(req.N)
	if err != nil {
		return out, nil, 0, err
	}
	if req.BestOf != nil && *req.BestOf != n {
		return out, nil, 0, wire.BadRequest("best_of", "best_of is not supported (it must equal n)")
	}
	if len(prompts)*n > maxN {
		return out, nil, 0, wire.BadRequest("n", "%d prompts × n=%d asks for %d completions; the limit is %d", len(prompts), n, len(prompts)*n, maxN)
	}
	if out.MaxTokens, err = ParseMaxTokens("max_tokens", req.MaxTokens); err != nil {
		return out, nil, 0, err
	}
	if out.Stop, err = parseStop(req.Stop); err != nil {
		return out, nil, 0, err
	}
	if out.Sampling, err = OpenAISampling(SamplingParams{
		Temperature: req.Temperature, TopP: req.TopP, MinP: req.MinP, TopK: req.TopK, Seed: req.Seed,
		PresencePenalty: req.PresencePenalty, FrequencyPenalty: req.FrequencyPenalty, LogitBias: req.LogitBias,
	}); err != nil {
		return out, nil, 0, err
	}
	if req.Logprobs != nil {
		if *req.Logprobs < 0 || *req.Logprobs > MaxTopLogprobs {
			return out, nil, 0, wire.BadRequest("logprobs", "logprobs must be between 0 and %d, got %d", MaxTopLogprobs, *req.Logprobs)
		}
		out.Logprobs, out.TopLogprobs = true, *req.Logprobs
	}
	out.Suffix = req.Suffix
	if out.KeepAlive, err = wire.ParseKeepAlive(req.KeepAlive, "keep_alive"); err != nil {
		return out, nil, 0, err
	}
	out.Load.DraftModel = req.DraftModel
	return out, prompts, n, nil
}

// LegacyLogprobsOf renders logprobs in the completions API's columns; offsets count from the
// start of the choice's text (after any echoed prompt).
func LegacyLogprobsOf(lps []engine.Logprob, offset int) *LegacyLogprobs {
	out := &LegacyLogprobs{Tokens: []string{}, TokenLogprobs: []float64{}, TopLogprobs: []map[string]float64{}, TextOffset: []int{}}
	for _, lp := range lps {
		out.Tokens = append(out.Tokens, lp.Token)
		out.TokenLogprobs = append(out.TokenLogprobs, lp.Logprob)
		top := make(map[string]float64, len(lp.Top))
		for _, t := range lp.Top {
			top[t.Token] = t.Logprob
		}
		out.TopLogprobs = append(out.TopLogprobs, top)
		out.TextOffset = append(out.TextOffset, offset)
		offset += len(lp.Token)
	}
	return out
}

// Embeddings.

// EmbedInputs reads input: a string, a list of strings, token ids, or lists of token ids.
func EmbedInputs(raw json.RawMessage) (texts []string, tokens [][]int32, err error) {
	if wire.IsNull(raw) {
		return nil, nil, wire.BadRequest("input", "field \"input\" is required: a string, an array of strings, or token ids")
	}
	prompts, perr := PromptsFromOpenAI(raw)
	if perr != nil {
		return nil, nil, wire.BadRequest("input", "input must be a string, an array of strings, or token ids, got %s", wire.JSONKind(raw))
	}
	hasText, hasTokens := false, false
	for i, p := range prompts {
		if p.Tokens != nil {
			hasTokens = true
			tokens = append(tokens, p.Tokens)
			continue
		}
		if p.Text == "" {
			return nil, nil, wire.BadRequest("input", "input[%d] is an empty string; every input needs text", i)
		}
		hasText = true
		texts = append(texts, p.Text)
	}
	if hasText && hasTokens {
		return nil, nil, wire.BadRequest("input", "input mixes strings and token ids; send one kind per request")
	}
	return texts, tokens, nil
}

// EncodeEmbedding gives a vector as floats or as base64 of little-endian float32s.
func EncodeEmbedding(v []float32, format string) any {
	if format != "base64" {
		return v
	}
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return base64.StdEncoding.EncodeToString(b)
}
