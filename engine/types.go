// Package engine is the API the app and the command line use to run models: Load, Unload,
// Complete, Chat, Embed and Tokenize. It supervises one worker process per loaded model
// (`perch engine`), schedules requests onto them (resident models, keep-alive, eviction,
// queueing), and renders chats through engine/chat. It never touches llama.cpp itself: only the
// worker does, so a crash in llama.cpp cannot take the app down.
package engine

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/perchapp/perch/engine/chat"
)

// ModelInfo are a model's facts as llama.cpp read them in the worker. It has the fields of
// engine/llama's Info, which the worker converts: engine itself must not import engine/llama,
// or every package that uses engine would link llama.cpp's bindings (docs/architecture.md).
type ModelInfo struct {
	Architecture  string `json:"architecture"`
	Name          string `json:"name,omitempty"`
	Description   string `json:"description"`
	Parameters    uint64 `json:"parameters"`
	FileType      string `json:"file_type"`
	SizeBytes     uint64 `json:"size_bytes"`
	ContextLength int    `json:"context_length"`
	Layers        int    `json:"layers"`
	Heads         int    `json:"heads"`
	KVHeads       int    `json:"kv_heads"`
	EmbeddingSize int    `json:"embedding_size"`
	HeadDimK      int    `json:"head_dim_k"`
	HeadDimV      int    `json:"head_dim_v"`
	SlidingWindow int    `json:"sliding_window,omitempty"`
	VocabSize     int    `json:"vocab_size"`
	VocabType     string `json:"vocab_type"`
	Recurrent     bool   `json:"recurrent,omitempty"`
	Hybrid        bool   `json:"hybrid,omitempty"`
	HasEncoder    bool   `json:"has_encoder,omitempty"`
	HasDecoder    bool   `json:"has_decoder"`
	ChatTemplate  string `json:"chat_template,omitempty"`
	BOS           string `json:"bos_token,omitempty"`
	EOS           string `json:"eos_token,omitempty"`
	AddBOS        bool   `json:"add_bos"`
	AddEOS        bool   `json:"add_eos"`
	// Pooling is the GGUF's pooling type for embedding models (none, mean, cls, last, rank).
	Pooling string `json:"pooling,omitempty"`
	// FIM is true when the vocabulary has fill-in-the-middle tokens.
	FIM bool `json:"fim,omitempty"`
}

// LoadOptions choose how a model is loaded; zero values take the defaults.
type LoadOptions struct {
	// ContextLength is the KV cache in tokens: one cache the slots share (any one request
	// may fill it), or, with PerSlotKV, each slot's own.
	ContextLength int `json:"num_ctx,omitempty"`
	// Slots is the number of requests the model serves at once.
	Slots int `json:"slots,omitempty"`
	// PerSlotKV gives every slot a cache of ContextLength cells (memory × Slots) instead of
	// one shared cache.
	PerSlotKV bool `json:"per_slot_kv,omitempty"`
	// KVType is the KV cache type: f16 (default), q8_0 or q4_0.
	KVType string `json:"kv_type,omitempty"`
	// FlashAttn is auto (default), on or off.
	FlashAttn string `json:"flash_attn,omitempty"`
	// GPULayers is the number of layers on the GPU; nil means all.
	GPULayers *int `json:"num_gpu,omitempty"`
	// Threads for generation; 0 picks the measured default.
	Threads int `json:"num_thread,omitempty"`
	// BatchSize is the most prompt tokens decoded in one step.
	BatchSize int `json:"num_batch,omitempty"`
	// Embedding loads the model for embeddings (pooled outputs instead of logits).
	Embedding bool `json:"embedding,omitempty"`
	// DraftModel names a small model of the same tokenizer that guesses tokens for
	// speculative decoding, loaded in the same worker; empty takes the model's default (the
	// engine's DraftFor), DraftNone none.
	DraftModel string `json:"draft_model,omitempty"`

	// generate is set by Complete and Chat: a worker loaded for embeddings only cannot serve
	// them, so such a runner is reloaded.
	generate bool
	// request is set by the calls whose options are the caller's (Complete, Chat, Embed,
	// Load): without a context they want the default one. Info and Tokenize take any.
	request bool
}

// DraftNone as LoadOptions.DraftModel loads a model without its default draft model.
const DraftNone = "none"

// validate rejects options no load could honour, naming the field; nothing is loaded.
func (o LoadOptions) validate() error {
	bad := func(param, format string, a ...any) error {
		return &Error{Kind: KindInvalid, Param: param, Message: fmt.Sprintf(format, a...)}
	}
	switch {
	case o.ContextLength < 0 || (o.ContextLength > 0 && o.ContextLength < MinContext):
		return bad("num_ctx", "num_ctx must be 0 (the default) or at least %d tokens, not %d", MinContext, o.ContextLength)
	case o.Slots < 0 || o.Slots > MaxSlots:
		return bad("slots", "slots must be from 1 to %d, not %d", MaxSlots, o.Slots)
	case o.BatchSize < 0:
		return bad("num_batch", "num_batch must be positive, not %d", o.BatchSize)
	}
	switch strings.ToLower(o.KVType) {
	case "", "f16", "q8_0", "q4_0", "f32", "bf16":
	default:
		return bad("kv_type", "kv_type must be f16, q8_0 or q4_0, not %q", o.KVType)
	}
	switch o.FlashAttn {
	case "", "auto", "on", "off":
	default:
		return bad("flash_attn", "flash_attn must be auto, on or off, not %q", o.FlashAttn)
	}
	// llama.cpp cannot quantize the V cache without flash attention (its context fails).
	if kv := strings.ToLower(o.KVType); o.FlashAttn == "off" && (kv == "q8_0" || kv == "q4_0") {
		return bad("flash_attn", "a %s KV cache needs flash attention; use flash_attn auto or on, or kv_type f16", kv)
	}
	return nil
}

// Limits of LoadOptions.
const (
	// MinContext is the smallest context a model is loaded with.
	MinContext = 256
	// MaxSlots is the most parallel requests one model serves.
	MaxSlots = 64
)

// Sampling chooses the next token. Temperature 0 is greedy and deterministic.
type Sampling struct {
	Temperature      float32 `json:"temperature"`
	TopK             int     `json:"top_k,omitempty"`
	TopP             float32 `json:"top_p,omitempty"`
	MinP             float32 `json:"min_p,omitempty"`
	TypicalP         float32 `json:"typical_p,omitempty"`
	RepeatPenalty    float32 `json:"repeat_penalty,omitempty"`
	RepeatLastN      int     `json:"repeat_last_n,omitempty"`
	PresencePenalty  float32 `json:"presence_penalty,omitempty"`
	FrequencyPenalty float32 `json:"frequency_penalty,omitempty"`
	// Seed of the random draw; -1 picks one.
	Seed      int64             `json:"seed"`
	LogitBias map[int32]float32 `json:"logit_bias,omitempty"`
	// Grammar is GBNF text that constrains the output.
	Grammar string `json:"grammar,omitempty"`
}

// DefaultSampling is what a request gets when it says nothing (Ollama's defaults).
func DefaultSampling() Sampling {
	return Sampling{Temperature: 0.8, TopK: 40, TopP: 0.9, RepeatPenalty: 1.1, RepeatLastN: 64, Seed: -1}
}

// CompletionRequest asks for a continuation of a prompt.
type CompletionRequest struct {
	Model string `json:"model"`
	// Prompt is text, tokenized with the model's special tokens (BOS) added and special-token
	// text parsed; Tokens, when set, is used instead.
	Prompt string  `json:"prompt,omitempty"`
	Tokens []int32 `json:"tokens,omitempty"`
	// Suffix asks for fill-in-the-middle between Prompt and Suffix.
	Suffix string `json:"suffix,omitempty"`
	// Keep is how many of the first tokens a context shift keeps (RequestOptions.ContextShift).
	Keep int `json:"keep,omitempty"`
	// NoCache prefills the whole prompt instead of reusing a slot's cached prefix.
	NoCache bool `json:"no_cache,omitempty"`
	RequestOptions
}

// RequestOptions are what a completion and a chat request share: how much to generate, how
// to sample, what to report, and how the model is loaded and kept.
type RequestOptions struct {
	// MaxTokens caps the tokens generated; 0 means until the context is full.
	MaxTokens int      `json:"max_tokens,omitempty"`
	Stop      []string `json:"stop,omitempty"`
	Sampling  Sampling `json:"sampling"`
	// Logprobs asks for each token's log-probability, with TopLogprobs alternatives.
	Logprobs    bool `json:"logprobs,omitempty"`
	TopLogprobs int  `json:"top_logprobs,omitempty"`
	// ContextShift, when the context fills, drops the oldest tokens after the first Keep
	// instead of finishing with reason "length". It applies only with a MaxTokens above 0:
	// an uncapped answer always ends when the context is full.
	ContextShift bool `json:"context_shift,omitempty"`
	// SaveState writes the slot's KV state to disk after the answer, so the conversation can
	// resume without a prefill after the model is unloaded.
	SaveState bool `json:"save_state,omitempty"`
	// NoDraft turns speculative decoding off for this request (it is on by default where the
	// model and sampler allow, and switches itself off when its guesses are mostly wrong).
	NoDraft bool `json:"no_draft,omitempty"`

	// KeepAlive is how long the model stays loaded after this request; nil takes the default,
	// negative keeps it forever, zero unloads it after the answer.
	KeepAlive *time.Duration `json:"-"`
	Load      LoadOptions    `json:"-"`
}

// Logprob is one generated token's log-probability with its most likely alternatives.
type Logprob struct {
	ID      int32        `json:"id"`
	Token   string       `json:"token"`
	Bytes   []byte       `json:"bytes"`
	Logprob float64      `json:"logprob"`
	Top     []TopLogprob `json:"top_logprobs,omitempty"`
}

// TopLogprob is an alternative token at one step.
type TopLogprob struct {
	ID      int32   `json:"id"`
	Token   string  `json:"token"`
	Bytes   []byte  `json:"bytes"`
	Logprob float64 `json:"logprob"`
}

// Event is one step of a streamed completion. Text holds complete UTF-8 characters only; a
// character split across tokens arrives with the token that completes it.
type Event struct {
	Text    string   `json:"text"`
	Token   int32    `json:"token"`
	Logprob *Logprob `json:"logprob,omitempty"`
	// Merged counts the tokens of the same decode step folded into this event before Token
	// (speculative decoding accepts several at once), so a client flushes once per step.
	Merged int `json:"-"`
}

// Finish reasons.
const (
	FinishStop      = "stop"
	FinishLength    = "length"
	FinishCancelled = "cancelled"
	FinishToolCalls = "tool_calls"
)

// Usage counts tokens. CachedTokens of the prompt were reused from a slot's cache or from
// saved state rather than prefilled.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CachedTokens     int `json:"cached_tokens"`
	CompletionTokens int `json:"completion_tokens"`
}

// Timings of one request, in milliseconds.
type Timings struct {
	LoadMs      float64 `json:"load_ms"`      // loading the model, when this request did
	QueueMs     float64 `json:"queue_ms"`     // waiting for a slot
	PromptMs    float64 `json:"prompt_ms"`    // prefill
	PredictMs   float64 `json:"predict_ms"`   // generation after the first token
	FirstTokenM float64 `json:"ttft_ms"`      // from arrival at the worker to the first token
	TotalMs     float64 `json:"total_ms"`     // from the engine call to the result
	PromptPerS  float64 `json:"prompt_per_s"` // prefill tokens per second
	PredictPerS float64 `json:"predict_per_s"`
	// Restored is true when the prompt was restored from saved KV state.
	Restored bool `json:"restored,omitempty"`
	// DraftTokens were guessed by speculative decoding; DraftAccepted of them were right.
	DraftTokens   int `json:"draft_tokens,omitempty"`
	DraftAccepted int `json:"draft_accepted,omitempty"`
	// DraftSource says what guessed: DraftSourceNgram (prompt lookup) or DraftSourceModel.
	DraftSource string `json:"draft_source,omitempty"`
}

// What made speculative decoding's guesses (Timings.DraftSource).
const (
	DraftSourceNgram = "ngram" // prompt lookup: earlier tokens of the prompt and answer
	DraftSourceModel = "model" // a draft model (LoadOptions.DraftModel)
)

// CompletionResult is the whole of a finished completion.
type CompletionResult struct {
	Text         string    `json:"text"`
	Tokens       []int32   `json:"tokens"`
	FinishReason string    `json:"finish_reason"`
	StopWord     string    `json:"stop_word,omitempty"`
	Usage        Usage     `json:"usage"`
	Timings      Timings   `json:"timings"`
	Logprobs     []Logprob `json:"logprobs,omitempty"`
}

// Format constrains a chat's output to JSON.
type Format struct {
	// Type is "json_object" (any JSON object) or "json_schema".
	Type   string          `json:"type"`
	Schema json.RawMessage `json:"schema,omitempty"`
	// Strict (OpenAI's json_schema.strict) asks for compact JSON, no white space between tokens.
	Strict bool `json:"strict,omitempty"`
}

// ChatRequest asks a model to answer a conversation.
type ChatRequest struct {
	Model      string          `json:"model"`
	Messages   []chat.Message  `json:"messages"`
	Tools      []chat.Tool     `json:"tools,omitempty"`
	ToolChoice chat.ToolChoice `json:"tool_choice"`
	Format     *Format         `json:"format,omitempty"`
	// Template overrides the model's chat template (Jinja).
	Template string `json:"template,omitempty"`
	// Think turns a reasoning model's thinking on or off where its template allows; nil leaves
	// the template's default.
	Think *bool `json:"think,omitempty"`
	// Continue treats a final assistant message as the start of the answer: the model goes
	// on writing it (Continue after the token limit) instead of starting a new turn.
	Continue bool `json:"continue,omitempty"`
	RequestOptions
}

// ChatEvent is a streamed piece of the answer: visible text, reasoning text, or both.
type ChatEvent struct {
	Content   string    `json:"content,omitempty"`
	Reasoning string    `json:"reasoning,omitempty"`
	Logprobs  []Logprob `json:"logprobs,omitempty"`
}

// ChatResult is the finished answer.
type ChatResult struct {
	Message      chat.Message `json:"message"`
	FinishReason string       `json:"finish_reason"`
	Usage        Usage        `json:"usage"`
	Timings      Timings      `json:"timings"`
	Logprobs     []Logprob    `json:"logprobs,omitempty"`
	// Prompt is the rendered prompt the model saw.
	Prompt string `json:"prompt"`
}

// EmbedRequest asks for one vector per input.
type EmbedRequest struct {
	Model  string    `json:"model"`
	Inputs []string  `json:"inputs,omitempty"`
	Tokens [][]int32 `json:"tokens,omitempty"`
	// Pooling overrides the model's: mean, cls, last.
	Pooling string `json:"pooling,omitempty"`
	// Normalize scales each vector to unit length.
	Normalize bool `json:"normalize,omitempty"`
	// Truncate cuts inputs longer than the context instead of refusing them.
	Truncate bool `json:"truncate,omitempty"`

	KeepAlive *time.Duration `json:"-"`
	Load      LoadOptions    `json:"-"`
}

// EmbedResult holds the vectors in input order.
type EmbedResult struct {
	Embeddings   [][]float32 `json:"embeddings"`
	PromptTokens int         `json:"prompt_tokens"`
	Timings      Timings     `json:"timings"`
}

// TokenPiece is one token of a tokenized text.
type TokenPiece struct {
	ID    int32  `json:"id"`
	Piece string `json:"piece"`
	Bytes []byte `json:"bytes,omitempty"`
}

// MemoryUsage is what a loaded model really uses, as llama.cpp reported it.
type MemoryUsage struct {
	WeightsBytes int64 `json:"weights_bytes"`
	KVBytes      int64 `json:"kv_bytes"`
	ComputeBytes int64 `json:"compute_bytes"`
	OutputBytes  int64 `json:"output_bytes"`
	// KVUsedBytes is the part of the KV cache the current conversations fill.
	KVUsedBytes int64 `json:"kv_used_bytes"`
	KVUsedCells int   `json:"kv_used_cells"`
	KVCells     int   `json:"kv_cells"`
	// RSSBytes is the worker process's resident memory.
	RSSBytes int64 `json:"rss_bytes"`
	// Device names where the buffers live (CPU, Metal).
	Device string `json:"device,omitempty"`
}
