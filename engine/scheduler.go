package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// runner is one model's worker as the scheduler sees it. Its counters are guarded by the
// engine's mutex.
type runner struct {
	e      *Engine
	name   string
	ref    ModelRef
	opts   LoadOptions
	loaded chan struct{} // closed when loading finished, well or not
	proc   *process
	err    error

	refs      int // requests holding it (running or queued)
	used      time.Time
	loadedAt  time.Time
	keepAlive time.Duration
	expiry    *time.Timer
	expiresAt time.Time
	unload    bool // unload as soon as the last request finishes
	planNote  string
}

func (r *runner) ready() bool {
	select {
	case <-r.loaded:
		return r.err == nil
	default:
		return false
	}
}

func (r *runner) lastUsed() time.Time {
	r.e.mu.Lock()
	defer r.e.mu.Unlock()
	return r.used
}

// compatible reports whether a request's load options can be served by this runner.
func (r *runner) compatible(o LoadOptions) bool {
	have := r.opts
	switch {
	case o.ContextLength != 0 && r.proc != nil && o.ContextLength != r.proc.info.SlotCtx:
		return false
	case o.Slots != 0 && o.Slots != have.Slots:
		return false
	case o.KVType != "" && o.KVType != have.KVType:
		return false
	case o.Embedding && !have.Embedding && r.proc != nil && !r.proc.info.Embedding:
		return false
	case o.generate && have.Embedding && r.proc != nil && r.proc.info.Embedding:
		return false
	case o.GPULayers != nil && (have.GPULayers == nil || *o.GPULayers != *have.GPULayers):
		return false
	case o.FlashAttn != "" && o.FlashAttn != have.FlashAttn:
		return false
	}
	return true
}

func (e *Engine) withDefaults(o LoadOptions) LoadOptions {
	if o.Slots <= 0 {
		o.Slots = e.cfg.Slots
	}
	if o.ContextLength <= 0 {
		o.ContextLength = e.cfg.ContextLength
	}
	if o.KVType == "" {
		o.KVType = e.cfg.KVType
	}
	if o.Threads <= 0 {
		o.Threads = e.cfg.Threads
	}
	return o
}

// acquire returns the runner for a model, loading it if needed, and counts the caller in. The
// caller must call release. waited is the time spent waiting for a load.
func (e *Engine) acquire(ctx context.Context, name string, opts LoadOptions, keepAlive *time.Duration) (r *runner, waited time.Duration, err error) {
	if name == "" {
		return nil, 0, &Error{Kind: KindInvalid, Param: "model", Message: "no model was named"}
	}
	for {
		e.mu.Lock()
		if e.closed {
			e.mu.Unlock()
			return nil, 0, Errorf(KindUnavailable, "the engine is shutting down")
		}
		r = e.runners[name]
		if r != nil && r.ready() && (r.proc.exited() || (!r.compatible(opts) && r.refs == 0)) {
			// A dead worker is replaced; an idle one with other options is reloaded.
			delete(e.runners, name)
			e.mu.Unlock()
			r.shutdown()
			continue
		}
		if r != nil {
			if r.refs >= r.opts.Slots+e.cfg.MaxQueue {
				e.mu.Unlock()
				return nil, 0, &Error{Kind: KindUnavailable, RetryAfter: 1,
					Message: fmt.Sprintf("%s has %d requests waiting; try again shortly", name, r.refs)}
			}
			r.refs++
			r.stopExpiry()
			if keepAlive != nil {
				r.keepAlive = *keepAlive
			}
			e.mu.Unlock()
			start := time.Now()
			select {
			case <-r.loaded:
			case <-ctx.Done():
				e.release(r)
				return nil, 0, ctx.Err()
			}
			if r.err != nil {
				e.release(r)
				return nil, 0, r.err
			}
			return r, time.Since(start), nil
		}
		e.mu.Unlock()

		ref, err := e.cfg.Resolver.Resolve(ctx, name)
		if err != nil {
			if errors.Is(err, ErrUnknownModel) {
				return nil, 0, &Error{Kind: KindNotFound, Param: "model", Message: fmt.Sprintf("model %q not found; pull it first (perch pull %s) or check the name with perch list", name, name)}
			}
			return nil, 0, Errorf(KindInvalid, "model %q: %v", name, err)
		}
		if ref.Name == "" {
			ref.Name = name
		}
		ka := e.cfg.KeepAlive
		if keepAlive != nil {
			ka = *keepAlive
		}
		e.mu.Lock()
		if e.runners[name] != nil {
			e.mu.Unlock()
			continue // another request started loading it meanwhile
		}
		r = &runner{e: e, name: name, ref: ref, opts: e.withDefaults(opts), loaded: make(chan struct{}), keepAlive: ka, used: time.Now()}
		e.runners[name] = r
		e.mu.Unlock()
		// The load outlives the request that started it: others may be waiting for it.
		go e.load(r)
	}
}

// release counts a caller out and, when the model falls idle, starts its keep-alive.
func (e *Engine) release(r *runner) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r.refs--
	r.used = time.Now()
	if r.refs > 0 || !r.ready() {
		return
	}
	switch {
	case r.unload || r.keepAlive == 0:
		e.dropLocked(r)
	case r.keepAlive > 0:
		r.expiresAt = time.Now().Add(r.keepAlive)
		r.expiry = time.AfterFunc(r.keepAlive, func() { e.expire(r) })
	}
}

func (r *runner) stopExpiry() {
	if r.expiry != nil {
		r.expiry.Stop()
		r.expiry = nil
	}
	r.expiresAt = time.Time{}
}

func (e *Engine) expire(r *runner) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if r.refs == 0 && e.runners[r.name] == r {
		e.log.Info("unloading idle model", "model", r.name, "keep_alive", r.keepAlive)
		e.dropLocked(r)
	}
}

// dropLocked removes a runner and stops its worker in the background.
func (e *Engine) dropLocked(r *runner) {
	r.stopExpiry()
	if e.runners[r.name] == r {
		delete(e.runners, r.name)
	}
	go r.shutdown()
}

func (r *runner) shutdown() {
	<-r.loaded
	if r.proc != nil {
		r.proc.stop(5 * time.Second)
	}
}

// load plans memory, evicting idle models if needed, and starts the worker.
func (e *Engine) load(r *runner) {
	start := time.Now()
	err := e.makeRoom(r)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
		r.proc, err = startProcess(ctx, workerSpec{
			command: e.cfg.Command, libDir: e.cfg.LibDir, socket: socketPath(e.cfg.RuntimeDir),
			ref: r.ref, opts: r.opts, stateDir: e.cfg.StateDir, stateMax: e.cfg.StateMax, log: e.log,
		})
		cancel()
	}
	e.mu.Lock()
	if err != nil {
		r.err = err
		if e.runners[r.name] == r {
			delete(e.runners, r.name)
		}
		e.log.Warn("model failed to load", "model", r.name, "err", err)
	} else {
		r.loadedAt = time.Now()
		r.opts.ContextLength = r.proc.info.SlotCtx
		e.log.Info("model loaded", "model", r.name, "pid", r.proc.info.PID, "slot_ctx", r.proc.info.SlotCtx,
			"slots", r.proc.info.Slots, "took", time.Since(start).Round(time.Millisecond), "plan", r.planNote)
		go e.watch(r)
		go e.watchdog(r)
	}
	close(r.loaded)
	e.mu.Unlock()
}

// watch notices a worker that dies on its own and clears it, so the next request loads the
// model again.
func (e *Engine) watch(r *runner) {
	<-r.proc.done
	if r.proc.stopping.Load() {
		return
	}
	e.restarts.Add(1)
	err := r.proc.deathError()
	e.log.Error("worker died", "model", r.name, "err", err)
	if e.cfg.OnWorkerExit != nil {
		e.cfg.OnWorkerExit(r.name, err)
	}
	e.mu.Lock()
	if e.runners[r.name] == r {
		delete(e.runners, r.name)
		r.stopExpiry()
	}
	e.mu.Unlock()
}

// makeRoom evicts idle models, least recently used first, until the new one fits (by the
// planner) or the resident count is under the cap.
func (e *Engine) makeRoom(r *runner) error {
	for {
		resident := e.residentExcept(r)
		fits, msg := true, ""
		if e.cfg.Planner != nil {
			f, err := e.cfg.Planner.Fit(context.Background(), r.ref, r.opts, resident)
			if err != nil {
				return Errorf(KindInvalid, "%s: %v", r.name, err)
			}
			e.mu.Lock()
			r.opts = f.Options
			r.planNote = f.Message
			e.mu.Unlock()
			fits, msg = f.Fits, f.Message
		}
		if fits && (e.cfg.MaxLoaded <= 0 || len(resident) < e.cfg.MaxLoaded) {
			return nil
		}
		if !e.evictOne(r) {
			if !fits {
				return &Error{Kind: KindTooLarge, Message: msg}
			}
			return nil // over the count cap but nothing is idle: load anyway
		}
	}
}

func (e *Engine) residentExcept(r *runner) []Status {
	var out []Status
	for _, s := range e.Loaded() {
		if s.Name != r.name {
			out = append(out, s)
		}
	}
	return out
}

// evictOne unloads the least recently used idle model; false when none is idle.
func (e *Engine) evictOne(keep *runner) bool {
	e.mu.Lock()
	var victim *runner
	for _, x := range e.runners {
		if x == keep || x.refs > 0 || !x.ready() {
			continue
		}
		if victim == nil || x.used.Before(victim.used) {
			victim = x
		}
	}
	if victim == nil {
		e.mu.Unlock()
		return false
	}
	e.log.Info("unloading idle model to make room", "model", victim.name, "for", keep.name)
	victim.stopExpiry()
	delete(e.runners, victim.name)
	e.mu.Unlock()
	victim.shutdown()
	return true
}

// status reports the runner, asking its worker for live memory and slot use.
func (r *runner) status() Status {
	info := r.proc.info
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if live, err := r.proc.fetchInfo(ctx); err == nil {
		info = live
	}
	r.e.mu.Lock()
	defer r.e.mu.Unlock()
	return Status{
		Name: r.name, Path: r.ref.Path, Digest: r.ref.Digest, Info: info.Model, Options: r.opts,
		SlotCtx: info.SlotCtx, Memory: info.Memory, Slots: info.Slots, Busy: info.Busy, Queued: info.Queued,
		PID: info.PID, LoadedAt: r.loadedAt, ExpiresAt: r.expiresAt, Generating: r.refs > 0, Devices: info.Devices,
		PlanNote: r.planNote,
	}
}

// Load makes sure a model is loaded with the given options and sets its keep-alive.
func (e *Engine) Load(ctx context.Context, model string, opts LoadOptions, keepAlive *time.Duration) (*Status, error) {
	r, _, err := e.acquire(ctx, model, opts, keepAlive)
	if err != nil {
		return nil, err
	}
	st := r.status()
	e.release(r)
	return &st, nil
}

// Unload stops a model's worker once its requests in flight finish. Unloading a model that
// is not loaded is not an error.
func (e *Engine) Unload(ctx context.Context, model string) error {
	e.mu.Lock()
	r := e.runners[model]
	if r == nil {
		e.mu.Unlock()
		return nil
	}
	if r.refs > 0 {
		r.unload = true
		e.mu.Unlock()
		return nil
	}
	delete(e.runners, model)
	r.stopExpiry()
	e.mu.Unlock()
	r.shutdown()
	return nil
}

// Info returns a model's facts and the worker's report, loading the model if needed.
func (e *Engine) Info(ctx context.Context, model string) (*WorkerInfo, error) {
	r, _, err := e.acquire(ctx, model, LoadOptions{}, nil)
	if err != nil {
		return nil, err
	}
	defer e.release(r)
	wi, err := r.proc.fetchInfo(ctx)
	if err != nil {
		return nil, err
	}
	return &wi, nil
}

// Complete continues a prompt, calling fn for each streamed event (fn may be nil). A non-nil
// error from fn stops the generation and is returned.
func (e *Engine) Complete(ctx context.Context, req CompletionRequest, fn func(Event) error) (*CompletionResult, error) {
	start := time.Now()
	load := req.Load
	load.generate = true
	r, waited, err := e.acquire(ctx, req.Model, load, req.KeepAlive)
	if err != nil {
		return nil, err
	}
	defer e.release(r)
	res, err := r.proc.complete(ctx, req, fn)
	if err != nil {
		return nil, err
	}
	res.Timings.LoadMs = ms(waited)
	res.Timings.TotalMs = ms(time.Since(start))
	return res, nil
}

// Embed returns one vector per input.
func (e *Engine) Embed(ctx context.Context, req EmbedRequest) (*EmbedResult, error) {
	start := time.Now()
	if len(req.Inputs) == 0 && len(req.Tokens) == 0 {
		return nil, &Error{Kind: KindInvalid, Param: "input", Message: "no input to embed"}
	}
	r, waited, err := e.acquire(ctx, req.Model, req.Load, req.KeepAlive)
	if err != nil {
		return nil, err
	}
	defer e.release(r)
	var res EmbedResult
	if err := r.proc.call(ctx, http.MethodPost, "/embed", req, &res); err != nil {
		return nil, err
	}
	res.Timings.LoadMs = ms(waited)
	res.Timings.TotalMs = ms(time.Since(start))
	return &res, nil
}

// Tokenize splits text with the model's tokenizer.
func (e *Engine) Tokenize(ctx context.Context, model, text string, addSpecial, parseSpecial bool) ([]TokenPiece, error) {
	r, _, err := e.acquire(ctx, model, LoadOptions{}, nil)
	if err != nil {
		return nil, err
	}
	defer e.release(r)
	var res TokenizeResponse
	if err := r.proc.call(ctx, http.MethodPost, "/tokenize", TokenizeRequest{Text: text, AddSpecial: addSpecial, ParseSpecial: parseSpecial}, &res); err != nil {
		return nil, err
	}
	return res.Tokens, nil
}

// Detokenize turns tokens back into text; special renders special tokens as their text.
func (e *Engine) Detokenize(ctx context.Context, model string, tokens []int32, special bool) (string, error) {
	r, _, err := e.acquire(ctx, model, LoadOptions{}, nil)
	if err != nil {
		return "", err
	}
	defer e.release(r)
	var res DetokenizeResponse
	if err := r.proc.call(ctx, http.MethodPost, "/detokenize", DetokenizeRequest{Tokens: tokens, Special: special}, &res); err != nil {
		return "", err
	}
	return res.Text, nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
