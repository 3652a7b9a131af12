package api

import (
	"context"
	"net/http"
	"time"

	"github.com/perchapp/perch/app/remote"
	perchwire "github.com/perchapp/perch/app/wire/perch"
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
	List(ctx context.Context) ([]perchwire.LibraryModel, error)
	Get(ctx context.Context, name string) (perchwire.LibraryModel, error)
	Remove(ctx context.Context, name string) error
	Copy(ctx context.Context, src, dst string) error
	// Pull downloads a model, reporting progress as it goes; it returns when the model is
	// usable or the pull failed. Cancelling ctx stops it (a later pull resumes).
	Pull(ctx context.Context, ref string, progress func(perchwire.PullProgress)) error
}
