package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// ModelRef is a model the resolver found: its file and identity.
type ModelRef struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	Digest string `json:"digest,omitempty"`
	Size   int64  `json:"size,omitempty"`
	// Stop strings the model's publisher recommends (from an Ollama params layer).
	Stop []string `json:"stop,omitempty"`
	// Draft is the file of the draft model the load has (LoadOptions.DraftModel), set by the
	// engine before planning, so that the planner counts it.
	Draft string `json:"draft,omitempty"`
}

// Resolver turns a model name into a file. The app's library implements it.
type Resolver interface {
	Resolve(ctx context.Context, name string) (ModelRef, error)
}

// ErrUnknownModel is what a Resolver returns (wrapped) for a name it does not know.
var ErrUnknownModel = errors.New("model not found")

// Planner checks whether a model fits in memory before it is loaded. The app's memory planner
// implements it; without one the engine only caps the number of resident models.
type Planner interface {
	// Fit returns the options to load with (choosing a context when none was asked) and
	// whether the model fits next to the resident ones.
	Fit(ctx context.Context, ref ModelRef, opts LoadOptions, resident []Status) (Fit, error)
}

// Fit is a planner's answer.
type Fit struct {
	Options LoadOptions
	Fits    bool
	// Message says what is needed and free, and what to try, when it does not fit.
	Message string
	// DefaultContext is the context a load that asks for none would get (0: unknown).
	DefaultContext int
}

// Status describes a loaded model.
type Status struct {
	Name      string      `json:"name"`
	Path      string      `json:"path"`
	Digest    string      `json:"digest,omitempty"`
	Info      ModelInfo   `json:"info"`
	Options   LoadOptions `json:"options"`
	SlotCtx   int         `json:"slot_ctx"`
	Memory    MemoryUsage `json:"memory"`
	Slots     int         `json:"slots"`
	Busy      int         `json:"busy"`
	Queued    int         `json:"queued"`
	PID       int         `json:"pid"`
	LoadedAt  time.Time   `json:"loaded_at"`
	ExpiresAt time.Time   `json:"expires_at"` // zero: kept forever or in use
	// Generating is true while any request is running on the model.
	Generating bool `json:"generating"`
	// Devices are the compute devices the worker found, with their memory.
	Devices []Device `json:"devices,omitempty"`
	// PlanNote is the memory planner's word on the load, e.g. which context it chose.
	PlanNote string `json:"plan_note,omitempty"`
	// FlashAttnUsed is whether the model runs with flash attention, on or off, as llama.cpp
	// settled Options.FlashAttn ("" when it did not say).
	FlashAttnUsed string `json:"flash_attn_used,omitempty"`
}

// Config configures an Engine. Zero values take the defaults.
type Config struct {
	Resolver Resolver
	Planner  Planner
	// Command starts a worker; the default is perch-engine beside this executable when it is
	// of the same build, else this executable with the "engine" argument (workercmd.go).
	Command []string
	// LibDir is where the llama.cpp libraries are; empty lets the worker look for them.
	LibDir     string
	RuntimeDir string
	// StateDir keeps saved conversation state; empty disables it.
	StateDir string
	StateMax int64
	// KeepAlive is how long an idle model stays loaded (default 5 minutes; negative forever).
	KeepAlive time.Duration
	// MaxLoaded caps resident models (0: as many as the planner allows, or 3 without one).
	MaxLoaded int
	// Defaults for loads that do not say. The slots share one KV cache of ContextLength
	// cells unless PerSlotKV gives each its own.
	PerSlotKV     bool
	Slots         int
	ContextLength int
	KVType        string
	// FlashAttn is auto ("" too), on or off (SetCacheDefaults changes it and KVType).
	FlashAttn string
	Threads   int
	// DraftFor names the draft model a model loads with when the load names none (the
	// app's per-model setting; nil or "" for none). It is asked with the model's name.
	DraftFor func(model string) string
	// DefaultsFor gives a model's own context length and keep-alive (the app's per-model
	// settings), used when a load or request names none; nil for none. It is asked with the
	// model's name as requested, then by its resolved name.
	DefaultsFor func(model string) ModelDefaults
	// MaxQueue bounds the requests waiting for one model beyond its slots.
	MaxQueue int
	Log      *slog.Logger
	// OnWorkerExit is called when a worker dies unexpectedly or the watchdog kills it (for
	// metrics).
	OnWorkerExit func(model string, err error)
	// The watchdog asks each worker for a heartbeat every Heartbeat (default 2 s; negative
	// turns it off). A worker that leaves it unanswered for HungAfter (default 20 s), or
	// makes no progress on its requests for StallAfter (default 5 min), is killed and
	// started again; its callers get KindUnresponsive.
	Heartbeat, HungAfter, StallAfter time.Duration
}

// ModelDefaults are one model's own load defaults; zero values take the engine's.
type ModelDefaults struct {
	ContextLength int
	KeepAlive     *time.Duration
}

// Engine runs models in worker processes and schedules requests onto them.
type Engine struct {
	cfg Config
	log *slog.Logger

	mu sync.Mutex
	// runners holds one runner per model, by its canonical key; aliases maps every name a
	// model was asked by to that key.
	runners map[string]*runner
	aliases map[string]string
	closed  bool
	// loadSlot serializes loads, so that each plan sees the loads before it.
	loadSlot chan struct{}

	restarts atomic.Int64
	// spare is an idle worker started ahead of need (Prewarm), while prewarm is on.
	spare   *spawned
	prewarm bool
}

// New returns an engine. It starts no worker until a model is needed.
func New(cfg Config) (*Engine, error) {
	if cfg.Resolver == nil {
		return nil, errors.New("engine: a model resolver is required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if len(cfg.Command) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("engine: find own executable: %w", err)
		}
		cfg.Command = WorkerCommand(context.Background(), exe)
		cfg.Log.Debug("worker command", "command", cfg.Command)
	}
	if cfg.KeepAlive == 0 {
		cfg.KeepAlive = 5 * time.Minute
	}
	if cfg.Slots <= 0 {
		cfg.Slots = 4
	}
	if cfg.MaxQueue <= 0 {
		cfg.MaxQueue = 256
	}
	if cfg.MaxLoaded <= 0 && cfg.Planner == nil {
		cfg.MaxLoaded = 3
	}
	return &Engine{cfg: cfg, log: cfg.Log, runners: map[string]*runner{}, aliases: map[string]string{}, loadSlot: make(chan struct{}, 1)}, nil
}

// Restarts counts workers that died unexpectedly.
func (e *Engine) Restarts() int64 { return e.restarts.Load() }

// Loaded lists the resident models, most recently used first.
func (e *Engine) Loaded() []Status {
	e.mu.Lock()
	rs := make([]*runner, 0, len(e.runners))
	for _, r := range e.runners {
		if r.ready() {
			rs = append(rs, r)
		}
	}
	e.mu.Unlock()
	sort.Slice(rs, func(i, j int) bool { return rs[i].lastUsed().After(rs[j].lastUsed()) })
	out := make([]Status, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.status())
	}
	return out
}

// Brief is a loaded model's name and whether it is answering, known without asking its worker.
type Brief struct {
	Name       string `json:"name"`
	Generating bool   `json:"generating"`
}

// Resident lists the loaded models cheaply (no call to the workers), for a tray that polls.
func (e *Engine) Resident() []Brief {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Brief, 0, len(e.runners))
	for _, r := range e.runners {
		if r.ready() {
			out = append(out, Brief{Name: r.name, Generating: r.refs > 0})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Close unloads every model and stops their workers.
func (e *Engine) Close() {
	e.mu.Lock()
	e.closed = true
	rs := make([]*runner, 0, len(e.runners))
	for _, r := range e.runners {
		rs = append(rs, r)
	}
	e.runners = map[string]*runner{}
	e.mu.Unlock()
	e.dropSpare()
	var wg sync.WaitGroup
	for _, r := range rs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.shutdown()
		}()
	}
	wg.Wait()
}

func isCancel(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
