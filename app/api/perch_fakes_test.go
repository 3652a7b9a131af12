package api

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perchapp/perch/app/chats"
	"github.com/perchapp/perch/app/config"
	perchwire "github.com/perchapp/perch/app/wire/perch"
	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/chat"
)

// perchEngine is a small fake engine for the /perch routes: it answers with fixed words,
// optionally one every delay, and honours cancellation as the real one does.
type perchEngine struct {
	mu       sync.Mutex
	words    []string
	delay    time.Duration
	think    string
	failWith error
	loaded   map[string]engine.Status
	lastChat engine.ChatRequest
	// gate, when set, holds the answer after the first word until it is closed or the
	// request is cancelled.
	gate chan struct{}
	// ctxLimit, when set, refuses prompts of more bytes (a byte a token), as the engine
	// refuses a prompt longer than the context.
	ctxLimit int
	// finish overrides the finish reason (length: cut by the token limit).
	finish string
	chats  []engine.ChatRequest
}

func newPerchEngine() *perchEngine {
	return &perchEngine{words: []string{"Once", " upon", " a", " time"}, loaded: map[string]engine.Status{}}
}

func (e *perchEngine) Chat(ctx context.Context, req engine.ChatRequest, fn func(engine.ChatEvent) error) (*engine.ChatResult, error) {
	e.mu.Lock()
	e.lastChat = req
	e.chats = append(e.chats, req)
	words, delay, think, fail, gate, limit, finish := e.words, e.delay, e.think, e.failWith, e.gate, e.ctxLimit, e.finish
	e.mu.Unlock()
	if fail != nil {
		return nil, fail
	}
	prompt := 0
	for _, m := range req.Messages {
		prompt += len(m.Content)
	}
	if limit > 0 && prompt > limit {
		return nil, &engine.Error{Kind: engine.KindContextExceeded, PromptTokens: prompt, ContextLength: limit,
			Message: fmt.Sprintf("the prompt has %d tokens but the context holds %d", prompt, limit)}
	}
	if finish == "" {
		finish = engine.FinishStop
	}
	if think != "" {
		if err := fn(engine.ChatEvent{Reasoning: think}); err != nil {
			return nil, err
		}
	}
	var out strings.Builder
	for i, w := range words {
		if i == 1 && gate != nil {
			select {
			case <-gate:
			case <-ctx.Done():
				return nil, &engine.Error{Kind: engine.KindCancelled, Message: "cancelled"}
			}
		}
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-ctx.Done():
				return nil, &engine.Error{Kind: engine.KindCancelled, Message: "cancelled"}
			}
		}
		if err := fn(engine.ChatEvent{Content: w}); err != nil {
			return nil, err
		}
		out.WriteString(w)
	}
	e.mu.Lock()
	e.loaded[req.Model] = engine.Status{Name: req.Model, SlotCtx: 256, Slots: 1,
		Memory: engine.MemoryUsage{WeightsBytes: 1 << 20, KVBytes: 256 * 1000, KVCells: 256, ComputeBytes: 3 << 20}}
	e.mu.Unlock()
	return &engine.ChatResult{Message: chat.Message{Role: "assistant", Content: out.String(), Reasoning: think}, FinishReason: finish,
		Usage:   engine.Usage{PromptTokens: 10, CompletionTokens: len(words)},
		Timings: engine.Timings{FirstTokenM: 1.5, PredictPerS: 42, TotalMs: 20}}, nil
}

func (e *perchEngine) Complete(context.Context, engine.CompletionRequest, func(engine.Event) error) (*engine.CompletionResult, error) {
	return nil, fmt.Errorf("not used")
}

func (e *perchEngine) Embed(context.Context, engine.EmbedRequest) (*engine.EmbedResult, error) {
	return nil, fmt.Errorf("not used")
}

func (e *perchEngine) Tokenize(_ context.Context, model, text string, _, _ bool) ([]engine.TokenPiece, error) {
	if model == "missing" {
		return nil, fmt.Errorf("%w: %s", engine.ErrUnknownModel, model)
	}
	// One token per byte, like a byte-fallback vocabulary meeting Hangul.
	var out []engine.TokenPiece
	for i := 0; i < len(text); i++ {
		out = append(out, engine.TokenPiece{ID: int32(text[i]), Piece: text[i : i+1], Bytes: []byte{text[i]}})
	}
	return out, nil
}

func (e *perchEngine) Detokenize(context.Context, string, []int32, bool) (string, error) {
	return "", nil
}

func (e *perchEngine) Load(_ context.Context, model string, opts engine.LoadOptions, _ *time.Duration) (*engine.Status, error) {
	if model == "missing" {
		return nil, fmt.Errorf("%w: %s", engine.ErrUnknownModel, model)
	}
	st := engine.Status{Name: model, SlotCtx: max(opts.ContextLength, 256), Slots: 1,
		Memory: engine.MemoryUsage{WeightsBytes: 1 << 20, KVBytes: 256 * 1000, KVCells: 256, ComputeBytes: 3 << 20}}
	e.mu.Lock()
	e.loaded[model] = st
	e.mu.Unlock()
	return &st, nil
}

func (e *perchEngine) Unload(_ context.Context, model string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.loaded, model)
	return nil
}

func (e *perchEngine) Loaded() []engine.Status {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []engine.Status
	for _, st := range e.loaded {
		out = append(out, st)
	}
	return out
}

// perchLib is a fake library whose pulls move a fixed number of bytes in steps.
type perchLib struct {
	mu        sync.Mutex
	models    map[string]perchwire.LibraryModel
	pullSize  int64
	pullStep  time.Duration
	chunk     int64
	pulled    map[string]int64 // bytes kept per ref (the .partial a pause leaves)
	discarded []string
	imported  map[string][]byte
}

func newPerchLib() *perchLib {
	return &perchLib{
		models: map[string]perchwire.LibraryModel{
			"stories260k": {Name: "stories260k", Size: 1185376, Quantization: "F32", Architecture: "llama", ContextLength: 2048,
				ModifiedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)},
			"tiny": {Name: "tiny", Size: 1750560, Quantization: "Q8_0", Architecture: "llama", ContextLength: 4096,
				ModifiedAt: time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC)},
		},
		pullSize: 1000, pullStep: 5 * time.Millisecond, chunk: 100, pulled: map[string]int64{}, imported: map[string][]byte{},
	}
}

func (l *perchLib) List(context.Context) ([]perchwire.LibraryModel, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []perchwire.LibraryModel
	for _, m := range l.models {
		out = append(out, m)
	}
	return out, nil
}

func (l *perchLib) Get(_ context.Context, name string) (perchwire.LibraryModel, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m, ok := l.models[name]
	if !ok {
		return m, fmt.Errorf("%w: %s", engine.ErrUnknownModel, name)
	}
	return m, nil
}

func (l *perchLib) Remove(_ context.Context, name string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.models[name]; !ok {
		return fmt.Errorf("%w: %s", engine.ErrUnknownModel, name)
	}
	delete(l.models, name)
	return nil
}

func (l *perchLib) Copy(context.Context, string, string) error { return nil }

func (l *perchLib) Pull(ctx context.Context, ref string, progress func(perchwire.PullProgress)) error {
	if strings.Contains(ref, "broken") {
		return fmt.Errorf("%w: no such model %s in the registry", engine.ErrUnknownModel, ref)
	}
	progress(perchwire.PullProgress{Phase: perchwire.PullManifest})
	var size int64
	for {
		l.mu.Lock()
		done, step := l.pulled[ref], l.pullStep
		size = l.pullSize
		l.mu.Unlock()
		rate := float64(l.chunk) / step.Seconds()
		progress(perchwire.PullProgress{Phase: perchwire.PullDownload, Digest: "sha256:abc", Total: size, Completed: done,
			BytesPerSecond: rate, ETA: time.Duration(float64(size-done) / rate * float64(time.Second))})
		if done >= size {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(step):
		}
		l.mu.Lock()
		l.pulled[ref] = min(done+l.chunk, l.pullSize)
		l.mu.Unlock()
	}
	progress(perchwire.PullProgress{Phase: perchwire.PullVerify})
	l.mu.Lock()
	l.models[ref] = perchwire.LibraryModel{Name: ref, Size: size}
	l.mu.Unlock()
	progress(perchwire.PullProgress{Phase: perchwire.PullDone})
	return nil
}

func (l *perchLib) DiscardPull(_ context.Context, ref string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.pulled, ref)
	l.discarded = append(l.discarded, ref)
	return nil
}

func (l *perchLib) Import(_ context.Context, path, name string) (perchwire.LibraryModel, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return perchwire.LibraryModel{}, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.imported[name] = b
	m := perchwire.LibraryModel{Name: name, Size: int64(len(b))}
	l.models[name] = m
	return m, nil
}

type perchSettings struct {
	mu  sync.Mutex
	cur config.Settings
}

func (s *perchSettings) Get() config.Settings {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

func (s *perchSettings) Update(n config.Settings) error {
	if err := n.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cur = n
	return nil
}

type perchMemory struct{ n int }

func (m *perchMemory) Memory(context.Context) (perchwire.MemorySnapshot, error) {
	m.n++
	return perchwire.MemorySnapshot{TotalBytes: 32 << 30, UsedBytes: 20 << 30, AvailableBytes: 12 << 30, SwapUsedBytes: 1 << 20,
		Pressure: "normal", GPUBudgetBytes: 21 << 30}, nil
}

type perchFit struct{}

func (perchFit) Fit(_ context.Context, q perchwire.FitQuery) (perchwire.Fit, error) {
	if strings.Contains(q.Ref+q.Model, "huge") {
		return perchwire.Fit{TotalBytes: 40 << 30, BudgetBytes: 21 << 30, Verdict: perchwire.VerdictTooLarge}, nil
	}
	return perchwire.Fit{WeightsBytes: 4 << 30, KVBytes: 1 << 30, TotalBytes: 5 << 30, BudgetBytes: 21 << 30, Verdict: perchwire.VerdictFits, ContextLength: 8192, MaxContext: 32768}, nil
}

type perchCatalog struct{}

func (perchCatalog) Catalog(_ context.Context, q string) ([]perchwire.CatalogModel, error) {
	fits := &perchwire.Fit{Verdict: perchwire.VerdictFits}
	tight := &perchwire.Fit{Verdict: perchwire.VerdictTight}
	all := []perchwire.CatalogModel{
		{ID: "big", Name: "Big 70B", Recommended: true, Tags: []string{"chat"}, Quants: []perchwire.Quant{{Name: "Q4_K_M", Ref: "hf.co/x/big:Q4_K_M", Size: 40 << 30, Fit: &perchwire.Fit{Verdict: perchwire.VerdictTooLarge}}}},
		{ID: "qwen", Name: "Qwen 7B", Recommended: true, Tags: []string{"chat"}, Quants: []perchwire.Quant{
			{Name: "Q8_0", Ref: "hf.co/x/qwen:Q8_0", Size: 8 << 30, Fit: tight},
			{Name: "Q4_K_M", Ref: "hf.co/x/qwen:Q4_K_M", Size: 4 << 30, Fit: fits}}},
		{ID: "exaone", Name: "EXAONE 7.8B", Recommended: true, Tags: []string{"chat", "korean"}, Quants: []perchwire.Quant{
			{Name: "Q5_K_M", Ref: "hf.co/x/exaone:Q5_K_M", Size: 5 << 30, Fit: fits}, {Name: "Q3_K_M", Ref: "hf.co/x/exaone:Q3_K_M", Size: 3 << 30, Fit: fits}}},
	}
	var out []perchwire.CatalogModel
	for _, m := range all {
		if q == "" || strings.Contains(strings.ToLower(m.Name), strings.ToLower(q)) {
			out = append(out, m)
		}
	}
	return out, nil
}

func (perchCatalog) Search(_ context.Context, q string) ([]perchwire.CatalogModel, error) {
	return []perchwire.CatalogModel{{ID: "org/" + q + "-GGUF", Name: q, Downloads: 5, Quants: []perchwire.Quant{{Name: "Q4_K_M", Ref: "hf.co/org/" + q + "-GGUF:Q4_K_M", Size: 1 << 30}}}}, nil
}

func (perchCatalog) Inspect(_ context.Context, ref string) (perchwire.RemoteModel, error) {
	if strings.Contains(ref, "nope") {
		return perchwire.RemoteModel{}, fmt.Errorf("%w: %s", engine.ErrUnknownModel, ref)
	}
	return perchwire.RemoteModel{Ref: ref, Architecture: "qwen2", Layers: 28, ContextLength: 32768, SizeBytes: 4 << 30}, nil
}

// Option changes the dependencies of a test server.
type Option func(*Deps)

// WithCollections gives a test server a document store.
func WithCollections(c Collections) Option { return func(d *Deps) { d.Collections = c } }

// WithStatic serves the UI's files from h.
func WithStatic(h http.Handler) Option { return func(d *Deps) { d.Static = h } }

// perchEnv is a server with every /perch dependency, on a real listener so that client
// disconnects behave as they do for real.
type perchEnv struct {
	eng      *perchEngine
	lib      *perchLib
	settings *perchSettings
	store    *chats.Store
	srv      *httptest.Server
	api      *Server
	key      string
}

func newPerchEnv(t *testing.T, cfg Config, opts ...Option) *perchEnv {
	t.Helper()
	store, err := chats.Open(context.Background(), t.TempDir()+"/chats.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	st := config.Defaults()
	st.DefaultModel = "stories260k"
	env := &perchEnv{eng: newPerchEngine(), lib: newPerchLib(), settings: &perchSettings{cur: st}, store: store, key: cfg.APIKey}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	d := Deps{Engine: env.eng, Library: env.lib, Chats: store, Settings: env.settings, Memory: &perchMemory{},
		Fit: perchFit{}, Catalog: perchCatalog{}, Importer: env.lib, UploadDir: t.TempDir(), Discarder: env.lib,
		MemoryTick: 10 * time.Millisecond}
	for _, o := range opts {
		o(&d)
	}
	s := New(cfg, d)
	env.api = s
	env.srv = httptest.NewServer(s.Handler())
	t.Cleanup(env.srv.Close)
	return env
}

func (e *perchEnv) req(t *testing.T, ctx context.Context, method, path, body string) *http.Response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	r, err := http.NewRequestWithContext(ctx, method, e.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if e.key != "" {
		r.Header.Set("Authorization", "Bearer "+e.key)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// do sends a request and returns the status and body.
func (e *perchEnv) do(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	resp := e.req(t, context.Background(), method, path, body)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
