package bench

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"time"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/llama"
)

// ThreadResult is the single-stream comparison at one thread count.
type ThreadResult struct {
	Threads          int     `json:"threads"`
	Raw              Speed   `json:"raw"`
	Engine           Speed   `json:"engine"`
	DecodeRatioVsRaw float64 `json:"decode_ratio_vs_raw"`
	TTFTOverheadMs   float64 `json:"ttft_overhead_ms"`
}

// SpecResult compares decoding with prompt-lookup speculation against without, same prompt,
// runs interleaved.
type SpecResult struct {
	Model    string `json:"model"`
	Workload string `json:"workload"`
	// Speedup is decode tokens per second with speculation over without (medians).
	Speedup float64 `json:"spec_ngram_speedup"`
	// Acceptance is accepted over drafted tokens.
	Acceptance float64 `json:"acceptance_rate"`
	Drafted    int     `json:"drafted_tokens"`
	PlainPerS  float64 `json:"plain_decode_tokens_per_s"`
	SpecPerS   float64 `json:"spec_decode_tokens_per_s"`
}

// threadCounts is 1 and every core, or what was asked.
func (o *Options) threadCounts() []int {
	if len(o.ThreadCounts) > 0 {
		return o.ThreadCounts
	}
	all := runtime.NumCPU()
	if all == 1 {
		return []int{1}
	}
	return []int{1, all}
}

// sweepThreads measures the raw loop and the engine, single stream, at each thread count: the
// worker is loaded again with that many threads, and the two paths alternate run by run.
func sweepThreads(ctx context.Context, e *engine.Engine, o Options, prompt []int32, s engine.Sampling) ([]ThreadResult, error) {
	var out []ThreadResult
	for _, n := range o.threadCounts() {
		o.Progress(fmt.Sprintf("one stream at %d threads: raw loop and engine, in turns", n))
		raw, err := openRaw(o.Path, llama.ContextOptions{NCtx: o.SlotCtx * 4, NSeqMax: 4, NBatch: 512, NUBatch: 512, Threads: n})
		if err != nil {
			return nil, err
		}
		if err := e.Unload(ctx, o.Name); err != nil {
			raw.close()
			return nil, err
		}
		if _, err := e.Load(ctx, o.Name, engine.LoadOptions{Threads: n}, nil); err != nil {
			raw.close()
			return nil, err
		}
		req := engine.CompletionRequest{Model: o.Name, Tokens: prompt, NoCache: true, RequestOptions: engine.RequestOptions{MaxTokens: o.DecodeTokens, NoDraft: true, Sampling: s, Load: engine.LoadOptions{Threads: n}}}
		raws, engs, err := alternate(ctx, e, raw, req, prompt, o.DecodeTokens, o.Runs)
		raw.close()
		if err != nil {
			return nil, err
		}
		r := ThreadResult{Threads: n, Raw: rawSpeed(raws), Engine: engineSpeed(engs, len(prompt))}
		r.DecodeRatioVsRaw = r.Engine.DecodePerS / r.Raw.DecodePerS
		r.TTFTOverheadMs = r.Engine.TTFTMs - r.Raw.TTFTMs
		out = append(out, r)
	}
	// Back to the run's own thread count for what follows.
	if err := e.Unload(ctx, o.Name); err != nil {
		return nil, err
	}
	_, err := e.Load(ctx, o.Name, engine.LoadOptions{}, nil)
	return out, err
}

// alternate runs the raw loop and the engine in turns, runs+1 times each, dropping the first
// (it warms caches and the thread pool).
func alternate(ctx context.Context, e *engine.Engine, raw *rawLoop, req engine.CompletionRequest, prompt []int32, n, runs int) ([]rawRun, []streamRun, error) {
	var raws []rawRun
	var engs []streamRun
	for i := 0; i < runs+1; i++ {
		r, err := raw.run(prompt, n)
		if err != nil {
			return nil, nil, err
		}
		s, err := stream(ctx, e, req)
		if err != nil {
			return nil, nil, err
		}
		if i > 0 {
			raws, engs = append(raws, r), append(engs, s)
		}
	}
	return raws, engs, nil
}

func rawSpeed(runs []rawRun) Speed {
	return Speed{
		TTFTMs:      median(runs, func(r rawRun) float64 { return ms(r.ttft) }),
		PrefillPerS: median(runs, func(r rawRun) float64 { return r.prefill }),
		DecodePerS:  median(runs, func(r rawRun) float64 { return r.decode }),
	}
}

func engineSpeed(runs []streamRun, promptLen int) Speed {
	return Speed{
		TTFTMs:      median(runs, func(r streamRun) float64 { return ms(r.ttft) }),
		PrefillPerS: median(runs, func(r streamRun) float64 { return float64(promptLen) / r.ttft.Seconds() }),
		DecodePerS:  median(runs, func(r streamRun) float64 { return r.decode() }),
	}
}

// speculation decodes the same request with and without drafting, in turns.
func speculation(ctx context.Context, e *engine.Engine, req engine.CompletionRequest, runs int) (SpecResult, error) {
	var plain, spec []float64
	drafted, accepted := 0, 0
	req.NoCache = true
	for i := 0; i < runs+1; i++ {
		for _, off := range []bool{true, false} {
			req.NoDraft = off
			var r streamRun
			start := time.Now()
			res, err := e.Complete(ctx, req, r.record(start))
			if err != nil {
				return SpecResult{}, err
			}
			if i == 0 {
				continue
			}
			if off {
				plain = append(plain, r.decode())
			} else {
				spec = append(spec, r.decode())
				drafted += res.Timings.DraftTokens
				accepted += res.Timings.DraftAccepted
			}
		}
	}
	id := func(f float64) float64 { return f }
	out := SpecResult{Model: req.Model, PlainPerS: median(plain, id), SpecPerS: median(spec, id), Drafted: drafted}
	if out.PlainPerS > 0 {
		out.Speedup = out.SpecPerS / out.PlainPerS
	}
	if drafted > 0 {
		out.Acceptance = float64(accepted) / float64(drafted)
	}
	return out, nil
}

// SpecStories measures speculation where drafts are often right: stories260K (path) telling
// its own story from "Once upon a time"; its stories repeat names and phrases.
func SpecStories(ctx context.Context, o Options, path string) (SpecResult, error) {
	o.defaults()
	e, err := engine.New(engine.Config{
		Resolver: resolver{"stories260K", path}, Command: o.Command, RuntimeDir: o.WorkDir,
		Slots: 1, ContextLength: 2048, Threads: o.Threads, KeepAlive: -1,
	})
	if err != nil {
		return SpecResult{}, err
	}
	defer e.Close()
	req := engine.CompletionRequest{Model: "stories260K", Prompt: "Once upon a time", RequestOptions: engine.RequestOptions{MaxTokens: 400, Sampling: engine.Sampling{Temperature: 0}}}
	r, err := speculation(ctx, e, req, max(o.Runs, 3))
	r.Workload = "stories260K continuing its own story from \"Once upon a time\", 400 tokens, greedy"
	return r, err
}

// coldFirstToken starts a fresh engine (no worker running) and times a first request from
// then to its first token: the worker's start, the model's load, the prefill and one step.
func coldFirstToken(ctx context.Context, o Options, prompt []int32, s engine.Sampling) (float64, error) {
	start := time.Now()
	e, err := engine.New(engine.Config{
		Resolver: resolver{o.Name, o.Path}, Command: o.Command, RuntimeDir: o.WorkDir,
		Slots: 4, ContextLength: o.SlotCtx, Threads: o.Threads, KeepAlive: -1,
	})
	if err != nil {
		return 0, err
	}
	defer e.Close()
	var r streamRun
	if _, err := e.Complete(ctx, engine.CompletionRequest{Model: o.Name, Tokens: prompt, RequestOptions: engine.RequestOptions{MaxTokens: 2, Sampling: s}}, r.record(start)); err != nil {
		return 0, err
	}
	return ms(r.ttft), nil
}

// rssOverModel is the worker's resident memory beyond the model file and its KV cache.
func rssOverModel(ctx context.Context, e *engine.Engine, o Options) (int64, error) {
	wi, err := e.Info(ctx, o.Name)
	if err != nil {
		return 0, err
	}
	st, err := os.Stat(o.Path)
	if err != nil {
		return 0, err
	}
	return wi.Memory.RSSBytes - st.Size() - wi.Memory.KVBytes, nil
}

// worstTurn returns the index and TTFT of the slowest turn.
func worstTurn(ttfts []float64) (int, float64) {
	if len(ttfts) == 0 {
		return -1, 0
	}
	i := slices.Index(ttfts, slices.Max(ttfts))
	return i, ttfts[i]
}
