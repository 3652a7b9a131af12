package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/chat"
)

// Pure conversions between OpenAI's Responses API (/v1/responses) and engine types. Only
// what a local model can do is accepted: text in and out, function tools with their call and
// output items, JSON output. Images, files, audio and OpenAI's hosted tools (web search, file
// search, computer use, ...) are refused with a 400 that names the item.

type respRequest struct {
	Model              string            `json:"model"`
	Input              json.RawMessage   `json:"input"`
	Instructions       json.RawMessage   `json:"instructions"`
	Stream             bool              `json:"stream"`
	MaxOutputTokens    *int              `json:"max_output_tokens"`
	Temperature        *float32          `json:"temperature"`
	TopP               *float32          `json:"top_p"`
	Tools              []json.RawMessage `json:"tools"`
	ToolChoice         json.RawMessage   `json:"tool_choice"`
	ParallelToolCalls  *bool             `json:"parallel_tool_calls"`
	Text               *respTextParam    `json:"text"`
	PreviousResponseID string            `json:"previous_response_id"`
	Store              *bool             `json:"store"`
	Metadata           map[string]string `json:"metadata"`
	Reasoning          *struct {
		Effort string `json:"effort"`
	} `json:"reasoning"`
	KeepAlive json.RawMessage `json:"keep_alive"` // Ollama's extension, as on the other routes
}

type respTextParam struct {
	Format json.RawMessage `json:"format,omitempty"`
}

// respItem is an input item: a message (with or without "type") or a function call or output.
type respItem struct {
	Type    string          `json:"type"`
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
	// function_call
	ID        string `json:"id"`
	CallID    string `json:"call_id"`
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
	// function_call_output
	Output json.RawMessage `json:"output"`
}

type respPart struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// respConversation is what a stored response carries forward to the next: the conversation
// without instructions (they are not carried over, as OpenAI documents).
type respConversation []chat.Message

// respRequestToChat validates a Responses request and builds the engine request. prev is the
// conversation of previous_response_id (nil without one). It returns the conversation so far
// (prev plus this input), to be stored with the answer.
func respRequestToChat(req respRequest, prev respConversation) (engine.ChatRequest, respConversation, error) {
	var out engine.ChatRequest
	if err := validateModelName("model", req.Model); err != nil {
		return out, nil, err
	}
	out.Model = req.Model
	input, err := respInput(req.Input)
	if err != nil {
		return out, nil, err
	}
	conv := append(append(respConversation(nil), prev...), input...)
	if len(conv) == 0 {
		return out, nil, badRequest("input", "field \"input\" is required: a string or an array of input items")
	}
	instructions, err := respInstructions(req.Instructions)
	if err != nil {
		return out, nil, err
	}
	if instructions != "" {
		out.Messages = append(out.Messages, chat.Message{Role: "system", Content: instructions})
	}
	out.Messages = append(out.Messages, conv...)
	if out.MaxTokens, err = parseMaxTokens("max_output_tokens", req.MaxOutputTokens); err != nil {
		return out, nil, err
	}
	if out.Sampling, err = openAISampling(samplingParams{Temperature: req.Temperature, TopP: req.TopP}); err != nil {
		return out, nil, err
	}
	if out.Tools, err = respTools(req.Tools); err != nil {
		return out, nil, err
	}
	if out.ToolChoice, err = respToolChoice(req.ToolChoice, out.Tools); err != nil {
		return out, nil, err
	}
	if req.Text != nil {
		if out.Format, err = respFormat(req.Text.Format); err != nil {
			return out, nil, err
		}
	}
	if req.Reasoning != nil {
		out.Think = thinkFromEffort(req.Reasoning.Effort)
	}
	if out.KeepAlive, err = parseKeepAlive(req.KeepAlive, "keep_alive"); err != nil {
		return out, nil, err
	}
	return out, conv, nil
}

func respInstructions(raw json.RawMessage) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", badRequest("instructions", "instructions must be a string, got %s", jsonKind(raw))
	}
	return s, nil
}

// respInput reads input: a string (one user message) or a list of items.
func respInput(raw json.RawMessage) ([]chat.Message, error) {
	if isNull(raw) {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return []chat.Message{{Role: "user", Content: s}}, nil
	}
	var items []respItem
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, badRequest("input", "input must be a string or an array of input items, got %s", jsonKind(raw))
	}
	var out []chat.Message
	for i, it := range items {
		field := fmt.Sprintf("input[%d]", i)
		switch it.Type {
		case "", "message":
			m, err := respMessage(it, field)
			if err != nil {
				return nil, err
			}
			out = append(out, m)
		case "function_call":
			if it.Name == "" || it.CallID == "" {
				return nil, badRequest(field, "%s (function_call) needs call_id and name", field)
			}
			args, err := argumentsFromString(it.Arguments, field+".arguments")
			if err != nil {
				return nil, err
			}
			call := chat.ToolCall{ID: it.CallID, Type: "function", Function: chat.FunctionCall{Name: it.Name, Arguments: args}}
			// Calls made in one turn are one assistant message, with the text before them.
			if n := len(out); n > 0 && out[n-1].Role == "assistant" {
				out[n-1].ToolCalls = append(out[n-1].ToolCalls, call)
			} else {
				out = append(out, chat.Message{Role: "assistant", ToolCalls: []chat.ToolCall{call}})
			}
		case "function_call_output":
			if it.CallID == "" {
				return nil, badRequest(field+".call_id", "%s (function_call_output) needs call_id", field)
			}
			text, err := respText(it.Output, field+".output", "input_text")
			if err != nil {
				return nil, err
			}
			out = append(out, chat.Message{Role: "tool", Content: text, ToolCallID: it.CallID})
		case "reasoning":
			// A reasoning model's earlier thinking: not sent back to the template.
		default:
			return nil, badRequest(field+".type", "%s has type %q, which Perch does not support; send message, function_call or function_call_output items", field, it.Type)
		}
	}
	return out, nil
}

func respMessage(it respItem, field string) (chat.Message, error) {
	role := it.Role
	switch role {
	case "user", "assistant", "system":
	case "developer":
		role = "system"
	case "":
		return chat.Message{}, badRequest(field+".role", "%s needs a role: user, assistant, system or developer", field)
	default:
		return chat.Message{}, badRequest(field+".role", "%s.role must be user, assistant, system or developer, got %q", field, role)
	}
	want := "input_text"
	if role == "assistant" {
		want = "output_text"
	}
	text, err := respText(it.Content, field+".content", want)
	if err != nil {
		return chat.Message{}, err
	}
	return chat.Message{Role: role, Content: text}, nil
}

// respText reads content that is a string or a list of text parts; any other part (an image,
// a file, audio) is refused by name.
func respText(raw json.RawMessage, field, want string) (string, error) {
	if isNull(raw) {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	var parts []respPart
	if err := json.Unmarshal(raw, &parts); err != nil {
		return "", badRequest(field, "%s must be a string or an array of %s parts, got %s", field, want, jsonKind(raw))
	}
	var sb bytes.Buffer
	for i, p := range parts {
		switch p.Type {
		case "input_text", "output_text", "text", "refusal", "summary_text", "reasoning_text":
			if sb.Len() > 0 {
				sb.WriteString("\n")
			}
			sb.WriteString(p.Text)
		default:
			return "", badRequest(fmt.Sprintf("%s[%d].type", field, i), "%s[%d] has type %q, which Perch does not support (text only); send %s parts", field, i, p.Type, want)
		}
	}
	return sb.String(), nil
}

// respFunctionTool is a function tool in the Responses shape (flat, no "function" wrapper).
type respFunctionTool struct {
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters"`
	Strict      *bool           `json:"strict"`
}

func respTools(in []json.RawMessage) ([]chat.Tool, error) {
	var tools []oaiTool
	for i, raw := range in {
		var t respFunctionTool
		if err := json.Unmarshal(raw, &t); err != nil {
			return nil, badRequest(fmt.Sprintf("tools[%d]", i), "tools[%d] must be an object, got %s", i, jsonKind(raw))
		}
		if t.Type != "function" {
			return nil, badRequest(fmt.Sprintf("tools[%d].type", i), "tools[%d] has type %q, which Perch does not support; only function tools run locally", i, t.Type)
		}
		tools = append(tools, oaiTool{Type: "function", Function: oaiFunction{Name: t.Name, Description: t.Description, Parameters: t.Parameters, Strict: t.Strict}})
	}
	out, err := toolsFromOpenAI(tools)
	if ae, ok := err.(*apiError); ok {
		// The chat route's messages say tools[i].function.name; here the name is flat.
		ae.Param = respToolField.ReplaceAllString(ae.Param, "$1")
		ae.Message = respToolField.ReplaceAllString(ae.Message, "$1")
	}
	return out, err
}

var respToolField = regexp.MustCompile(`(tools\[\d+\]\.)function\.`)

func respToolChoice(raw json.RawMessage, tools []chat.Tool) (chat.ToolChoice, error) {
	var named struct {
		Type string `json:"type"`
		Name string `json:"name"`
	}
	if !isNull(raw) && bytes.TrimSpace(raw)[0] == '{' {
		if err := json.Unmarshal(raw, &named); err != nil || named.Type != "function" || named.Name == "" {
			return chat.ToolChoice{}, badRequest("tool_choice", "tool_choice must be \"none\", \"auto\", \"required\" or {\"type\":\"function\",\"name\":...}")
		}
		raw, _ = json.Marshal(map[string]any{"type": "function", "function": map[string]string{"name": named.Name}})
	}
	return toolChoiceFromOpenAI(raw, tools)
}

// respFormat maps text.format: text, json_object, or json_schema with the schema inline.
func respFormat(raw json.RawMessage) (*engine.Format, error) {
	if isNull(raw) {
		return nil, nil
	}
	var f struct {
		Type   string          `json:"type"`
		Name   string          `json:"name"`
		Schema json.RawMessage `json:"schema"`
		Strict *bool           `json:"strict"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, badRequest("text.format", "text.format must be an object like {\"type\":\"json_schema\",...}, got %s", jsonKind(raw))
	}
	switch f.Type {
	case "text":
		return nil, nil
	case "json_object":
		return &engine.Format{Type: "json_object"}, nil
	case "json_schema":
		if isNull(f.Schema) {
			return nil, badRequest("text.format.schema", "text.format of type json_schema needs a schema")
		}
		out, err := schemaFormat("text.format.schema", f.Schema)
		if out != nil && f.Strict != nil {
			out.Strict = *f.Strict
		}
		return out, err
	}
	return nil, badRequest("text.format.type", "text.format.type must be text, json_object or json_schema, got %q", f.Type)
}

// respShell is the response object before any output: what response.created carries, and the
// frame of the final one.
func respShell(id string, created int64, req respRequest, ereq engine.ChatRequest) respResponse {
	r := respResponse{
		ID: id, Object: "response", CreatedAt: created, Status: "in_progress", Model: req.Model,
		MaxOutputTokens: req.MaxOutputTokens, ParallelToolCalls: req.ParallelToolCalls == nil || *req.ParallelToolCalls,
		Store: req.Store == nil || *req.Store, Temperature: req.Temperature, TopP: req.TopP, Truncation: "disabled",
		Output: []respOutputItem{}, Tools: []json.RawMessage{}, Metadata: req.Metadata,
		ToolChoice: json.RawMessage(`"auto"`), Text: respTextOut{Format: json.RawMessage(`{"type":"text"}`)},
	}
	if r.Metadata == nil {
		r.Metadata = map[string]string{}
	}
	if s, _ := respInstructions(req.Instructions); s != "" {
		r.Instructions = &s
	}
	if req.PreviousResponseID != "" {
		p := req.PreviousResponseID
		r.PreviousResponseID = &p
	}
	if !isNull(req.ToolChoice) {
		r.ToolChoice = req.ToolChoice
	}
	if req.Text != nil && !isNull(req.Text.Format) {
		r.Text.Format = req.Text.Format
	}
	for _, t := range ereq.Tools {
		params := t.Function.Parameters
		if params == nil {
			params = json.RawMessage("null")
		}
		b, _ := json.Marshal(respFunctionToolOut{Type: "function", Name: t.Function.Name, Description: t.Function.Description, Parameters: params, Strict: t.Function.Strict})
		r.Tools = append(r.Tools, b)
	}
	return r
}

type respFunctionToolOut struct {
	Type        string          `json:"type"`
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters"`
	Strict      bool            `json:"strict"`
}

func respTextPart(text string) respOutputPart {
	return respOutputPart{Type: "output_text", Text: text, Annotations: &[]any{}, Logprobs: &[]any{}}
}

func respMessageItem(id, text, status string) respOutputItem {
	parts := []respOutputPart{}
	if status != "in_progress" {
		parts = append(parts, respTextPart(text))
	}
	return respOutputItem{Type: "message", ID: id, Status: status, Role: "assistant", Content: &parts}
}

func respReasoningItem(id, text string) respOutputItem {
	return respOutputItem{Type: "reasoning", ID: id, Summary: &[]respOutputPart{{Type: "summary_text", Text: text}}}
}

// respCallItem is a function call; the call id is the one the conversation will carry.
func respCallItem(id string, call chat.ToolCall, status string) respOutputItem {
	args := argumentsString(call.Function.Arguments)
	if status == "in_progress" {
		args = ""
	}
	return respOutputItem{Type: "function_call", ID: id, Status: status, CallID: call.ID, Name: call.Function.Name, Arguments: &args}
}

// respNameCalls gives each call an id (call_…) where the model's syntax had none.
func respNameCalls(calls []chat.ToolCall) {
	for i := range calls {
		if calls[i].ID == "" {
			calls[i].ID = newID("call_")
		}
	}
}

// respOutput lists a finished answer's items: reasoning, the message, then the calls.
func respOutput(res *engine.ChatResult) []respOutputItem {
	m := res.Message
	out := []respOutputItem{}
	if m.Reasoning != "" {
		out = append(out, respReasoningItem(newID("rs_"), m.Reasoning))
	}
	if m.Content != "" || len(m.ToolCalls) == 0 {
		out = append(out, respMessageItem(newID("msg_"), m.Content, respItemStatus(res)))
	}
	respNameCalls(m.ToolCalls)
	for _, c := range m.ToolCalls {
		out = append(out, respCallItem(newID("fc_"), c, "completed"))
	}
	return out
}

func respItemStatus(res *engine.ChatResult) string {
	if res.FinishReason == engine.FinishLength {
		return "incomplete"
	}
	return "completed"
}

// respFinish fills in the end of a response: status, usage, and why it stopped short.
func respFinish(r *respResponse, res *engine.ChatResult, output []respOutputItem, now int64) {
	r.Output = output
	r.Status = "completed"
	r.CompletedAt = &now
	if res.FinishReason == engine.FinishLength {
		r.Status = "incomplete"
		r.CompletedAt = nil
		r.IncompleteDetails = &respIncomplete{Reason: "max_output_tokens"}
	}
	u := res.Usage
	r.Usage = &respUsage{
		InputTokens: u.PromptTokens, InputTokensDetails: respInputDetails{CachedTokens: u.CachedTokens},
		OutputTokens: u.CompletionTokens, TotalTokens: u.PromptTokens + u.CompletionTokens,
	}
}

// respAnswer is the assistant turn stored for previous_response_id.
func respAnswer(res *engine.ChatResult) chat.Message {
	m := res.Message
	return chat.Message{Role: "assistant", Content: m.Content, ToolCalls: m.ToolCalls}
}
