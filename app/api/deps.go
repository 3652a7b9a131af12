package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/perchapp/perch/app/remote"
	"github.com/perchapp/perch/engine"
)

// Deps are everything a Server serves from, built in one place (the CLI's openApp). Only
// Engine is required; a nil field turns off the routes that need it (they answer 501).
type Deps struct {
	Engine  Engine
	Library Library
	// Static serves the UI's files for every path no route claims. It is public.
	Static http.Handler

	Chats       ChatStore     // the UI's chat history
	Settings    SettingsStore // the settings the UI reads and changes
	Memory      MemorySource  // the memory view
	Fit         FitEstimator  // fit badges and /perch/fit
	Catalog     Catalog       // the catalog, Hugging Face search and inspection
	Collections Collections   // documents to chat with
	// FolderPicker is the desktop window's folder dialog; only the desktop shell sets it.
	FolderPicker FolderPicker
	// Importer imports local GGUF files. UploadDir holds files the browser sends until they
	// are imported; it should be on the same disk as the store, so the import can hard-link
	// instead of copying gigabytes. Uploads need both.
	Importer  ModelImporter
	UploadDir string
	// Discarder deletes what a cancelled pull left behind.
	Discarder PullDiscarder
	// MemoryTick is the memory stream's interval; default one second (tests use less).
	MemoryTick time.Duration
	// Remotes are the endpoints on other machines whose models are served as NAME/model
	// (perch_remotes.go, remote_forward.go).
	Remotes *remote.Manager
	// Storage and HFToken are Settings' model folders and Hugging Face token (perch_storage.go).
	Storage StorageReporter
	HFToken HFTokens
}

// Engine is what the handlers need from the engine; *engine.Engine satisfies it.
type Engine interface {
	Complete(ctx context.Context, req engine.CompletionRequest, fn func(engine.Event) error) (*engine.CompletionResult, error)
	Chat(ctx context.Context, req engine.ChatRequest, fn func(engine.ChatEvent) error) (*engine.ChatResult, error)
	Embed(ctx context.Context, req engine.EmbedRequest) (*engine.EmbedResult, error)
	Tokenize(ctx context.Context, model, text string, addSpecial, parseSpecial bool) ([]engine.TokenPiece, error)
	Detokenize(ctx context.Context, model string, tokens []int32, special bool) (string, error)
	Load(ctx context.Context, model string, opts engine.LoadOptions, keepAlive *time.Duration) (*engine.Status, error)
	Unload(ctx context.Context, model string) error
	Loaded() []engine.Status
}

// Library is the model store as the API sees it. A *library.Store fits it through a thin
// adapter. Errors for unknown names should wrap engine.ErrUnknownModel (or be an
// *engine.Error of KindNotFound); an *engine.Error of KindInvalid becomes a 400.
type Library interface {
	List(ctx context.Context) ([]LibraryModel, error)
	Get(ctx context.Context, name string) (LibraryModel, error)
	Remove(ctx context.Context, name string) error
	Copy(ctx context.Context, src, dst string) error
	// Pull downloads a model, reporting progress as it goes; it returns when the model is
	// usable or the pull failed. Cancelling ctx stops it (a later pull resumes).
	Pull(ctx context.Context, ref string, progress func(PullProgress)) error
}

// LibraryModel is a stored model's identity and the facts read from its GGUF.
type LibraryModel struct {
	Name string `json:"name"`
	// DisplayName is the GGUF header's name for people, "Qwen3 8B · Q4_K_M" ("" when none).
	DisplayName string `json:"display_name,omitempty"`
	Digest      string `json:"digest"` // sha256 hex of the GGUF, with or without "sha256:"
	Size        int64  `json:"size"`
	// Path is the GGUF file, shown as the FROM line of /api/show's modelfile.
	Path           string    `json:"path,omitempty"`
	Architecture   string    `json:"architecture"`
	ParameterCount uint64    `json:"parameter_count"`
	Quantization   string    `json:"quantization"`
	ContextLength  int       `json:"context_length"`
	EmbeddingSize  int       `json:"embedding_length,omitempty"`
	ModifiedAt     time.Time `json:"modified_at"`
	// Template is the publisher's prompt template (an Ollama template layer), shown by
	// /api/show; whether the GGUF has a chat template is read from the loaded model.
	Template string `json:"template,omitempty"`
	// ChatTemplate is the GGUF's own (Jinja) chat template, shown when there is no Ollama one.
	ChatTemplate string `json:"chat_template,omitempty"`
	System       string `json:"system,omitempty"`
	License      string `json:"license,omitempty"`
	// Params are the publisher's recommended parameters (an Ollama params layer).
	Params map[string]any `json:"params,omitempty"`
	// Metadata are GGUF key/values (arrays left out), shown as /api/show's model_info.
	Metadata map[string]any `json:"metadata,omitempty"`
	// Embedding is true for embedding-only models.
	Embedding bool `json:"embedding,omitempty"`
	// FIM is true when the vocabulary has fill-in-the-middle tokens.
	FIM bool `json:"fim,omitempty"`
	// External is true for a file in a models directory: served, never deleted.
	External bool `json:"external,omitempty"`
	// Remote is the endpoint that serves a remote model (NAME of NAME/model), at RemoteURL.
	Remote    string `json:"remote,omitempty"`
	RemoteURL string `json:"remote_url,omitempty"`
}

// PullPhase is a step of a pull.
type PullPhase string

// Pull phases, in order.
const (
	PullManifest PullPhase = "manifest" // resolving the reference
	PullDownload PullPhase = "download" // fetching one file (Digest, Total, Completed)
	PullVerify   PullPhase = "verify"   // checking sha256
	PullWrite    PullPhase = "write"    // writing the manifest
	PullDone     PullPhase = "done"
)

// PullProgress is one progress report of a pull. Status, when set, is the library's own
// words in Ollama's form ("pulling manifest", "pulling <digest prefix>", "verifying sha256
// digest", "writing manifest", "success") and is shown as it is; otherwise it is derived from
// Phase. PhaseOf gives the phase of such a status, for adapters.
type PullProgress struct {
	Phase     PullPhase
	Status    string
	Digest    string // "sha256:<hex>" of the file being downloaded
	Total     int64
	Completed int64
	// BytesPerSecond and ETA are the library's estimates for that file (zero: unknown).
	BytesPerSecond float64
	ETA            time.Duration
}

// PhaseOf classifies an Ollama-style pull status.
func PhaseOf(status string) PullPhase {
	switch {
	case status == "pulling manifest":
		return PullManifest
	case strings.HasPrefix(status, "pulling "):
		return PullDownload
	case strings.HasPrefix(status, "verifying"):
		return PullVerify
	case strings.HasPrefix(status, "writing"):
		return PullWrite
	case status == "success":
		return PullDone
	}
	return PullPhase(status)
}
