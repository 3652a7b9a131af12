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
	perchwire "github.com/perchapp/perch/app/wire/perch"
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
	Memory(ctx context.Context) (perchwire.MemorySnapshot, error)
}

// FitEstimator estimates memory for installed and remote models.
type FitEstimator interface {
	Fit(ctx context.Context, q perchwire.FitQuery) (perchwire.Fit, error)
}

// ModelsFitter judges several installed models at once, at the server's default context, so
// the model list shows each one's fit. A FitEstimator may implement it.
type ModelsFitter interface {
	FitModels(ctx context.Context, names []string) (map[string]perchwire.Fit, error)
}

// Catalog browses models to download (app/library's catalog and Hugging Face search),
// with the fit of each quantization filled in.
type Catalog interface {
	Catalog(ctx context.Context, query string) ([]perchwire.CatalogModel, error)
	Search(ctx context.Context, query string) ([]perchwire.CatalogModel, error)
	Inspect(ctx context.Context, ref string) (perchwire.RemoteModel, error)
}

// ModelImporter copies (or hard-links) a local GGUF file into the library under a name.
type ModelImporter interface {
	Import(ctx context.Context, path, name string) (perchwire.LibraryModel, error)
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
