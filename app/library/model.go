// Package library is Perch's model store: content-addressed blobs and Ollama-style manifests
// under the data directory, plus the .gguf files of the user's models directories. It pulls
// models from Hugging Face (hf.co/org/repo:Q4_K_M), the Ollama registry (llama3.2:3b), a URL
// or a local file, resumably and verified, and resolves names for the engine.
package library

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/perchapp/perch/engine"
)

// Model is a model the library can run.
type Model struct {
	// Name is canonical: "llama3.2:3b", "hf.co/org/repo:Q4_K_M", or a models-directory
	// file's lower-case stem ("stories260k").
	Name string `json:"name"`
	// Digest is the sha256 of the GGUF (its first part for a split one), "sha256:<hex>";
	// models-directory files are hashed once per size and modification time.
	Digest string `json:"digest,omitempty"`
	// Path is the GGUF file, a plain file llama.cpp and other tools open (Files[0]).
	Path string `json:"path"`
	// Files are all parts of a split GGUF in order (one entry otherwise).
	Files []string `json:"files"`
	// DisplayName is the header's name for people, "Qwen3 8B · Q4_K_M" ("" when it has none).
	DisplayName    string `json:"display_name,omitempty"`
	Size           int64  `json:"size"`
	Quantization   string `json:"quantization,omitempty"`
	Architecture   string `json:"architecture,omitempty"`
	ParameterCount uint64 `json:"parameter_count,omitempty"`
	ContextLength  uint64 `json:"context_length,omitempty"`
	// Embedding marks a model that embeds rather than chats; FIM one that fills in the middle.
	Embedding  bool      `json:"embedding,omitempty"`
	FIM        bool      `json:"fim,omitempty"`
	ModifiedAt time.Time `json:"modified_at"`
	// Source is the reference the model was pulled or imported from.
	Source string `json:"source,omitempty"`
	// External marks a file in a models directory: served as it is, never deleted.
	External bool `json:"external,omitempty"`
	// Hints from an Ollama model's layers (License falls back to the GGUF's).
	Template string         `json:"template,omitempty"`
	System   string         `json:"system,omitempty"`
	License  string         `json:"license,omitempty"`
	Params   map[string]any `json:"params,omitempty"`
}

// Ref is what the engine needs to load the model. A models-directory file, which is not
// hashed, gets a "file:" identity from its path, size and modification time instead of a
// digest (enough to key saved conversation state).
func (m Model) Ref() engine.ModelRef {
	r := engine.ModelRef{Name: m.Name, Path: m.Path, Digest: m.Digest, Size: m.Size}
	if r.Digest == "" {
		sum := sha256.Sum256(fmt.Appendf(nil, "%s|%d|%d", m.Path, m.Size, m.ModifiedAt.UnixNano()))
		r.Digest = "file:" + hex.EncodeToString(sum[:16])
	}
	switch v := m.Params["stop"].(type) {
	case string:
		r.Stop = []string{v}
	case []any:
		for _, s := range v {
			if s, ok := s.(string); ok {
				r.Stop = append(r.Stop, s)
			}
		}
	}
	return r
}

// Progress is a step of a pull, in the shape of Ollama's /api/pull stream plus rate and ETA.
type Progress struct {
	// Status is "pulling manifest", "pulling <digest prefix>", "verifying sha256 digest",
	// "writing manifest", "importing", or "success".
	Status         string        `json:"status"`
	Digest         string        `json:"digest,omitempty"`
	Total          int64         `json:"total,omitempty"`
	Completed      int64         `json:"completed,omitempty"`
	BytesPerSecond float64       `json:"bytes_per_second,omitempty"`
	ETA            time.Duration `json:"eta,omitempty"`
}

// NotFoundError says a model name is unknown. It wraps engine.ErrUnknownModel.
type NotFoundError struct{ Name string }

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("model %q not found; pull it with `perch pull %s`, or see `perch list`", e.Name, e.Name)
}

func (e *NotFoundError) Unwrap() error { return engine.ErrUnknownModel }

// ErrExternal is returned (wrapped) when asked to delete a models-directory file.
var ErrExternal = errors.New("the model is a file in a models directory")
