// Package bench measures the engine end to end (engine API → worker) against a raw llama.cpp
// decode loop on the same model in the same run: time to first token, prefill and decode
// speed, throughput with 1, 2 and 4 streams, a 10-turn chat, and a long conversation resumed
// from saved state versus prefilled again. Figures are medians of several runs, and the
// targets are ratios, because the machines are shared and noisy.
package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/chat"
	"github.com/perchapp/perch/engine/llama"
)

// Options choose what to measure.
type Options struct {
	// Name and Path of the model.
	Name, Path string
	// Threads for both the raw loop and the worker.
	Threads int
	// PromptTokens and DecodeTokens of the single-stream runs.
	PromptTokens, DecodeTokens int
	// Runs per measurement; the median is reported.
	Runs int
	// Streams are the concurrency levels (aggregate decode speed).
	Streams []int
	// Turns of the chat, each adding about TurnTokens user tokens and TurnTokens answer tokens.
	Turns, TurnTokens int
	// ResumeTokens is the length of the conversation resumed from saved state.
	ResumeTokens int
	// SlotCtx is each slot's context.
	SlotCtx int
	// WorkDir holds sockets and saved state.
	WorkDir string
	// Command starts a worker (default: this executable with "engine").
	Command []string
	// ThreadCounts are the thread counts of the single-stream comparison (default 1 and
	// every core); the rest of the run uses Threads.
	ThreadCounts []int
	// Progress receives a line per step; may be nil.
	Progress func(string)
}

func (o *Options) defaults() {
	if o.Threads <= 0 {
		o.Threads = runtime.NumCPU()
	}
	if o.PromptTokens <= 0 {
		o.PromptTokens = 128
	}
	if o.DecodeTokens <= 0 {
		o.DecodeTokens = 128
	}
	if o.Runs <= 0 {
		o.Runs = 5
	}
	if len(o.Streams) == 0 {
		o.Streams = []int{1, 2, 4}
	}
	if o.Turns <= 0 {
		o.Turns = 10
	}
	if o.TurnTokens <= 0 {
		o.TurnTokens = 50
	}
	if o.ResumeTokens <= 0 {
		o.ResumeTokens = 2000
	}
	if o.SlotCtx <= 0 {
		o.SlotCtx = 4096
	}
	if o.Progress == nil {
		o.Progress = func(string) {}
	}
}

// Speed is one path's single-stream figures.
type Speed struct {
	TTFTMs      float64 `json:"ttft_ms"`
	PrefillPerS float64 `json:"prefill_tokens_per_s"`
	DecodePerS  float64 `json:"decode_tokens_per_s"`
}

// Ratios are the targets' figures.
type Ratios struct {
	DecodeRatioVsRaw float64 `json:"decode_ratio_vs_raw"`
	// RawAggregate4Over1 is what batching four sequences gains in the raw loop: the ceiling
	// for Aggregate4Over1 on this machine and model.
	RawAggregate4Over1    float64 `json:"raw_aggregate_4_over_1"`
	TTFTOverheadMs        float64 `json:"ttft_overhead_ms"`
	Aggregate4Over1       float64 `json:"aggregate_4_over_1"`
	Turn10OverTurn1TTFT   float64 `json:"turn10_over_turn1_ttft"`
	ResumeOverPrefillTTFT float64 `json:"resume_over_prefill_ttft"`
	// WorstTurnOverTurn1TTFT is the slowest turn's first token over the first turn's.
	WorstTurnOverTurn1TTFT float64 `json:"worst_turn_over_turn1_ttft"`
}

// Result is everything one model's run measured.
type Result struct {
	Model        string          `json:"model"`
	Path         string          `json:"path"`
	Parameters   uint64          `json:"parameters"`
	Quantization string          `json:"quantization"`
	Threads      int             `json:"threads"`
	Runs         int             `json:"runs"`
	Raw          Speed           `json:"raw"`
	Engine       Speed           `json:"engine"`
	Aggregate    map[int]float64 `json:"aggregate_decode_tokens_per_s"`
	// RawAggregate is the raw loop decoding the same number of sequences in one batch.
	RawAggregate map[int]float64 `json:"raw_aggregate_decode_tokens_per_s"`
	TurnTTFTMs   []float64       `json:"turn_ttft_ms"`
	// TurnPrefill is the number of prompt tokens each turn had to prefill (not cached).
	TurnPrefill  []int   `json:"turn_prefill_tokens"`
	ResumeTTFTMs float64 `json:"resume_ttft_ms"`
	// PrefillAgainTTFTMs is the same conversation's first token with no saved state.
	PrefillAgainTTFTMs float64 `json:"prefill_again_ttft_ms"`
	// WorstTurn is the slowest turn of the chat (1-based) and its first token.
	WorstTurn       int     `json:"worst_turn"`
	WorstTurnTTFTMs float64 `json:"worst_turn_ttft_ms"`
	// ByThreads is the single-stream comparison at each of Options.ThreadCounts.
	ByThreads []ThreadResult `json:"by_threads"`
	// FirstTokenColdMs is from a fresh engine (no worker running) to a first request's first
	// token: worker start, model load, prefill, one step. The HTTP server's start is not in it.
	FirstTokenColdMs float64 `json:"first_token_cold_ms"`
	// RSSLoadedOverModelBytes is the worker's resident memory after load minus the model file
	// and the KV cache.
	RSSLoadedOverModelBytes int64 `json:"rss_loaded_over_model_bytes"`
	// Spec is speculative decoding on this model's bench prompt (random tokens: drafts rarely
	// right, so it should switch itself off and cost nothing).
	Spec   SpecResult `json:"spec_ngram"`
	Ratios Ratios     `json:"ratios"`
}

type resolver struct{ name, path string }

func (r resolver) Resolve(_ context.Context, name string) (engine.ModelRef, error) {
	if name != r.name {
		return engine.ModelRef{}, engine.ErrUnknownModel
	}
	return engine.ModelRef{Name: name, Path: r.path, Digest: "bench:" + r.path}, nil
}

// Run measures one model.
func Run(ctx context.Context, o Options) (*Result, error) {
	o.defaults()
	res := &Result{Model: o.Name, Path: o.Path, Threads: o.Threads, Runs: o.Runs, Aggregate: map[int]float64{}, RawAggregate: map[int]float64{}}
	cOpts := llama.ContextOptions{NCtx: o.SlotCtx * 4, NSeqMax: 4, NBatch: 512, NUBatch: 512, Threads: o.Threads}

	o.Progress("first token from a cold engine")
	coldPrompt := []int32(nil)
	// The raw loop and the engine are measured in turns, run by run, so noise from the rest
	// of the machine falls on both alike; they never run at the same moment.
	raw, err := openRaw(o.Path, cOpts)
	if err != nil {
		return nil, err
	}
	defer func() {
		if raw != nil {
			raw.close()
		}
	}()
	info := raw.model.Info()
	res.Parameters, res.Quantization = info.Parameters, info.FileType
	prompt := randomTokens(raw.model, o.PromptTokens, 1)
	coldPrompt = prompt
	eos := raw.model.EOS()
	longPrompt := randomTokens(raw.model, o.ResumeTokens, 2)
	turnTexts := make([]string, o.Turns)
	for i := range turnTexts {
		if turnTexts[i], err = raw.model.Detokenize(randomTokens(raw.model, o.TurnTokens, uint64(10+i))[1:], true, false); err != nil {
			return nil, err
		}
	}

	stateDir, err := os.MkdirTemp(o.WorkDir, "bench-state-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(stateDir)
	e, err := engine.New(engine.Config{
		Resolver: resolver{o.Name, o.Path}, Command: o.Command, RuntimeDir: o.WorkDir, StateDir: stateDir,
		Slots: 4, ContextLength: o.SlotCtx, Threads: o.Threads, KeepAlive: -1,
	})
	if err != nil {
		return nil, err
	}
	defer e.Close()
	bias := map[int32]float32{}
	if eos >= 0 {
		bias[eos] = -100
	}
	greedy := engine.Sampling{Temperature: 0, LogitBias: bias}
	if res.FirstTokenColdMs, err = coldFirstToken(ctx, o, coldPrompt, greedy); err != nil {
		return nil, err
	}
	if _, err := e.Load(ctx, o.Name, engine.LoadOptions{}, nil); err != nil {
		return nil, err
	}
	if res.RSSLoadedOverModelBytes, err = rssOverModel(ctx, e, o); err != nil {
		return nil, err
	}

	o.Progress("one stream: raw loop and engine, in turns")
	var rawRuns []rawRun
	var engRuns []streamRun
	for i := 0; i < o.Runs+1; i++ {
		r, err := raw.run(prompt, o.DecodeTokens)
		if err != nil {
			return nil, err
		}
		s, err := stream(ctx, e, engine.CompletionRequest{Model: o.Name, Tokens: prompt, NoCache: true, RequestOptions: engine.RequestOptions{NoDraft: true, MaxTokens: o.DecodeTokens, Sampling: greedy}})
		if err != nil {
			return nil, err
		}
		if i > 0 { // the first run warms caches and the thread pool
			rawRuns, engRuns = append(rawRuns, r), append(engRuns, s)
		}
	}
	res.Raw = Speed{
		TTFTMs:      median(rawRuns, func(r rawRun) float64 { return ms(r.ttft) }),
		PrefillPerS: median(rawRuns, func(r rawRun) float64 { return r.prefill }),
		DecodePerS:  median(rawRuns, func(r rawRun) float64 { return r.decode }),
	}
	res.Engine = Speed{
		TTFTMs:      median(engRuns, func(r streamRun) float64 { return ms(r.ttft) }),
		PrefillPerS: median(engRuns, func(r streamRun) float64 { return float64(len(prompt)) / r.ttft.Seconds() }),
		DecodePerS:  median(engRuns, func(r streamRun) float64 { return r.decode() }),
	}

	for _, n := range o.Streams {
		o.Progress(fmt.Sprintf("%d streams: raw loop and engine, in turns", n))
		prompts := make([][]int32, n)
		for i := range prompts {
			prompts[i] = randomTokens(raw.model, o.PromptTokens, uint64(100+i))
		}
		var rawAggs, aggs []float64
		for i := 0; i < o.Runs; i++ {
			ra, err := raw.parallel(prompts, o.DecodeTokens)
			if err != nil {
				return nil, err
			}
			a, err := aggregate(ctx, e, o.Name, prompts, o.DecodeTokens, greedy)
			if err != nil {
				return nil, err
			}
			rawAggs, aggs = append(rawAggs, ra), append(aggs, a)
		}
		id := func(f float64) float64 { return f }
		res.RawAggregate[n], res.Aggregate[n] = median(rawAggs, id), median(aggs, id)
	}
	raw.close()
	raw = nil

	if res.ByThreads, err = sweepThreads(ctx, e, o, prompt, greedy); err != nil {
		return nil, err
	}
	o.Progress("speculative decoding on and off, in turns")
	if res.Spec, err = speculation(ctx, e, engine.CompletionRequest{Model: o.Name, Tokens: prompt, RequestOptions: engine.RequestOptions{MaxTokens: o.DecodeTokens, Sampling: greedy}}, o.Runs); err != nil {
		return nil, err
	}
	res.Spec.Workload = "the run's random-token prompt, greedy"

	o.Progress(fmt.Sprintf("%d-turn chat", o.Turns))
	if res.TurnTTFTMs, res.TurnPrefill, err = turns(ctx, e, o.Name, turnTexts, o.TurnTokens, greedy); err != nil {
		return nil, err
	}

	o.Progress(fmt.Sprintf("%d-token conversation: resumed vs prefilled", o.ResumeTokens))
	if res.ResumeTTFTMs, res.PrefillAgainTTFTMs, err = resume(ctx, e, o.Name, longPrompt, greedy, stateDir, o.Runs); err != nil {
		return nil, err
	}

	r := &res.Ratios
	r.DecodeRatioVsRaw = res.Engine.DecodePerS / res.Raw.DecodePerS
	r.TTFTOverheadMs = res.Engine.TTFTMs - res.Raw.TTFTMs
	if one := res.Aggregate[1]; one > 0 {
		r.Aggregate4Over1 = res.Aggregate[4] / one
	}
	if one := res.RawAggregate[1]; one > 0 {
		r.RawAggregate4Over1 = res.RawAggregate[4] / one
	}
	if len(res.TurnTTFTMs) >= 2 && res.TurnTTFTMs[0] > 0 {
		r.Turn10OverTurn1TTFT = res.TurnTTFTMs[len(res.TurnTTFTMs)-1] / res.TurnTTFTMs[0]
	}
	if i, worst := worstTurn(res.TurnTTFTMs); i >= 0 {
		res.WorstTurn, res.WorstTurnTTFTMs = i+1, worst
		if res.TurnTTFTMs[0] > 0 {
			r.WorstTurnOverTurn1TTFT = worst / res.TurnTTFTMs[0]
		}
	}
	if res.PrefillAgainTTFTMs > 0 {
		r.ResumeOverPrefillTTFT = res.ResumeTTFTMs / res.PrefillAgainTTFTMs
	}
	return res, nil
}

// streamRun is one request's timing as a client of the engine sees it.
type streamRun struct {
	ttft  time.Duration
	times []time.Time // arrival of each generated token
}

func (s streamRun) decode() float64 {
	if len(s.times) < 2 {
		return 0
	}
	return float64(len(s.times)-1) / s.times[len(s.times)-1].Sub(s.times[0]).Seconds()
}

func stream(ctx context.Context, e *engine.Engine, req engine.CompletionRequest) (streamRun, error) {
	var r streamRun
	_, err := e.Complete(ctx, req, r.record(time.Now()))
	return r, err
}

// record is an event callback noting when each token arrived; the tokens of one step that
// arrive as one event (speculation) arrive together.
func (r *streamRun) record(start time.Time) func(engine.Event) error {
	return func(ev engine.Event) error {
		if ev.Token >= 0 {
			now := time.Now()
			if len(r.times) == 0 {
				r.ttft = now.Sub(start)
			}
			for range ev.Merged + 1 {
				r.times = append(r.times, now)
			}
		}
		return nil
	}
}

// aggregate runs one stream per prompt at once and counts the tokens generated while all of
// them were decoding, per second. The prompts are the raw loop's, so the two aggregates are
// measured on the same input.
func aggregate(ctx context.Context, e *engine.Engine, model string, prompts [][]int32, tokens int, s engine.Sampling) (float64, error) {
	runs := make([]streamRun, len(prompts))
	errs := make([]error, len(prompts))
	var wg sync.WaitGroup
	for i, p := range prompts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runs[i], errs[i] = stream(ctx, e, engine.CompletionRequest{Model: model, Tokens: p, NoCache: true, RequestOptions: engine.RequestOptions{NoDraft: true, MaxTokens: tokens, Sampling: s}})
		}()
	}
	wg.Wait()
	var from, to time.Time
	for i, r := range runs {
		if errs[i] != nil {
			return 0, errs[i]
		}
		if len(r.times) == 0 {
			return 0, fmt.Errorf("a stream produced no tokens")
		}
		if f := r.times[0]; from.IsZero() || f.After(from) {
			from = f
		}
		if l := r.times[len(r.times)-1]; to.IsZero() || l.Before(to) {
			to = l
		}
	}
	count := 0
	for _, r := range runs {
		for _, t := range r.times {
			if t.After(from) && !t.After(to) {
				count++
			}
		}
	}
	if !to.After(from) {
		// The streams did not all decode at once (a tiny model can finish a stream within
		// one read of another's first tokens): count every token over the whole span instead.
		return wholeSpan(runs)
	}
	return float64(count) / to.Sub(from).Seconds(), nil
}

// wholeSpan is the tokens of every stream per second, from the first token of any to the
// last of any.
func wholeSpan(runs []streamRun) (float64, error) {
	var first, last time.Time
	count := 0
	for _, r := range runs {
		count += len(r.times)
		if f := r.times[0]; first.IsZero() || f.Before(first) {
			first = f
		}
		if l := r.times[len(r.times)-1]; l.After(last) {
			last = l
		}
	}
	if !last.After(first) {
		return 0, fmt.Errorf("the streams' tokens all came at one instant; decode more tokens")
	}
	return float64(count) / last.Sub(first).Seconds(), nil
}

// turns holds a chat of len(texts) turns and returns each turn's time to first token.
func turns(ctx context.Context, e *engine.Engine, model string, texts []string, answer int, s engine.Sampling) ([]float64, []int, error) {
	var msgs []chat.Message
	out := make([]float64, 0, len(texts))
	var prefill []int
	for _, t := range texts {
		msgs = append(msgs, chat.Message{Role: "user", Content: t})
		start := time.Now()
		var first time.Duration
		res, err := e.Chat(ctx, engine.ChatRequest{Model: model, Messages: msgs, RequestOptions: engine.RequestOptions{MaxTokens: answer, Sampling: s}}, func(engine.ChatEvent) error {
			if first == 0 {
				first = time.Since(start)
			}
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		if first == 0 {
			first = time.Since(start)
		}
		msgs = append(msgs, res.Message)
		out = append(out, ms(first))
		prefill = append(prefill, res.Usage.PromptTokens-res.Usage.CachedTokens)
	}
	return out, prefill, nil
}

// resume saves a long conversation's state, unloads the model, and compares the next turn's
// first token when restored from disk with the same turn prefilled from nothing.
func resume(ctx context.Context, e *engine.Engine, model string, conv []int32, s engine.Sampling, stateDir string, runs int) (float64, float64, error) {
	first, err := e.Complete(ctx, engine.CompletionRequest{Model: model, Tokens: conv, RequestOptions: engine.RequestOptions{MaxTokens: 8, SaveState: true, Sampling: s}}, nil)
	if err != nil {
		return 0, 0, err
	}
	next := append(append(append([]int32(nil), conv...), first.Tokens...), conv[1:9]...)
	if err := waitForFile(stateDir, 30*time.Second); err != nil {
		return 0, 0, err
	}
	var restored, prefilled []float64
	for i := 0; i < runs; i++ {
		for _, noCache := range []bool{false, true} {
			if err := e.Unload(ctx, model); err != nil {
				return 0, 0, err
			}
			if _, err := e.Load(ctx, model, engine.LoadOptions{}, nil); err != nil {
				return 0, 0, err
			}
			r, err := stream(ctx, e, engine.CompletionRequest{Model: model, Tokens: next, NoCache: noCache, RequestOptions: engine.RequestOptions{MaxTokens: 2, Sampling: s}})
			if err != nil {
				return 0, 0, err
			}
			if noCache {
				prefilled = append(prefilled, ms(r.ttft))
			} else {
				restored = append(restored, ms(r.ttft))
			}
		}
	}
	id := func(f float64) float64 { return f }
	return median(restored, id), median(prefilled, id), nil
}

func waitForFile(dir string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if files, _ := filepath.Glob(filepath.Join(dir, "*", "*.kv")); len(files) > 0 {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("no saved state was written to %s", dir)
}

// randomTokens makes a prompt of n tokens (BOS first) from ordinary vocabulary entries.
func randomTokens(m *llama.Model, n int, seed uint64) []int32 {
	rng := rand.New(rand.NewPCG(seed, 99))
	out := make([]int32, 0, n)
	if b := m.BOS(); b >= 0 {
		out = append(out, b)
	}
	for len(out) < n {
		t := int32(rng.IntN(m.NVocab()))
		if m.IsControl(t) || m.IsEOG(t) {
			continue
		}
		out = append(out, t)
	}
	return out
}

func median[T any](xs []T, f func(T) float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	v := make([]float64, len(xs))
	for i, x := range xs {
		v[i] = f(x)
	}
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
