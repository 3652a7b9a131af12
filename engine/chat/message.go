// Package chat turns conversations into prompts and model output back into messages: it
// renders a model's Jinja chat template, matches stop strings across token boundaries, splits
// reasoning ("<think>") from the answer, parses tool calls for the common template families,
// and builds GBNF grammars for JSON output and forced tool calls. It knows nothing of the
// OpenAI or Ollama wire formats.
package chat

import "encoding/json"

// Message is one turn of a conversation.
type Message struct {
	Role    string `json:"role"` // system, user, assistant, tool
	Content string `json:"content"`
	// Reasoning is an assistant's thinking text, kept apart from Content.
	Reasoning  string     `json:"reasoning_content,omitempty"`
	Name       string     `json:"name,omitempty"`
	ToolCalls  []ToolCall `json:"tool_calls,omitempty"`
	ToolCallID string     `json:"tool_call_id,omitempty"`
}

// ToolCall is a function call made by the model.
type ToolCall struct {
	ID       string       `json:"id,omitempty"`
	Type     string       `json:"type"` // "function"
	Function FunctionCall `json:"function"`
}

// FunctionCall names the function and carries its arguments as a JSON object.
type FunctionCall struct {
	Name      string          `json:"name"`
	Arguments json.RawMessage `json:"arguments"`
}

// Tool is a function the model may call.
type Tool struct {
	Type     string   `json:"type"` // "function"
	Function Function `json:"function"`
}

// Function describes a callable function with a JSON-schema for its parameters.
type Function struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
	Strict      bool            `json:"strict,omitempty"`
}

// ToolChoice says whether and which tool must be called: "auto" (default), "none",
// "required", or a function name in Function.
type ToolChoice struct {
	Mode     string `json:"mode"` // auto, none, required, function
	Function string `json:"function,omitempty"`
}
