package api

import "encoding/json"

// Responses API answer shapes (OpenAI's Response object and its output items).

type respResponse struct {
	ID                 string            `json:"id"`
	Object             string            `json:"object"` // "response"
	CreatedAt          int64             `json:"created_at"`
	CompletedAt        *int64            `json:"completed_at"`
	Status             string            `json:"status"` // in_progress, completed, incomplete, failed
	Error              *respError        `json:"error"`
	IncompleteDetails  *respIncomplete   `json:"incomplete_details"`
	Instructions       *string           `json:"instructions"`
	MaxOutputTokens    *int              `json:"max_output_tokens"`
	Model              string            `json:"model"`
	Output             []respOutputItem  `json:"output"`
	ParallelToolCalls  bool              `json:"parallel_tool_calls"`
	PreviousResponseID *string           `json:"previous_response_id"`
	Reasoning          *json.RawMessage  `json:"reasoning"`
	Store              bool              `json:"store"`
	Temperature        *float32          `json:"temperature"`
	Text               respTextOut       `json:"text"`
	ToolChoice         json.RawMessage   `json:"tool_choice"`
	Tools              []json.RawMessage `json:"tools"`
	TopP               *float32          `json:"top_p"`
	Truncation         string            `json:"truncation"`
	Usage              *respUsage        `json:"usage,omitempty"`
	Metadata           map[string]string `json:"metadata"`
}

type respError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type respIncomplete struct {
	Reason string `json:"reason"`
}

type respTextOut struct {
	Format json.RawMessage `json:"format"`
}

// respOutputItem is a message, a function call or a reasoning item; fields of the other kinds
// are left out.
type respOutputItem struct {
	Type    string            `json:"type"` // message, function_call, reasoning
	ID      string            `json:"id"`
	Status  string            `json:"status,omitempty"`
	Role    string            `json:"role,omitempty"`
	Content *[]respOutputPart `json:"content,omitempty"`
	// function_call
	CallID    string  `json:"call_id,omitempty"`
	Name      string  `json:"name,omitempty"`
	Arguments *string `json:"arguments,omitempty"`
	// reasoning
	Summary *[]respOutputPart `json:"summary,omitempty"`
}

type respOutputPart struct {
	Type        string `json:"type"` // output_text, summary_text, reasoning_text
	Text        string `json:"text"`
	Annotations *[]any `json:"annotations,omitempty"`
	Logprobs    *[]any `json:"logprobs,omitempty"`
}

type respUsage struct {
	InputTokens         int               `json:"input_tokens"`
	InputTokensDetails  respInputDetails  `json:"input_tokens_details"`
	OutputTokens        int               `json:"output_tokens"`
	OutputTokensDetails respOutputDetails `json:"output_tokens_details"`
	TotalTokens         int               `json:"total_tokens"`
}

type respInputDetails struct {
	CachedTokens     int `json:"cached_tokens"`
	CacheWriteTokens int `json:"cache_write_tokens"`
}

type respOutputDetails struct {
	ReasoningTokens int `json:"reasoning_tokens"`
}
