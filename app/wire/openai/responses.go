package openai

import "encoding/json"

// Responses API answer shapes (OpenAI's Response object and its output items).

type Response struct {
	ID                 string             `json:"id"`
	Object             string             `json:"object"` // "response"
	CreatedAt          int64              `json:"created_at"`
	CompletedAt        *int64             `json:"completed_at"`
	Status             string             `json:"status"` // in_progress, completed, incomplete, failed
	Error              *ResponseError     `json:"error"`
	IncompleteDetails  *IncompleteDetails `json:"incomplete_details"`
	Instructions       *string            `json:"instructions"`
	MaxOutputTokens    *int               `json:"max_output_tokens"`
	Model              string             `json:"model"`
	Output             []OutputItem       `json:"output"`
	ParallelToolCalls  bool               `json:"parallel_tool_calls"`
	PreviousResponseID *string            `json:"previous_response_id"`
	Reasoning          *json.RawMessage   `json:"reasoning"`
	Store              bool               `json:"store"`
	Temperature        *float32           `json:"temperature"`
	Text               ResponseText       `json:"text"`
	ToolChoice         json.RawMessage    `json:"tool_choice"`
	Tools              []json.RawMessage  `json:"tools"`
	TopP               *float32           `json:"top_p"`
	Truncation         string             `json:"truncation"`
	Usage              *ResponseUsage     `json:"usage,omitempty"`
	Metadata           map[string]string  `json:"metadata"`
}

type ResponseError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type IncompleteDetails struct {
	Reason string `json:"reason"`
}

type ResponseText struct {
	Format json.RawMessage `json:"format"`
}

// OutputItem is a message, a function call or a reasoning item; fields of the other kinds
// are left out.
type OutputItem struct {
	Type    string        `json:"type"` // message, function_call, reasoning
	ID      string        `json:"id"`
	Status  string        `json:"status,omitempty"`
	Role    string        `json:"role,omitempty"`
	Content *[]OutputPart `json:"content,omitempty"`
	// function_call
	CallID    string  `json:"call_id,omitempty"`
	Name      string  `json:"name,omitempty"`
	Arguments *string `json:"arguments,omitempty"`
	// reasoning
	Summary *[]OutputPart `json:"summary,omitempty"`
}

type OutputPart struct {
	Type        string `json:"type"` // output_text, summary_text, reasoning_text
	Text        string `json:"text"`
	Annotations *[]any `json:"annotations,omitempty"`
	Logprobs    *[]any `json:"logprobs,omitempty"`
}

type ResponseUsage struct {
	InputTokens         int                 `json:"input_tokens"`
	InputTokensDetails  InputTokensDetails  `json:"input_tokens_details"`
	OutputTokens        int                 `json:"output_tokens"`
	OutputTokensDetails OutputTokensDetails `json:"output_tokens_details"`
	TotalTokens         int                 `json:"total_tokens"`
}

type InputTokensDetails struct {
	CachedTokens     int `json:"cached_tokens"`
	CacheWriteTokens int `json:"cache_write_tokens"`
}

type OutputTokensDetails struct {
	ReasoningTokens int `json:"reasoning_tokens"`
}
