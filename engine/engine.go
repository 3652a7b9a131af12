package engine

import (
	"context"
	"errors"
	"time"
)

// ModelRef is a model the resolver found: its file and identity.
type ModelRef struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	Digest string `json:"digest,omitempty"`
	Size   int64  `json:"size,omitempty"`
	// Template overrides the GGUF's chat template (from an Ollama template layer).
	Template string `json:"template,omitempty"`
	// Stop strings the model's publisher recommends (from an Ollama params layer).
	Stop []string `json:"stop,omitempty"`
}

// Resolver turns a model name into a file. The app's library implements it.
type Resolver interface {
	Resolve(ctx context.Context, name string) (ModelRef, error)
}

// ErrUnknownModel is what a Resolver returns (wrapped) for a name it does not know.
var ErrUnknownModel = errors.New("model not found")

// Status describes a loaded model.
type Status struct {
	Name      string      `json:"name"`
	Path      string      `json:"path"`
	Digest    string      `json:"digest,omitempty"`
	Info      ModelInfo   `json:"info"`
	Options   LoadOptions `json:"options"`
	Memory    MemoryUsage `json:"memory"`
	Slots     int         `json:"slots"`
	Busy      int         `json:"busy"`
	Queued    int         `json:"queued"`
	PID       int         `json:"pid"`
	LoadedAt  time.Time   `json:"loaded_at"`
	ExpiresAt time.Time   `json:"expires_at"` // zero: kept forever
	// Generating is true while any slot is producing tokens.
	Generating bool `json:"generating"`
}

func isCancel(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
