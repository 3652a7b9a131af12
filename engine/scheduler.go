package engine

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"time"
)

// runner is one model's worker as the scheduler sees it. Its counters are guarded by the
// engine's mutex.
type runner struct {
	e *Engine
	// name is the name the model was first asked by (what /api/ps shows); key is the
	// canonical model (its digest, else its file) that every name of it shares.
	name   string
	key    string
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
	// explicitCtx is true when the load asked for a context (num_ctx) smaller than the
	// default; a request that asks for none gets the default context again.
	explicitCtx bool
	defaultCtx  int // the planner's default context (0: unknown)
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

// compatible reports whether a request's load options can be served by this runner. A
// request's context fits when it is no larger than the loaded one (after capping at the
// training context); one that asks for no context wants the default, so a runner loaded with
// an explicit context does not serve it.
func (r *runner) compatible(o LoadOptions) bool {
	have := r.opts
	switch {
	case o.ContextLength != 0 && r.proc != nil && r.capCtx(o.ContextLength) > r.proc.info.SlotCtx:
		return false
	case o.ContextLength == 0 && o.request && r.explicitCtx:
		return false
	case o.Slots != 0 && o.Slots != have.Slots:
		return false
	case o.KVType != "" && o.KVType != have.KVType:
		return false
	case o.PerSlotKV && !have.PerSlotKV:
		return false
	case o.Embedding && !have.Embedding && r.proc != nil && !r.proc.info.Embedding:
		return false
	case o.generate && have.Embedding && r.proc != nil && r.proc.info.Embedding:
		return false
	case o.GPULayers != nil && (have.GPULayers == nil || *o.GPULayers != *have.GPULayers):
		return false
	case o.FlashAttn != "" && o.FlashAttn != have.FlashAttn:
		return false
	case o.DraftModel != "" && o.DraftModel != have.DraftModel && (o.DraftModel != DraftNone || have.DraftModel != ""):
		return false
	}
	return true
}

// capCtx caps a context at the model's training context, as the load does.
func (r *runner) capCtx(n int) int {
	if t := r.proc.info.Model.ContextLength; t > 0 {
		return min(n, t)
	}
	return n
}

// SetCacheDefaults sets the KV cache type and flash attention of the loads from now on that
// do not name them (the user's settings); loaded models keep theirs until reloaded.
func (e *Engine) SetCacheDefaults(kvType, flashAttn string) error {
	o := LoadOptions{KVType: kvType, FlashAttn: flashAttn}
	if err := o.validate(); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cfg.KVType, e.cfg.FlashAttn = kvType, flashAttn
	return nil
}

// withDefaults fills in the engine's defaults; e.mu is held.
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
	if o.FlashAttn == "" {
		o.FlashAttn = e.cfg.FlashAttn
	}
	o.PerSlotKV = o.PerSlotKV || e.cfg.PerSlotKV
	if o.Threads <= 0 {
		o.Threads = e.cfg.Threads
	}
	return o
}

// withDraft gives a load that names no draft model the model's default, and one that names
// DraftNone none.
func (e *Engine) withDraft(o LoadOptions, name string, ref ModelRef) LoadOptions {
	if o.DraftModel == "" && e.cfg.DraftFor != nil {
		if o.DraftModel = e.cfg.DraftFor(name); o.DraftModel == "" && ref.Name != name {
			o.DraftModel = e.cfg.DraftFor(ref.Name)
		}
	}
	if o.DraftModel == DraftNone {
		o.DraftModel = ""
	}
	return o
}

// modelDefaults asks DefaultsFor by the name asked, then by the resolved name (ref.Name).
func (e *Engine) modelDefaults(name string, ref ModelRef) ModelDefaults {
	if e.cfg.DefaultsFor == nil {
		return ModelDefaults{}
	}
	d := e.cfg.DefaultsFor(name)
	if ref.Name != "" && ref.Name != name {
		alt := e.cfg.DefaultsFor(ref.Name)
		if d.ContextLength == 0 {
			d.ContextLength = alt.ContextLength
		}
		if d.KeepAlive == nil {
			d.KeepAlive = alt.KeepAlive
		}
	}
	return d
}

// knownRef is the model a name reached before (its runner's ref), so that its defaults are
// found by its resolved name too; zero when none is loaded.
func (e *Engine) knownRef(name string) ModelRef {
	e.mu.Lock()
	defer e.mu.Unlock()
	if r := e.runners[e.aliases[name]]; r != nil {
		return r.ref
	}
	return ModelRef{}
}

// withModelDefaults gives a request that names no context the model's own (so that the
// model loads with it, and a runner loaded with it serves the next such request), and one
// that names no keep-alive the model's own.
func (e *Engine) withModelDefaults(o LoadOptions, keepAlive *time.Duration, name string, ref ModelRef) (LoadOptions, *time.Duration) {
	d := e.modelDefaults(name, ref)
	if o.ContextLength == 0 && o.request {
		o.ContextLength = d.ContextLength
	}
	if keepAlive == nil {
		keepAlive = d.KeepAlive
	}
	return o, keepAlive
}

// acquire returns the runner for a model, loading it if needed, and counts the caller in. The
// caller must call release. waited is the time spent waiting for a load. Every name of one
// model (case, :latest, aliases, copies of one blob) reaches the same runner.
func (e *Engine) acquire(ctx context.Context, name string, opts LoadOptions, keepAlive *time.Duration) (r *runner, waited time.Duration, err error) {
	if name == "" {
		return nil, 0, &Error{Kind: KindInvalid, Param: "model", Message: "no model was named"}
	}
	if err := opts.validate(); err != nil {
		return nil, 0, err
	}
	opts, keepAlive = e.withModelDefaults(opts, keepAlive, name, e.knownRef(name))
	// And with the defaults filled in: a request's flash_attn off meets the default cache.
	e.mu.Lock()
	full := e.withDefaults(opts)
	e.mu.Unlock()
	if err := full.validate(); err != nil {
		return nil, 0, err
	}
	// A draft model that does not exist must not unload the model loaded without it.
	if _, err := e.draftFile(ctx, opts.DraftModel, name); err != nil {
		return nil, 0, err
	}
	for {
		r, err := e.runnerFor(ctx, name, opts, keepAlive)
		if err != nil {
			return nil, 0, err
		}
		if r == nil {
			continue // replaced a stale runner, or lost a race to create one
		}
		start := time.Now()
		select {
		case <-r.loaded:
		case <-ctx.Done():
			e.release(r)
			return nil, 0, ctx.Err()
		}
		if r.err != nil {
			e.release(r)
			if isCancel(r.err) && ctx.Err() == nil {
				continue // the request that started the load gave up; load it for this one
			}
			return nil, 0, r.err
		}
		return r, time.Since(start), nil
	}
}

// runnerFor finds or creates the runner for name and counts the caller in; nil, nil means
// try again.
func (e *Engine) runnerFor(ctx context.Context, name string, opts LoadOptions, keepAlive *time.Duration) (*runner, error) {
	e.mu.Lock()
	key, known := e.aliases[name]
	e.mu.Unlock()
	var ref ModelRef
	if !known || e.runnerByKey(key) == nil {
		var err error
		if ref, err = e.resolve(ctx, name); err != nil {
			return nil, err
		}
		key = refKey(ref)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return nil, Errorf(KindUnavailable, "the engine is shutting down")
	}
	e.aliases[name] = key
	r := e.runners[key]
	if r != nil && r.ready() && (r.proc.exited() || (!r.compatible(opts) && r.refs == 0)) {
		// A dead worker is replaced; an idle one with other options is reloaded.
		delete(e.runners, key)
		go r.shutdown()
		return nil, nil
	}
	if r == nil {
		if ref.Path == "" && ref.Name == "" {
			return nil, nil // resolved before another request dropped it: resolve again
		}
		ka := e.cfg.KeepAlive
		// Asked again by the resolved name, and for Info and Tokenize, whose context acquire
		// left open.
		opts, keepAlive = e.withModelDefaults(opts, keepAlive, name, ref)
		if opts.ContextLength == 0 && !opts.request {
			opts.ContextLength = e.modelDefaults(name, ref).ContextLength
		}
		if keepAlive != nil {
			ka = *keepAlive
		}
		r = &runner{e: e, name: name, key: key, ref: ref, opts: e.withDraft(e.withDefaults(opts), name, ref), loaded: make(chan struct{}),
			keepAlive: ka, used: time.Now(), explicitCtx: opts.ContextLength > 0}
		e.runners[key] = r
		// The load outlives the request that started it once the worker starts: others may
		// be waiting for it. Until then the request's cancellation cancels the plan.
		go e.load(ctx, r)
	}
	if r.refs >= r.opts.Slots+e.cfg.MaxQueue {
		return nil, &Error{Kind: KindUnavailable, RetryAfter: 1,
			Message: fmt.Sprintf("%s has %d requests waiting; try again shortly", name, r.refs)}
	}
	r.refs++
	r.stopExpiry()
	if keepAlive != nil {
		r.keepAlive = *keepAlive
	}
	return r, nil
}

func (e *Engine) runnerByKey(key string) *runner {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.runners[key]
}

// resolve asks the resolver for a model's file.
func (e *Engine) resolve(ctx context.Context, name string) (ModelRef, error) {
	ref, err := e.cfg.Resolver.Resolve(ctx, name)
	if err != nil {
		if errors.Is(err, ErrUnknownModel) {
			return ModelRef{}, &Error{Kind: KindNotFound, Param: "model", Message: fmt.Sprintf("model %q not found; pull it first (perch pull %s) or check the name with perch list", name, name)}
		}
		return ModelRef{}, Errorf(KindInvalid, "model %q: %v", name, err)
	}
	if ref.Name == "" {
		ref.Name = name
	}
	return ref, nil
}

// refKey is the canonical identity of a model: its digest, else its file.
func refKey(ref ModelRef) string {
	switch {
	case ref.Digest != "":
		return ref.Digest
	case ref.Path != "":
		return "file:" + filepath.Clean(ref.Path)
	}
	return "name:" + ref.Name
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
	if r.refs == 0 && e.runners[r.key] == r {
		e.log.Info("unloading idle model", "model", r.name, "keep_alive", r.keepAlive)
		e.dropLocked(r)
	}
}

// dropLocked removes a runner and stops its worker in the background.
func (e *Engine) dropLocked(r *runner) {
	r.stopExpiry()
	if e.runners[r.key] == r {
		delete(e.runners, r.key)
	}
	go r.shutdown()
}

func (r *runner) shutdown() {
	<-r.loaded
	if r.proc != nil {
		r.proc.stop(5 * time.Second)
	}
}

// load plans memory, evicting idle models if needed, and starts the worker. Loads run one at
// a time (e.loadSlot), so each plan counts the models loaded before it; ctx (the request that
// started the load) cancels the wait and the plan, not a worker that is starting.
func (e *Engine) load(ctx context.Context, r *runner) {
	start := time.Now()
	var err error
	select {
	case e.loadSlot <- struct{}{}:
		var draft string
		if draft, err = e.resolveDraft(ctx, r); err == nil {
			e.mu.Lock()
			r.ref.Draft = draft // the planner counts it
			e.mu.Unlock()
			err = e.makeRoom(ctx, r)
		}
		if err == nil {
			sctx, cancel := context.WithTimeout(context.Background(), startTimeout)
			r.proc, err = startProcess(sctx, workerSpec{
				command: e.cfg.Command, libDir: e.cfg.LibDir, socket: socketPath(e.cfg.RuntimeDir),
				ref: r.ref, opts: r.opts, stateDir: e.cfg.StateDir, stateMax: e.cfg.StateMax, log: e.log,
			}, e.takeSpare())
			cancel()
		}
		<-e.loadSlot
	case <-ctx.Done():
		err = ctx.Err()
	}
	e.mu.Lock()
	if err != nil {
		r.err = err
		if e.runners[r.key] == r {
			delete(e.runners, r.key)
		}
		e.log.Warn("model failed to load", "model", r.name, "err", err)
	} else {
		r.loadedAt = time.Now()
		r.opts.ContextLength = r.proc.info.SlotCtx
		r.explicitCtx = r.explicitCtx && r.proc.info.SlotCtx < e.defaultContext(r)
		e.log.Info("model loaded", "model", r.name, "pid", r.proc.info.PID, "slot_ctx", r.proc.info.SlotCtx,
			"slots", r.proc.info.Slots, "took", time.Since(start).Round(time.Millisecond), "plan", r.planNote)
		go e.watch(r)
		go e.watchdog(r)
	}
	close(r.loaded)
	e.mu.Unlock()
	// The next idle worker starts a little later, not while this model answers its first
	// request: on a small CPU its start would slow that answer.
	time.AfterFunc(refillDelay, e.refill)
}

// resolveDraft finds the file of r's draft model ("" for none).
func (e *Engine) resolveDraft(ctx context.Context, r *runner) (string, error) {
	return e.draftFile(ctx, r.opts.DraftModel, r.name)
}

// draftFile finds the file of the draft model named draft for model ("" for none).
func (e *Engine) draftFile(ctx context.Context, draft, model string) (string, error) {
	if draft == "" || draft == DraftNone {
		return "", nil
	}
	ref, err := e.cfg.Resolver.Resolve(ctx, draft)
	if err != nil {
		if errors.Is(err, ErrUnknownModel) {
			return "", &Error{Kind: KindNotFound, Param: "draft_model", Message: fmt.Sprintf("draft model %q not found; pull it first (perch pull %s), check the name with perch list, or load %s without draft_model", draft, draft, model)}
		}
		return "", &Error{Kind: KindInvalid, Param: "draft_model", Message: fmt.Sprintf("draft model %q: %v", draft, err)}
	}
	return ref.Path, nil
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
	if e.runners[r.key] == r {
		delete(e.runners, r.key)
		r.stopExpiry()
	}
	e.mu.Unlock()
}

// makeRoom evicts idle models, least recently used first, until the new one fits (by the
// planner) or the resident count is under the cap.
func (e *Engine) makeRoom(ctx context.Context, r *runner) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		resident := e.residentExcept(r)
		fits, msg := true, ""
		if e.cfg.Planner != nil {
			f, err := e.cfg.Planner.Fit(ctx, r.ref, r.opts, resident)
			if isCancel(err) {
				return err
			}
			if err != nil {
				return Errorf(KindInvalid, "%s: %v", r.name, err)
			}
			e.mu.Lock()
			r.opts = f.Options
			r.planNote = f.Message
			r.defaultCtx = f.DefaultContext
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

// defaultContext is the context a load of r's model without one gets: the planner's
// choice, else the configured default, else the worker's (the training context up to 4096).
func (e *Engine) defaultContext(r *runner) int {
	n := r.defaultCtx
	if n <= 0 {
		n = e.cfg.ContextLength
	}
	if n <= 0 {
		n = 4096 // worker.DefaultSlotCtx
	}
	return r.capCtx(n)
}

func (e *Engine) residentExcept(r *runner) []Status {
	var out []Status
	e.mu.Lock()
	others := make(map[string]bool, len(e.runners))
	for _, x := range e.runners {
		if x != r {
			others[x.name] = true
		}
	}
	e.mu.Unlock()
	for _, s := range e.Loaded() {
		if others[s.Name] {
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
	delete(e.runners, victim.key)
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
		PlanNote: r.planNote, FlashAttnUsed: info.FlashAttnUsed,
	}
}

// Load makes sure a model is loaded with the given options and sets its keep-alive.
func (e *Engine) Load(ctx context.Context, model string, opts LoadOptions, keepAlive *time.Duration) (*Status, error) {
	opts.request = true
	r, _, err := e.acquire(ctx, model, opts, keepAlive)
	if err != nil {
		return nil, err
	}
	st := r.status()
	e.release(r)
	return &st, nil
}

// Unload stops a model's worker once its requests in flight finish. Any name of the model
// will do. Unloading a model that is not loaded is not an error.
func (e *Engine) Unload(ctx context.Context, model string) error {
	e.mu.Lock()
	r := e.runners[e.aliases[model]]
	e.mu.Unlock()
	if r == nil {
		if ref, err := e.resolve(ctx, model); err == nil {
			r = e.runnerByKey(refKey(ref))
		}
	}
	if r == nil {
		return nil
	}
	e.mu.Lock()
	if e.runners[r.key] != r {
		e.mu.Unlock()
		return nil
	}
	if r.refs > 0 {
		r.unload = true
		e.mu.Unlock()
		return nil
	}
	delete(e.runners, r.key)
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
	load.generate, load.request = true, true
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
	load := req.Load
	load.request = true
	r, waited, err := e.acquire(ctx, req.Model, load, req.KeepAlive)
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
