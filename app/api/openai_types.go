package api

import "encoding/json"

// OpenAI wire types. Optional numbers are pointers so "absent" and "zero" differ; fields that
// take several JSON types are json.RawMessage and are decoded in openai_convert.go.

type oaiChatRequest struct {
	Model               string             `json:"model"`
	Messages            []oaiMessage       `json:"messages"`
	Stream              bool               `json:"stream"`
	StreamOptions       *oaiStreamOpts     `json:"stream_options"`
	MaxTokens           *int               `json:"max_tokens"`
	MaxCompletionTokens *int               `json:"max_completion_tokens"`
	Temperature         *float32           `json:"temperature"`
	TopP                *float32           `json:"top_p"`
	TopK                *int               `json:"top_k"` // llama.cpp/vLLM extension
	MinP                *float32           `json:"min_p"` // llama.cpp/vLLM extension
	Seed                *int64             `json:"seed"`
	Stop                json.RawMessage    `json:"stop"`
	PresencePenalty     *float32           `json:"presence_penalty"`
	FrequencyPenalty    *float32           `json:"frequency_penalty"`
	LogitBias           map[string]float32 `json:"logit_bias"`
	Logprobs            *bool              `json:"logprobs"`
	TopLogprobs         *int               `json:"top_logprobs"`
	N                   *int               `json:"n"`
	ResponseFormat      json.RawMessage    `json:"response_format"`
	Tools               []oaiTool          `json:"tools"`
	ToolChoice          json.RawMessage    `json:"tool_choice"`
	ParallelToolCalls   *bool              `json:"parallel_tool_calls"`
	ReasoningEffort     string             `json:"reasoning_effort"`
	KeepAlive           json.RawMessage    `json:"keep_alive"` // Ollama's extension, honoured here too
	// Collection is Perch's extension: cite a document collection (perch_collections.go).
	Collection json.RawMessage `json:"collection"`
}

type oaiStreamOpts struct {
	IncludeUsage bool `json:"include_usage"`
}

type oaiMessage struct {
	Role       string          `json:"role"`
	Content    json.RawMessage `json:"content"`
	Name       string          `json:"name,omitempty"`
	ToolCalls  []oaiToolCall   `json:"tool_calls,omitempty"`
	ToolCallID string          `json:"tool_call_id,omitempty"`
	// ReasoningContent carries an assistant's earlier thinking back (DeepSeek's convention).
	ReasoningContent string `json:"reasoning_content,omitempty"`
}

type oaiContentPart struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

type oaiTool struct {
	Type     string      `json:"type"`
	Function oaiFunction `json:"function"`
}

type oaiFunction struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
	Strict      *bool           `json:"strict,omitempty"`
}

type oaiToolCall struct {
	Index    *int            `json:"index,omitempty"`
	ID       string          `json:"id,omitempty"`
	Type     string          `json:"type"`
	Function oaiFunctionCall `json:"function"`
}

type oaiFunctionCall struct {
	Name      string `json:"name,omitempty"`
	Arguments string `json:"arguments"`
}

// Responses.

type oaiChatResponse struct {
	ID                string          `json:"id"`
	Object            string          `json:"object"`
	Created           int64           `json:"created"`
	Model             string          `json:"model"`
	SystemFingerprint string          `json:"system_fingerprint"`
	Choices           []oaiChatChoice `json:"choices"`
	Usage             *oaiUsage       `json:"usage,omitempty"`
}

type oaiChatChoice struct {
	Index        int              `json:"index"`
	Message      oaiRespMessage   `json:"message"`
	FinishReason string           `json:"finish_reason"`
	Logprobs     *oaiChatLogprobs `json:"logprobs"`
}

type oaiRespMessage struct {
	Role             string        `json:"role"`
	Content          *string       `json:"content"`
	ReasoningContent string        `json:"reasoning_content,omitempty"`
	ToolCalls        []oaiToolCall `json:"tool_calls,omitempty"`
	Refusal          *string       `json:"refusal"`
}

type oaiChatLogprobs struct {
	Content []oaiTokenLogprob `json:"content"`
	Refusal []oaiTokenLogprob `json:"refusal"`
}

type oaiTokenLogprob struct {
	Token       string          `json:"token"`
	Logprob     float64         `json:"logprob"`
	Bytes       []int           `json:"bytes"`
	TopLogprobs []oaiTopLogprob `json:"top_logprobs"`
}

type oaiTopLogprob struct {
	Token   string  `json:"token"`
	Logprob float64 `json:"logprob"`
	Bytes   []int   `json:"bytes"`
}

type oaiUsage struct {
	PromptTokens            int                `json:"prompt_tokens"`
	CompletionTokens        int                `json:"completion_tokens"`
	TotalTokens             int                `json:"total_tokens"`
	PromptTokensDetails     *oaiPromptDetails  `json:"prompt_tokens_details,omitempty"`
	CompletionTokensDetails *oaiCompletionDets `json:"completion_tokens_details,omitempty"`
}

type oaiPromptDetails struct {
	CachedTokens int `json:"cached_tokens"`
}

type oaiCompletionDets struct {
	ReasoningTokens int `json:"reasoning_tokens"`
}

type oaiChatChunk struct {
	ID                string           `json:"id"`
	Object            string           `json:"object"`
	Created           int64            `json:"created"`
	Model             string           `json:"model"`
	SystemFingerprint string           `json:"system_fingerprint"`
	Choices           []oaiChunkChoice `json:"choices"`
	Usage             *oaiUsage        `json:"usage,omitempty"`
}

type oaiChunkChoice struct {
	Index        int              `json:"index"`
	Delta        oaiDelta         `json:"delta"`
	FinishReason *string          `json:"finish_reason"`
	Logprobs     *oaiChatLogprobs `json:"logprobs,omitempty"`
}

type oaiDelta struct {
	Role             string        `json:"role,omitempty"`
	Content          *string       `json:"content,omitempty"`
	ReasoningContent string        `json:"reasoning_content,omitempty"`
	ToolCalls        []oaiToolCall `json:"tool_calls,omitempty"`
}

// Legacy completions.

type oaiCompletionRequest struct {
	Model            string             `json:"model"`
	Prompt           json.RawMessage    `json:"prompt"`
	Suffix           string             `json:"suffix"`
	Echo             bool               `json:"echo"`
	Stream           bool               `json:"stream"`
	StreamOptions    *oaiStreamOpts     `json:"stream_options"`
	MaxTokens        *int               `json:"max_tokens"`
	Temperature      *float32           `json:"temperature"`
	TopP             *float32           `json:"top_p"`
	TopK             *int               `json:"top_k"`
	MinP             *float32           `json:"min_p"`
	Seed             *int64             `json:"seed"`
	Stop             json.RawMessage    `json:"stop"`
	PresencePenalty  *float32           `json:"presence_penalty"`
	FrequencyPenalty *float32           `json:"frequency_penalty"`
	LogitBias        map[string]float32 `json:"logit_bias"`
	Logprobs         *int               `json:"logprobs"`
	N                *int               `json:"n"`
	BestOf           *int               `json:"best_of"`
	KeepAlive        json.RawMessage    `json:"keep_alive"`
}

type oaiCompletionResponse struct {
	ID                string                `json:"id"`
	Object            string                `json:"object"`
	Created           int64                 `json:"created"`
	Model             string                `json:"model"`
	SystemFingerprint string                `json:"system_fingerprint"`
	Choices           []oaiCompletionChoice `json:"choices"`
	Usage             *oaiUsage             `json:"usage,omitempty"`
}

type oaiCompletionChoice struct {
	Index        int                `json:"index"`
	Text         string             `json:"text"`
	FinishReason *string            `json:"finish_reason"`
	Logprobs     *oaiLegacyLogprobs `json:"logprobs"`
}

type oaiLegacyLogprobs struct {
	Tokens        []string             `json:"tokens"`
	TokenLogprobs []float64            `json:"token_logprobs"`
	TopLogprobs   []map[string]float64 `json:"top_logprobs"`
	TextOffset    []int                `json:"text_offset"`
}

// Embeddings.

type oaiEmbeddingRequest struct {
	Model          string          `json:"model"`
	Input          json.RawMessage `json:"input"`
	EncodingFormat string          `json:"encoding_format"`
	Dimensions     *int            `json:"dimensions"`
	KeepAlive      json.RawMessage `json:"keep_alive"`
}

type oaiEmbeddingResponse struct {
	Object string         `json:"object"`
	Data   []oaiEmbedding `json:"data"`
	Model  string         `json:"model"`
	Usage  oaiEmbedUsage  `json:"usage"`
}

type oaiEmbedding struct {
	Object    string `json:"object"`
	Index     int    `json:"index"`
	Embedding any    `json:"embedding"` // []float32, or a base64 string
}

type oaiEmbedUsage struct {
	PromptTokens int `json:"prompt_tokens"`
	TotalTokens  int `json:"total_tokens"`
}

// Models.

type oaiModel struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

type oaiModelList struct {
	Object string     `json:"object"`
	Data   []oaiModel `json:"data"`
}
