package engine

import (
	"context"
	"time"
)

// The engine's public methods. Their bodies arrive with the supervisor and scheduler.

// Complete continues a prompt, calling fn for each streamed event (fn may be nil). A non-nil
// error from fn stops the generation and is returned.
func (e *Engine) Complete(ctx context.Context, req CompletionRequest, fn func(Event) error) (*CompletionResult, error) {
	return nil, Errorf(KindWorker, "not implemented")
}

// Chat renders the conversation with the model's template, generates, and parses the answer
// (reasoning, tool calls), calling fn for each streamed piece.
func (e *Engine) Chat(ctx context.Context, req ChatRequest, fn func(ChatEvent) error) (*ChatResult, error) {
	return nil, Errorf(KindWorker, "not implemented")
}

// Embed returns one vector per input.
func (e *Engine) Embed(ctx context.Context, req EmbedRequest) (*EmbedResult, error) {
	return nil, Errorf(KindWorker, "not implemented")
}

// Tokenize splits text with the model's tokenizer.
func (e *Engine) Tokenize(ctx context.Context, model, text string, addSpecial, parseSpecial bool) ([]TokenPiece, error) {
	return nil, Errorf(KindWorker, "not implemented")
}

// Detokenize turns tokens back into text.
func (e *Engine) Detokenize(ctx context.Context, model string, tokens []int32) (string, error) {
	return "", Errorf(KindWorker, "not implemented")
}

// Load makes sure a model is loaded with the given options and sets its keep-alive.
func (e *Engine) Load(ctx context.Context, model string, opts LoadOptions, keepAlive *time.Duration) (*Status, error) {
	return nil, Errorf(KindWorker, "not implemented")
}

// Unload stops a model's worker once its requests in flight finish.
func (e *Engine) Unload(ctx context.Context, model string) error {
	return Errorf(KindWorker, "not implemented")
}

// Loaded lists the resident models.
func (e *Engine) Loaded() []Status { return nil }

// Engine runs models in worker processes.
type Engine struct{}
