package engine

import "github.com/perchapp/perch/engine/chat"

// The worker protocol: HTTP over a private Unix socket, one JSON object per line for streams.
// These types are shared by the worker (engine/worker) and its client here.

// WorkerInfo is what a worker reports about itself and its model.
type WorkerInfo struct {
	PID     int         `json:"pid"`
	Model   ModelInfo   `json:"model"`
	Memory  MemoryUsage `json:"memory"`
	Slots   int         `json:"slots"`
	SlotCtx int         `json:"slot_ctx"` // tokens each slot may hold
	// KVUnified is true when the slots share one cache of SlotCtx cells.
	KVUnified bool   `json:"kv_unified"`
	Batch     int    `json:"batch"`
	Threads   int    `json:"threads"`
	KVType    string `json:"kv_type"`
	FlashAttn string `json:"flash_attn"`
	// FlashAttnUsed is what FlashAttn came to: on or off ("" when llama.cpp did not say).
	FlashAttnUsed string   `json:"flash_attn_used,omitempty"`
	Embedding     bool     `json:"embedding"`
	Busy          int      `json:"busy"`
	Queued        int      `json:"queued"`
	SystemInfo    string   `json:"system_info"`
	Backends      []string `json:"backends"`
	Devices       []Device `json:"devices"`
	LibDir        string   `json:"lib_dir"`
	Release       string   `json:"llama_release,omitempty"`
}

// Health is a worker's heartbeat answer. The worker's HTTP server answers it apart from the
// compute loop, so a loop stuck in llama.cpp still answers, and Progress (tokens decoded
// since the start) says whether the loop moves while Work (running, queued and embedding
// jobs) waits on it.
type Health struct {
	Status   string `json:"status"`
	Progress int64  `json:"progress"`
	Work     int    `json:"work"`
}

// Device is a compute device llama.cpp found, with its memory.
type Device struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Type        string `json:"type"`
	FreeBytes   uint64 `json:"free_bytes"`
	TotalBytes  uint64 `json:"total_bytes"`
}

// StreamLine is one line of a worker's completion stream: an event, the final result, or an
// error. The final result leaves out Text, Tokens and Logprobs, which the events already
// carried; the engine puts them back together from the events.
type StreamLine struct {
	Event *Event            `json:"event,omitempty"`
	Done  *CompletionResult `json:"done,omitempty"`
	Error *Error            `json:"error,omitempty"`
}

// TokenizeRequest asks a worker to tokenize text.
type TokenizeRequest struct {
	Text         string `json:"text"`
	AddSpecial   bool   `json:"add_special"`
	ParseSpecial bool   `json:"parse_special"`
}

// DetokenizeRequest asks a worker to turn tokens into text; Special renders special tokens
// (BOS, <|im_start|>) as their text instead of leaving them out.
type DetokenizeRequest struct {
	Tokens  []int32 `json:"tokens"`
	Special bool    `json:"special,omitempty"`
}

// TokenizeResponse carries the tokens and their pieces.
type TokenizeResponse struct {
	Tokens []TokenPiece `json:"tokens"`
}

// DetokenizeResponse carries the text.
type DetokenizeResponse struct {
	Text string `json:"text"`
}

// RenderRequest asks a worker to render a conversation with the model's chat template (or
// Template). Templates come from untrusted GGUF files, so they run in the worker, where a
// template that blows up takes down only that process.
type RenderRequest struct {
	Messages []chat.Message `json:"messages"`
	Tools    []chat.Tool    `json:"tools,omitempty"`
	Think    *bool          `json:"think,omitempty"`
	Template string         `json:"template,omitempty"`
	// Continue: a final assistant message is the answer so far, not a finished turn.
	Continue bool `json:"continue,omitempty"`
}

// RenderResponse is the prompt and how to read the model's answer to it.
type RenderResponse struct {
	Prompt     string             `json:"prompt"`
	ToolFamily chat.Family        `json:"tool_family"`
	Parser     chat.ParserOptions `json:"parser"`
	// NativeTools: the template shows tools to the model itself. Without it tools are refused
	// (as Ollama does) rather than described in an added system message.
	NativeTools bool `json:"native_tools,omitempty"`
}
