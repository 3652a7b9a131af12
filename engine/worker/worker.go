// Package worker is the `perch engine` process: it loads one GGUF with llama.cpp, runs the
// decode loop over N slots (continuous batching, prefix reuse, saved KV state), and serves its
// parent over a private Unix socket (HTTP, NDJSON streams). It exits when its parent goes
// away, so an orphaned worker never holds a model's memory.
package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/llama"
)

// Config is how the parent starts a worker.
type Config struct {
	Name    string // the model's name, for messages
	Model   string // GGUF path (the first part of a split model)
	Digest  string // the model's identity, for saved state
	Socket  string // Unix socket to serve on
	SlotCtx int    // context per slot; 0 = the training context, capped at DefaultSlotCtx
	Slots   int    // parallel sequences
	// PerSlotKV gives each slot its own cache of SlotCtx cells; by default the slots share
	// one unified cache of SlotCtx cells (llama.cpp's kv_unified), so memory is one context.
	PerSlotKV bool
	KVType    string // f16, q8_0, q4_0
	FlashAttn string // auto, on, off
	GPULayers int    // layers on the GPU; negative = all
	Threads   int    // 0 = DefaultThreads()
	Batch     int    // tokens per decode step
	Embedding bool   // load as an embedding model (pooled outputs)
	Pooling   string // embedding pooling override
	StateDir  string // saved conversation state; empty disables it
	StateMax  int64  // bytes of saved state kept
	LibDir    string // llama.cpp libraries; empty = llama.Locate
	Log       *slog.Logger
	// Ready receives one JSON line when the worker serves, or an error line if it cannot.
	Ready io.Writer
	// Parent is read until EOF; the worker exits then (its parent died or closed the pipe).
	Parent io.Reader

	// DraftModel is a GGUF of the same tokenizer whose greedy guesses the model verifies
	// (speculative decoding); empty uses prompt lookup instead.
	DraftModel string
}

// DefaultSlotCtx caps the context picked when none is asked for.
const DefaultSlotCtx = 4096

// DefaultThreads is the measured default: on Apple Silicon the performance cores, elsewhere
// every core the process may use.
func DefaultThreads() int { return defaultThreads() }

// Worker is a running worker.
type Worker struct {
	cfg       Config
	name      string
	model     *llama.Model
	ctx       *llama.Context
	loop      *loop
	embedder  *embedder
	states    *stateStore
	embedOnly bool
	memory    *memoryLog
	modelInfo llama.Info // read once: it makes some thirty library calls
	info      func() engine.WorkerInfo
	tmpls     templateCache
	history   history
}

// readyLine is what the parent reads from the worker's stdout.
type readyLine struct {
	Ready bool          `json:"ready"`
	PID   int           `json:"pid"`
	Error *engine.Error `json:"error,omitempty"`
}

// Run loads the model and serves until ctx ends or the parent goes away.
func Run(ctx context.Context, cfg Config) (err error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	ready := func(e error) {
		if cfg.Ready == nil {
			return
		}
		line := readyLine{Ready: e == nil, PID: os.Getpid()}
		if e != nil {
			var ee *engine.Error
			if !errors.As(e, &ee) {
				ee = engine.Errorf(engine.KindWorker, "%v", e)
			}
			line.Error = ee
		}
		b, _ := json.Marshal(line)
		cfg.Ready.Write(append(b, '\n'))
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if cfg.Parent != nil {
		go func() {
			_, _ = io.Copy(io.Discard, cfg.Parent)
			cfg.Log.Info("parent went away; exiting")
			cancel()
		}()
	}
	w, err := start(cfg)
	if err != nil {
		ready(err)
		return err
	}
	defer w.close()

	os.Remove(cfg.Socket)
	ln, err := net.Listen("unix", cfg.Socket)
	if err != nil {
		err = fmt.Errorf("listen on %s: %w", cfg.Socket, err)
		ready(err)
		return err
	}
	defer os.Remove(cfg.Socket)
	srv := &http.Server{Handler: w.routes(), ReadHeaderTimeout: 10 * time.Second}

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		w.loop.run(ctx)
	}()
	shutDown := make(chan struct{})
	go func() {
		defer close(shutDown)
		<-ctx.Done()
		sctx, c := context.WithTimeout(context.Background(), 2*time.Second)
		defer c()
		_ = srv.Shutdown(sctx)
	}()
	ready(nil)
	cfg.Log.Info("worker ready", "model", cfg.Model, "slots", w.ctx.NSeqMax(), "slot_ctx", w.loop.slotCtx, "socket", cfg.Socket)
	err = srv.Serve(ln)
	cancel()
	wg.Wait()
	// Serve returns as soon as Shutdown begins; the handlers still running use the model that
	// the deferred close frees, so wait until they are done (or Shutdown gives up on them).
	<-shutDown
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

func start(cfg Config) (*Worker, error) {
	if err := llama.Init(cfg.LibDir); err != nil {
		return nil, err
	}
	mem := &memoryLog{}
	llama.SetLogSink(func(level, line string) {
		mem.observe(line)
		if level == "error" || level == "warn" {
			cfg.Log.Warn("llama.cpp", "msg", line)
		} else {
			cfg.Log.Debug("llama.cpp", "msg", line)
		}
	})
	m, err := llama.LoadModel(cfg.Model, llama.ModelOptions{GPULayers: cfg.GPULayers})
	if err != nil {
		return nil, engine.Errorf(engine.KindInvalid, "%v", err)
	}
	info := m.Info()
	embedOnly := cfg.Embedding || !info.HasDecoder || (info.Pooling != "" && info.Pooling != "none")
	slots := max(cfg.Slots, 1)
	slotCtx := cfg.SlotCtx
	if slotCtx <= 0 {
		slotCtx = min(info.ContextLength, DefaultSlotCtx)
	}
	if slotCtx <= 0 {
		slotCtx = DefaultSlotCtx
	}
	if info.ContextLength > 0 {
		slotCtx = min(slotCtx, info.ContextLength) // more than the model was trained on is waste
	}
	threads := cfg.Threads
	if threads <= 0 {
		threads = DefaultThreads()
	}
	batch := cfg.Batch
	if batch <= 0 {
		batch = 512
	}
	opts := llama.ContextOptions{
		NCtx: slotCtx, NSeqMax: slots, NBatch: batch, NUBatch: min(batch, 512), KVUnified: !cfg.PerSlotKV,
		Threads: threads, TypeK: cfg.KVType, TypeV: cfg.KVType, FlashAttn: cfg.FlashAttn,
	}
	if cfg.PerSlotKV {
		opts.NCtx = slotCtx * slots
	}
	if embedOnly {
		opts.Embeddings = true
		opts.Pooling = cfg.Pooling
		if info.Pooling == "" || info.Pooling == "none" {
			opts.Pooling = "mean"
		}
		// A non-causal model needs each input in one physical batch.
		opts.NBatch, opts.NUBatch = slotCtx, slotCtx
	}
	c, err := m.NewContext(opts)
	if err != nil {
		m.Close()
		return nil, engine.Errorf(engine.KindTooLarge, "%v", err)
	}
	w := &Worker{cfg: cfg, name: cfg.Name, model: m, ctx: c, embedOnly: embedOnly, memory: mem, modelInfo: info}
	if w.name == "" {
		w.name = filepath.Base(cfg.Model)
	}
	if cfg.StateDir != "" && cfg.Digest != "" && !embedOnly {
		key := strings.ReplaceAll(strings.TrimPrefix(cfg.Digest, "sha256:"), "/", "_")
		if len(key) > 32 {
			key = key[:32]
		}
		kv := cfg.KVType
		if kv == "" {
			kv = "f16"
		}
		budget := cfg.StateMax
		if budget <= 0 {
			budget = 2 << 30
		}
		if w.states, err = openStateStore(cfg.Log, cfg.StateDir, key+"-"+kv, budget); err != nil {
			cfg.Log.Warn("saved conversation state disabled", "err", err)
		}
	}
	if embedOnly {
		w.embedder = newEmbedder(info, m, opts, c)
	} else {
		w.embedder = newEmbedder(info, m, llama.ContextOptions{Threads: threads, TypeK: cfg.KVType, TypeV: cfg.KVType, FlashAttn: cfg.FlashAttn}, nil)
	}
	w.loop = newLoop(cfg.Log, m, c, w.states, w.embedder)
	w.loop.history = &w.history
	// Dropping rejected drafts needs a cache that can forget a sequence's tail.
	w.loop.spec = !embedOnly && !info.Recurrent && !info.Hybrid && os.Getenv("PERCH_SPECULATE") != "off"
	if err := w.loadDraft(opts, info); err != nil {
		w.close()
		return nil, err
	}
	flash := cfg.FlashAttn
	if flash == "" {
		flash = "auto"
	}
	kvType := cfg.KVType
	if kvType == "" {
		kvType = "f16"
	}
	build, _ := llama.ReadBuildInfo(llama.Dir())
	static := engine.WorkerInfo{
		// The conversion compiles only while engine.ModelInfo has llama.Info's fields.
		PID: os.Getpid(), Model: engine.ModelInfo(info), Slots: c.NSeqMax(), SlotCtx: c.NCtxSeq(), Batch: c.NBatch(),
		Threads: threads, KVType: kvType, FlashAttn: flash, FlashAttnUsed: c.FlashAttn(), Embedding: embedOnly, KVUnified: !cfg.PerSlotKV,
		SystemInfo: llama.SystemInfo(), Backends: llama.Backends(), LibDir: llama.Dir(), Release: build.Release,
	}
	w.info = func() engine.WorkerInfo {
		wi := static
		for _, d := range llama.Devices() {
			wi.Devices = append(wi.Devices, engine.Device(d))
		}
		wi.Busy = int(w.loop.busy.Load())
		wi.Queued = int(w.loop.queued.Load())
		wi.Memory = w.memory.usage()
		wi.Memory.KVCells = c.NCtx()
		wi.Memory.KVUsedCells = int(w.loop.kvUsed.Load())
		if wi.Memory.KVCells > 0 {
			wi.Memory.KVUsedBytes = wi.Memory.KVBytes * int64(wi.Memory.KVUsedCells) / int64(wi.Memory.KVCells)
		}
		wi.Memory.RSSBytes = residentBytes()
		return wi
	}
	return w, nil
}

// loadDraft loads the configured draft model into the loop, refusing one that cannot draft
// for this model.
func (w *Worker) loadDraft(opts llama.ContextOptions, info llama.Info) error {
	cfg := w.cfg
	switch {
	case cfg.DraftModel == "":
		return nil
	case w.embedOnly || info.Recurrent || info.Hybrid:
		return &engine.Error{Kind: engine.KindInvalid, Param: "draft_model", Message: fmt.Sprintf(
			"%s cannot use a draft model: only a generating model whose cache can drop rejected guesses can (not an embedding, recurrent or hybrid one); load it without draft_model", w.name)}
	case !w.loop.spec:
		cfg.Log.Info("speculative decoding is off (PERCH_SPECULATE=off); the draft model is not loaded", "draft_model", cfg.DraftModel)
		return nil
	}
	d, err := loadDrafter(cfg.DraftModel, w.model, cfg.GPULayers, opts)
	if err != nil {
		return err
	}
	w.loop.drafter = d
	cfg.Log.Info("draft model loaded", "draft_model", cfg.DraftModel)
	return nil
}

func (w *Worker) close() {
	if w.loop != nil && w.loop.drafter != nil {
		w.loop.drafter.close()
		w.loop.drafter = nil
	}
	if w.states != nil {
		w.states.close()
	}
	w.embedder.close()
	w.ctx.Close()
	w.model.Close()
}

func defaultThreads() int {
	if n := perfCores(); n > 0 {
		return n
	}
	return max(runtime.NumCPU(), 1)
}
