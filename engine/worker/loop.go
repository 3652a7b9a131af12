package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/chat"
	"github.com/perchapp/perch/engine/llama"
)

// prefillChunkBusy bounds the prompt tokens decoded in a step while other slots generate, so
// a long new prompt delays their next token by one bounded step instead of its whole prefill.
const prefillChunkBusy = 256

// loop owns the llama.cpp context. One goroutine runs it: every decode step carries one token
// for each generating slot plus a bounded chunk of pending prompts (continuous batching).
type loop struct {
	log     *slog.Logger
	model   *llama.Model
	ctx     *llama.Context
	batch   *llama.Batch
	slots   []*slot
	slotCtx int
	nBatch  int
	canShft bool
	// shared is true when the slots share one KV cache of cells cells (llama.cpp's
	// kv_unified): idle slots' cached prefixes then give way to running ones.
	shared bool
	cells  int
	// swa is the window of sliding-window layers, whose caches keep only the last positions.
	swa int

	incoming chan *job
	queue    []*job
	history  *history
	states   *stateStore
	embedder *embedder

	busy   atomic.Int32
	queued atomic.Int32
	// embedding is 1 while an embedding job runs; progress counts the tokens decoded. The
	// engine's watchdog reads both from the heartbeat.
	embedding atomic.Int32
	progress  atomic.Int64
	// kvUsed is the number of KV cells the slots' caches fill, for the memory report.
	kvUsed atomic.Int64

	// spec enables prompt-lookup speculation (speculate.go); drafted and accepted count its
	// draft tokens since start, for /info and the metrics.
	spec     bool
	drafter  *drafter    // the draft model, when one was loaded: it replaces prompt lookup
	failDrop func() bool // see dropTail
	drafted  atomic.Int64
	accepted atomic.Int64
	pace     pace
	produced int // tokens taken since start, for pace
}

func newLoop(log *slog.Logger, m *llama.Model, c *llama.Context, states *stateStore, emb *embedder) *loop {
	l := &loop{
		log: log, model: m, ctx: c, states: states, embedder: emb,
		slotCtx:  c.NCtxSeq(),
		nBatch:   c.NBatch(),
		canShft:  c.CanShift(),
		shared:   c.NSeqMax() > 1 && c.NCtxSeq() == c.NCtx(),
		cells:    c.NCtx(),
		swa:      m.SlidingWindow(),
		incoming: make(chan *job, 1024),
	}
	l.batch = llama.NewBatch(l.nBatch)
	for i := 0; i < c.NSeqMax(); i++ {
		l.slots = append(l.slots, &slot{id: i, out: -1})
	}
	return l
}

// submit queues a job; the loop picks it up at its next step.
func (l *loop) submit(j *job) {
	l.queued.Add(1)
	l.incoming <- j
}

func (l *loop) run(ctx context.Context) {
	// llama.cpp's compute threads are its own; pinning this goroutine keeps its calls on one
	// OS thread, which avoids migrations in the token loop.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer l.batch.Free()
	for {
		if l.allIdle() && len(l.queue) == 0 {
			select {
			case j := <-l.incoming:
				l.queue = append(l.queue, j)
			case <-ctx.Done():
				l.shutdown()
				return
			}
		}
		l.drainIncoming()
		if ctx.Err() != nil {
			l.shutdown()
			return
		}
		l.dropCancelled()
		l.runEmbeds()
		l.assign()
		l.step()
	}
}

func (l *loop) drainIncoming() {
	for {
		select {
		case j := <-l.incoming:
			l.queue = append(l.queue, j)
		default:
			return
		}
	}
}

func (l *loop) allIdle() bool {
	for _, s := range l.slots {
		if !s.idle() {
			return false
		}
	}
	return true
}

func (l *loop) shutdown() {
	l.drainIncoming()
	for _, s := range l.slots {
		if !s.idle() {
			l.fail(s.job, engine.Errorf(engine.KindWorker, "the model is being unloaded"))
			l.release(s)
		}
	}
	for _, j := range l.queue {
		l.fail(j, engine.Errorf(engine.KindWorker, "the model is being unloaded"))
	}
	l.queue = nil
}

func (l *loop) fail(j *job, err *engine.Error) {
	if j.embed != nil {
		j.embed.result <- embedResult{err: err}
		return
	}
	j.out.push(engine.StreamLine{Error: err})
	j.sampler.Free()
}

// dropCancelled finishes the jobs whose clients went away, freeing their slots at once.
func (l *loop) dropCancelled() {
	for _, s := range l.slots {
		if !s.idle() && s.job.cancelled.Load() {
			l.finish(s, engine.FinishCancelled, "")
		}
	}
	kept := l.queue[:0]
	for _, j := range l.queue {
		if j.cancelled.Load() {
			l.queued.Add(-1)
			l.fail(j, engine.Errorf(engine.KindCancelled, "cancelled"))
			continue
		}
		kept = append(kept, j)
	}
	l.queue = kept
}

// runEmbeds runs queued embedding jobs at once: they use their own context and take no slot.
func (l *loop) runEmbeds() {
	kept := l.queue[:0]
	for _, j := range l.queue {
		if j.embed == nil {
			kept = append(kept, j)
			continue
		}
		l.queued.Add(-1)
		l.embedding.Store(1)
		vecs, err := l.embedder.embed(j.embed, &j.cancelled, &l.progress)
		l.embedding.Store(0)
		j.embed.result <- embedResult{vectors: vecs, err: err}
	}
	l.queue = kept
}

// assign moves queued jobs (first in, first out) to free slots, each to the free slot whose
// cache shares the longest prefix with its prompt, so a chat's next turn finds its history.
func (l *loop) assign() {
	for len(l.queue) > 0 {
		j := l.queue[0]
		var best *slot
		bestN := -1
		for _, s := range l.slots {
			if !s.idle() {
				continue
			}
			n := commonPrefix(s.cache, j.prompt)
			if n > bestN || (n == bestN && s.lastUsed.Before(best.lastUsed)) {
				best, bestN = s, n
			}
		}
		if best == nil {
			return
		}
		l.queue = l.queue[1:]
		l.queued.Add(-1)
		l.start(best, j, bestN)
	}
}

// start runs j in s, whose cache holds the first n tokens of j's prompt.
func (l *loop) start(s *slot, j *job, n int) {
	l.busy.Add(1)
	now := time.Now()
	*s = slot{id: s.id, cache: s.cache, job: j, out: -1, started: now, lastUsed: now}
	s.stop = chat.NewStopMatcher(j.req.Stop)

	if j.req.NoCache {
		n = 0
	}
	// A saved conversation that covers more of the prompt replaces the prefill.
	if l.states != nil && !j.req.NoCache && n < len(j.prompt)-1 {
		if m, touched := l.states.restore(l.ctx, s.id, j.prompt, n); touched {
			s.cache = append(s.cache[:0], j.prompt[:m]...)
			n = m
			s.restored = m > 0
		}
	}
	// At least one prompt token must be decoded to get the logits of the next one.
	if n >= len(j.prompt) {
		n = len(j.prompt) - 1
	}
	if n < len(s.cache) && l.swa > 0 && n > 0 && l.ctx.SeqPosMin(s.id) > max(0, n-l.swa) {
		// The sliding-window layers no longer hold the window before position n: the prefix
		// cannot be continued from there.
		l.ctx.SeqRm(s.id, -1, -1)
		s.cache, n, s.restored = s.cache[:0], 0, false
	}
	if n < len(s.cache) {
		if !l.ctx.SeqRm(s.id, n, -1) {
			// The cache cannot drop a suffix (recurrent models): start from nothing.
			l.ctx.SeqRm(s.id, -1, -1)
			n = 0
			s.restored = false
		}
		s.cache = s.cache[:n]
	}
	s.cached = n
	s.nPast = n
	s.pending = j.prompt[n:]
}

// step decodes one batch and samples every slot whose output it holds.
func (l *loop) step() {
	b := l.batch
	b.Clear()
	// A draft model's guesses are made while the batch is built: their time is the step's.
	t0, p0 := time.Now(), l.produced
	if l.drafter != nil {
		l.drafter.caughtUp = 0
	}
	free := l.makeRoom() // may end a request, so the slots are counted after it
	generating := 0
	for _, s := range l.slots {
		if !s.idle() && s.gen {
			generating++
		}
	}
	// spare is the room for this step's drafts and prompt tokens, after one token for each
	// generating slot.
	spare := free - generating
	left := generating
	for _, s := range l.slots {
		s.out = -1
		if !s.idle() && s.gen {
			s.out = b.Add(s.last, s.nPast, s.id, true)
			s.cache = append(s.cache, s.last)
			s.nPast++
			left--
			l.addDraft(s, min(l.nBatch-b.Len()-left, spare))
			spare -= len(s.draft)
		}
	}
	budget := min(l.nBatch-b.Len(), spare)
	if generating > 0 {
		budget = min(budget, prefillChunkBusy)
	}
	for _, s := range l.slots {
		if budget <= 0 {
			break
		}
		if s.idle() || s.gen || len(s.pending) == 0 {
			continue
		}
		n := min(budget, len(s.pending))
		last := n == len(s.pending)
		for i := 0; i < n; i++ {
			idx := b.Add(s.pending[i], s.nPast+i, s.id, last && i == n-1)
			if last && i == n-1 {
				s.out = idx
			}
		}
		s.cache = append(s.cache, s.pending[:n]...)
		s.nPast += n
		s.pending = s.pending[n:]
		budget -= n
	}
	if b.Len() == 0 {
		return
	}
	defer l.countCells()
	l.freeSharedCells()
	pure, drafted := l.genOnly(b.Len())
	err := l.ctx.Decode(b)
	l.progress.Add(int64(b.Len()))
	if err != nil {
		l.decodeFailed(err)
		return
	}
	for _, s := range l.slots {
		if s.out < 0 || s.idle() {
			continue
		}
		l.sample(s)
	}
	if pure && l.spec && (l.drafter == nil || l.drafter.caughtUp <= 2*draftLen) {
		l.pace.observe(drafted, l.produced-p0, time.Since(t0).Seconds())
	}
}

// genOnly says whether a batch of n tokens holds generation only (no prefill), so its time
// says what generating costs, and whether any slot drafted in it.
func (l *loop) genOnly(n int) (pure, drafted bool) {
	gen := 0
	for _, s := range l.slots {
		if !s.idle() && s.gen {
			gen += 1 + len(s.draft)
			drafted = drafted || len(s.draft) > 0
		}
	}
	return gen == n, drafted
}

// makeRoom keeps the running requests inside a KV cache their slots share. Idle slots'
// cached prefixes give way to them (freeSharedCells, once the batch is built); when the running
// sequences alone leave no cell for this step (one token for each generating slot, or one
// prompt token when none generates), the request that started last ends so that the earlier
// ones go on: first come, first served, so an answer under way is never cut for a newcomer's
// prompt. (A decode that found no room would fail them all; llama-server does that.) It
// returns the cells the running requests leave free; without a shared cache, the most a batch
// can hold.
func (l *loop) makeRoom() int {
	if !l.shared {
		return l.nBatch
	}
	for {
		used, gen, waiting := 0, 0, 0
		var newest *slot
		for _, s := range l.slots {
			if s.idle() {
				continue
			}
			used += len(s.cache)
			if s.gen {
				gen++
			} else if len(s.pending) > 0 {
				waiting++
			}
			if newest == nil || s.started.After(newest.started) {
				newest = s
			}
		}
		need := gen
		if gen == 0 && waiting > 0 {
			need = 1
		}
		if newest == nil || used+need <= l.cells {
			return l.cells - used
		}
		l.cut(newest, used)
	}
}

// cut ends a running request whose sequence no longer fits the shared cache beside the others'
// (makeRoom), and frees its cells: an answer under way ends as cut for length, as at the end
// of the context; a prompt not yet read is refused, to be sent again when others finish.
func (l *loop) cut(s *slot, used int) {
	l.log.Info("the shared KV cache is full: ending the request that started last", "slot", s.id, "tokens", len(s.cache), "in_use", used, "cells", l.cells)
	if s.gen {
		l.finish(s, engine.FinishLength, "")
	} else {
		l.fail(s.job, engine.Errorf(engine.KindUnavailable,
			"the context that parallel requests share is full (%d of %d tokens in use); send the request again when others finish, or give each request its own context in Settings", used, l.cells))
		l.release(s)
	}
	l.ctx.SeqRm(s.id, -1, -1)
	s.cache = s.cache[:0]
}

// freeSharedCells drops the cached prefixes of idle slots, least recently used first, while
// the slots' sequences would overflow a KV cache they share.
func (l *loop) freeSharedCells() {
	if !l.shared {
		return
	}
	used := 0
	for _, s := range l.slots {
		used += len(s.cache)
	}
	for used > l.cells {
		var victim *slot
		for _, s := range l.slots {
			if s.idle() && len(s.cache) > 0 && (victim == nil || s.lastUsed.Before(victim.lastUsed)) {
				victim = s
			}
		}
		if victim == nil {
			return // the running sequences alone overflow it: the decode says so
		}
		l.ctx.SeqRm(victim.id, -1, -1)
		used -= len(victim.cache)
		victim.cache = victim.cache[:0]
	}
}

func (l *loop) countCells() {
	n := 0
	for _, s := range l.slots {
		n += len(s.cache)
	}
	l.kvUsed.Store(int64(n))
}

// decodeFailed fails every job in the batch and clears their sequences: their caches no
// longer match what llama.cpp holds.
func (l *loop) decodeFailed(err error) {
	l.log.Error("decode failed", "err", err)
	for _, s := range l.slots {
		if s.idle() {
			continue
		}
		msg := fmt.Sprintf("llama.cpp could not decode: %v", err)
		if errors.Is(err, llama.ErrNoKVSlot) {
			msg = "the KV cache is full; use a shorter prompt or a larger context"
		}
		l.ctx.SeqRm(s.id, -1, -1)
		s.cache = s.cache[:0]
		l.fail(s.job, engine.Errorf(engine.KindWorker, "%s", msg))
		l.release(s)
	}
}

func (l *loop) sample(s *slot) {
	if s.draft != nil {
		l.verify(s)
		return
	}
	tok := s.job.sampler.Sample(l.ctx, s.out)
	l.take(s, tok, s.out)
}

// take handles one sampled token of s, whose logits are at batch index idx, and says whether
// the slot goes on generating.
func (l *loop) take(s *slot, tok llama.Token, idx int) bool {
	j := s.job
	if s.firstAt.IsZero() {
		s.firstAt = time.Now()
	}
	if l.model.IsEOG(tok) {
		l.finish(s, engine.FinishStop, "")
		return false
	}
	s.tokens = append(s.tokens, tok)
	l.produced++
	piece := l.model.Piece(tok, false)
	var lp *engine.Logprob
	if j.req.Logprobs {
		lp = logprobOf(l.model, l.ctx.Logits(idx), tok, piece, j.req.TopLogprobs)
		if j.quiet {
			s.logprobs = append(s.logprobs, *lp)
		}
	}
	// The stop matcher also holds back a character split across tokens.
	emit, stopped, word := s.stop.Feed(string(piece))
	s.text = append(s.text, emit...)
	if !j.quiet {
		j.out.push(engine.StreamLine{Event: &engine.Event{Text: emit, Token: tok, Logprob: lp}})
	}
	switch {
	case stopped:
		l.finish(s, engine.FinishStop, word)
		return false
	case j.req.MaxTokens > 0 && len(s.tokens) >= j.req.MaxTokens:
		l.finish(s, engine.FinishLength, "")
		return false
	case s.nPast >= l.slotCtx:
		// Shifting goes on only up to an explicit limit: without one an answer that never
		// says EOS would run forever and hold its slot.
		if !j.req.ContextShift || j.req.MaxTokens <= 0 || !l.shift(s) {
			l.finish(s, engine.FinishLength, "")
			return false
		}
	}
	s.last = tok
	s.gen = true
	return true
}

// shift drops the older half of the tokens after the first Keep so generation can go on.
func (l *loop) shift(s *slot) bool {
	if !l.canShft {
		return false
	}
	keep := min(max(s.job.req.Keep, 0), s.nPast/2)
	if l.model.AddBOS() && keep == 0 {
		keep = 1
	}
	discard := (s.nPast - keep) / 2
	if discard <= 0 {
		return false
	}
	l.ctx.SeqRm(s.id, keep, keep+discard)
	l.ctx.SeqAdd(s.id, keep+discard, s.nPast, -discard)
	s.cache = append(s.cache[:keep], s.cache[keep+discard:]...)
	s.nPast -= discard
	l.log.Debug("context shifted", "slot", s.id, "discarded", discard)
	return true
}

func (l *loop) finish(s *slot, reason, word string) {
	j := s.job
	now := time.Now()
	if reason != engine.FinishStop || word == "" {
		// Nothing was cut by a stop string: what was held back belongs to the answer, a
		// character the last token left unfinished as U+FFFD.
		held := s.stop.Flush()
		tail := strings.ToValidUTF8(held, "\uFFFD")
		if tail != "" {
			s.text = append(s.text, tail...)
			if !j.quiet {
				j.out.push(engine.StreamLine{Event: &engine.Event{Text: tail, Token: -1}})
			}
		}
	}
	// The text, tokens and logprobs went out in the events; the client puts them together.
	res := &engine.CompletionResult{
		FinishReason: reason,
		StopWord:     word,
		Usage:        engine.Usage{PromptTokens: len(j.prompt), CachedTokens: s.cached, CompletionTokens: len(s.tokens)},
	}
	if j.quiet { // no events carried the answer
		res.Text, res.Tokens, res.Logprobs = string(s.text), s.tokens, s.logprobs
		if res.Tokens == nil {
			res.Tokens = []int32{}
		}
	}
	first := s.firstAt
	if first.IsZero() {
		first = now
	}
	t := &res.Timings
	t.QueueMs = ms(s.started.Sub(j.arrived))
	t.PromptMs = ms(first.Sub(s.started))
	t.FirstTokenM = ms(first.Sub(j.arrived))
	t.PredictMs = ms(now.Sub(first))
	t.Restored = s.restored
	t.DraftTokens, t.DraftAccepted = s.spec.drafted, s.spec.accepted
	if t.DraftTokens > 0 {
		t.DraftSource = l.draftSource()
	}
	if n := len(j.prompt) - s.cached; n > 0 && t.PromptMs > 0 {
		t.PromptPerS = float64(n) / (t.PromptMs / 1000)
	}
	if n := len(s.tokens) - 1; n > 0 && t.PredictMs > 0 {
		t.PredictPerS = float64(n) / (t.PredictMs / 1000)
	}
	// Remember the answer as the tokens the model produced. Where the text is not exactly
	// their bytes (a character left unfinished, shown as U+FFFD), the next turn still gets the
	// model's own tokens for it: what it produced, and what its cache holds.
	if l.history != nil && j.req.Prompt != "" && len(j.req.Tokens) == 0 && j.req.Suffix == "" &&
		word == "" && reason != engine.FinishCancelled {
		l.history.add(j.req.Prompt+string(s.text), append(append([]llama.Token(nil), j.prompt...), s.tokens...))
	}
	if j.req.SaveState && l.states != nil && reason != engine.FinishCancelled && len(s.cache) > 0 {
		l.states.save(l.ctx, s.id, s.cache)
	}
	j.out.push(engine.StreamLine{Done: res})
	j.sampler.Free()
	l.release(s)
}

// release frees the slot, keeping its cache for the next request's prefix. The job's end
// (finish or fail) has freed its sampler.
func (l *loop) release(s *slot) {
	if s.job != nil {
		l.busy.Add(-1)
	}
	s.job = nil
	s.gen = false
	s.pending = nil
	s.out = -1
	s.lastUsed = time.Now()
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
