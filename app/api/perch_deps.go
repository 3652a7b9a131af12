package api

import (
	"context"
	"time"

	"github.com/perchapp/perch/app/chats"
	"github.com/perchapp/perch/app/chats/answer"
	"github.com/perchapp/perch/app/config"
	"github.com/perchapp/perch/app/docs"
	"github.com/perchapp/perch/app/library/pulls"
	"github.com/perchapp/perch/app/library/uploads"
)

// The UI's /perch routes need more than the engine and the library: the chat history, the
// settings, memory figures, fit estimates and the catalog. Each is a field of Deps; a route
// whose dependency is missing answers 501 with a message saying so (requires in routes.go),
// and GET /perch/status lists which features are present so the UI can hide the others.

// ChatStore is the conversation history; *chats.Store satisfies it.
type ChatStore interface {
	Create(ctx context.Context, n chats.NewChat) (chats.Chat, error)
	List(ctx context.Context, o chats.ListOptions) ([]chats.Summary, error)
	Get(ctx context.Context, id int64) (chats.Chat, error)
	Update(ctx context.Context, id int64, p chats.Patch) (chats.Chat, error)
	Delete(ctx context.Context, id int64) error
	AddUserMessage(ctx context.Context, chatID int64, content string) (chats.Message, error)
	EditUserMessage(ctx context.Context, chatID, msgID int64, content string) (chats.Message, error)
	LastUserMessage(ctx context.Context, chatID int64) (chats.Message, error)
	SaveAnswer(ctx context.Context, chatID, replyTo int64, a chats.Message) (chats.Message, error)
	ExtendAnswer(ctx context.Context, chatID, msgID int64, more chats.Message) (chats.Message, error)
	SelectVersion(ctx context.Context, chatID, msgID int64) (chats.Chat, error)
	Import(ctx context.Context, n chats.NewChat, msgs []chats.Message) (chats.Chat, error)
	LastUsed(ctx context.Context) (map[string]time.Time, error)
}

// SettingsStore reads and saves the user's settings; *config.Store satisfies it.
type SettingsStore interface {
	Get() config.Settings
	Update(config.Settings) error
}

// MemorySource samples the machine's memory now (app/system).
type MemorySource interface {
	Memory(ctx context.Context) (MemorySnapshot, error)
}

// MemorySnapshot is the machine's memory at one moment. Zero fields are unknown on this
// platform (wired and compressed exist on macOS only).
type MemorySnapshot struct {
	TotalBytes      int64 `json:"total_bytes"`
	UsedBytes       int64 `json:"used_bytes"`
	AvailableBytes  int64 `json:"available_bytes"`
	WiredBytes      int64 `json:"wired_bytes,omitempty"`
	CompressedBytes int64 `json:"compressed_bytes,omitempty"`
	SwapUsedBytes   int64 `json:"swap_used_bytes"`
	SwapTotalBytes  int64 `json:"swap_total_bytes"`
	// Pressure is normal, warn or critical.
	Pressure string `json:"pressure"`
	// GPUBudgetBytes is what models may use: Metal's working-set limit on Apple Silicon,
	// available RAM on a CPU-only machine.
	GPUBudgetBytes int64 `json:"gpu_budget_bytes"`
	// GPUUsedBytes is what is allocated of it now, where the platform says.
	GPUUsedBytes int64 `json:"gpu_used_bytes,omitempty"`
}

// FitQuery asks whether a model fits this machine. Exactly one of Model (installed) and Ref
// (a reference to download: hf.co/…:QUANT, name:tag, URL) is set.
type FitQuery struct {
	Model         string `json:"model,omitempty"`
	Ref           string `json:"ref,omitempty"`
	ContextLength int    `json:"num_ctx,omitempty"`
	Slots         int    `json:"slots,omitempty"`
	KVType        string `json:"kv_type,omitempty"`
}

// Fit is a memory estimate and its verdict (engine/memplan).
type Fit struct {
	WeightsBytes  int64 `json:"weights_bytes"`
	KVBytes       int64 `json:"kv_bytes"`
	ComputeBytes  int64 `json:"compute_bytes"`
	OverheadBytes int64 `json:"overhead_bytes"`
	TotalBytes    int64 `json:"total_bytes"`
	BudgetBytes   int64 `json:"budget_bytes"`
	// Verdict is fits, tight or too_large.
	Verdict       string `json:"verdict"`
	ContextLength int    `json:"num_ctx"`
	// MaxContext is the largest context that fits (0 when none does).
	MaxContext int    `json:"max_ctx"`
	Message    string `json:"message,omitempty"`
}

// Verdicts of a Fit.
const (
	VerdictFits     = "fits"
	VerdictTight    = "tight"
	VerdictTooLarge = "too_large"
)

// FitEstimator estimates memory for installed and remote models.
type FitEstimator interface {
	Fit(ctx context.Context, q FitQuery) (Fit, error)
}

// ModelsFitter judges several installed models at once, at the server's default context, so
// the model list shows each one's fit. A FitEstimator may implement it.
type ModelsFitter interface {
	FitModels(ctx context.Context, names []string) (map[string]Fit, error)
}

// CatalogModel is one model family in the curated catalog or a Hugging Face search result.
type CatalogModel struct {
	ID          string `json:"id"` // "qwen2.5-7b-instruct" or the HF repository "org/repo"
	Name        string `json:"name"`
	Publisher   string `json:"publisher,omitempty"`
	Description string `json:"description,omitempty"`
	// Tags: chat, coding, reasoning, embedding, korean, vision, ...
	Tags          []string `json:"tags,omitempty"`
	Parameters    string   `json:"parameters,omitempty"` // "7B"
	ContextLength int      `json:"context_length,omitempty"`
	Recommended   bool     `json:"recommended,omitempty"`
	Downloads     int64    `json:"downloads,omitempty"` // Hugging Face's count, for search results
	Quants        []Quant  `json:"quants"`
}

// Quant is one downloadable file (or split set) of a catalog model.
type Quant struct {
	Name string `json:"name"` // Q4_K_M
	Ref  string `json:"ref"`  // what to pull: hf.co/org/repo:Q4_K_M
	Size int64  `json:"size"`
	// Recommended marks the publisher's or catalog's suggested quantization.
	Recommended bool `json:"recommended,omitempty"`
	// Fit for this machine at the default context; nil when it could not be estimated.
	Fit *Fit `json:"fit,omitempty"`
}

// RemoteModel is what a GGUF header says, read without downloading the weights.
type RemoteModel struct {
	Ref             string `json:"ref"`
	Architecture    string `json:"architecture"`
	Parameters      uint64 `json:"parameters"`
	Quantization    string `json:"quantization"`
	Layers          int    `json:"layers"`
	Heads           int    `json:"heads"`
	KVHeads         int    `json:"kv_heads"`
	ContextLength   int    `json:"context_length"`
	HasChatTemplate bool   `json:"has_chat_template"`
	SizeBytes       int64  `json:"size"`
}

// Catalog browses models to download (app/library's catalog and Hugging Face search),
// with the fit of each quantization filled in.
type Catalog interface {
	Catalog(ctx context.Context, query string) ([]CatalogModel, error)
	Search(ctx context.Context, query string) ([]CatalogModel, error)
	Inspect(ctx context.Context, ref string) (RemoteModel, error)
}

// ModelImporter copies (or hard-links) a local GGUF file into the library under a name.
type ModelImporter interface {
	Import(ctx context.Context, path, name string) (LibraryModel, error)
}

// PullDiscarder deletes what a cancelled pull left behind (its .partial files), so that a
// cancel, unlike a pause, frees the disk.
type PullDiscarder interface {
	DiscardPull(ctx context.Context, ref string) error
}

// perch holds the /perch routes' dependencies and state, read once at registration.
type perch struct {
	chats     ChatStore
	settings  SettingsStore
	memory    MemorySource
	fit       FitEstimator
	catalog   Catalog
	importer  ModelImporter
	uploadDir string
	discarder PullDiscarder
	tick      time.Duration
	// startSettings are the settings the server started with, to tell which changes wait
	// for a restart.
	startSettings config.Settings

	// answers writes the UI chats' answers, one at a time per chat (app/chats/answer).
	answers *answer.Service
	pulls   *pulls.Manager
	uploads *uploads.Service
}

func newPerch(s *Server, d Deps) *perch {
	p := &perch{tick: time.Second, chats: d.Chats, settings: d.Settings, memory: d.Memory, fit: d.Fit,
		catalog: d.Catalog, importer: d.Importer, uploadDir: d.UploadDir, discarder: d.Discarder}
	if p.settings != nil {
		p.startSettings = p.settings.Get()
	}
	if d.MemoryTick > 0 {
		p.tick = d.MemoryTick
	}
	p.answers = newAnswers(s, d)
	p.pulls = pulls.New(puller{s.lib}, p.discarder, func(err error) (string, string) { ae := toAPIError(err); return ae.Message, ae.Code }, s.log, s.now)
	p.uploads = uploads.New(p.uploadDir, s.now)
	return p
}

// newAnswers builds the UI chats' answer service from the server's engine, the chat history,
// the default model in the settings and, when there are collections, their citing.
func newAnswers(s *Server, d Deps) *answer.Service {
	o := answer.Options{Engine: s.eng, Now: s.now, Log: s.log}
	if d.Chats != nil {
		o.Store = d.Chats
	}
	if d.Settings != nil {
		o.DefaultModel = func() string { return d.Settings.Get().DefaultModel }
	}
	if d.Collections != nil {
		o.Citer = docs.Citer{Store: d.Collections}
	}
	if s.lib != nil {
		o.Library = contextLengths{s.lib}
	}
	return answer.New(o)
}

// contextLengths gives the context meter the library's trained context of a model.
type contextLengths struct{ lib Library }

func (l contextLengths) ContextLength(ctx context.Context, model string) (int, error) {
	m, err := l.lib.Get(ctx, model)
	return m.ContextLength, err
}
