package engine

import (
	"errors"
	"fmt"
)

// Kind classifies an engine error so each API can answer with its own status code.
type Kind string

const (
	// KindInvalid: the request is wrong (bad values, a grammar that does not parse, ...).
	KindInvalid Kind = "invalid_request"
	// KindNotFound: no such model.
	KindNotFound Kind = "not_found"
	// KindContextExceeded: the prompt is longer than the context.
	KindContextExceeded Kind = "exceed_context_size"
	// KindUnavailable: the queue is full, or the context the slots share is; try again later.
	KindUnavailable Kind = "unavailable"
	// KindTooLarge: the model does not fit in memory, even after unloading idle models.
	KindTooLarge Kind = "insufficient_memory"
	// KindWorker: the worker failed or died.
	KindWorker Kind = "worker_error"
	// KindUnresponsive: the worker hung (no heartbeat, or no progress on its work), so the
	// watchdog killed it and is starting it again; retry after RetryAfter seconds.
	KindUnresponsive Kind = "worker_unresponsive"
	// KindCancelled: the caller went away.
	KindCancelled Kind = "cancelled"
)

// Error is an engine error with a kind and, for context overflows, both numbers.
type Error struct {
	Kind    Kind   `json:"kind"`
	Message string `json:"message"`
	// Param names the offending request field, when there is one.
	Param string `json:"param,omitempty"`
	// PromptTokens and ContextLength are set for KindContextExceeded.
	PromptTokens  int `json:"n_prompt_tokens,omitempty"`
	ContextLength int `json:"n_ctx,omitempty"`
	// RetryAfter, in seconds, for KindUnavailable and KindUnresponsive.
	RetryAfter int `json:"retry_after,omitempty"`
}

func (e *Error) Error() string { return e.Message }

// Errorf makes an Error of a kind.
func Errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// KindOf returns the kind of err: an *Error's own, KindCancelled for context errors, and
// KindWorker for anything else.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	if isCancel(err) {
		return KindCancelled
	}
	return KindWorker
}
