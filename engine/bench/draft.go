package bench

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/perchapp/perch/engine"
)

// DraftResult compares decoding with a draft model against plain decoding, same prompt,
// runs interleaved, in one worker (the draft stays loaded; plain runs ask for no drafts).
type DraftResult struct {
	Model      string `json:"model"`
	DraftModel string `json:"draft_model"`
	Workload   string `json:"workload"`
	// Speedup is decode tokens per second with the draft model over without (medians).
	Speedup float64 `json:"spec_draft_speedup"`
	// Acceptance is accepted over drafted tokens.
	Acceptance float64 `json:"acceptance_rate"`
	Drafted    int     `json:"drafted_tokens"`
	Accepted   int     `json:"accepted_tokens"`
	PlainPerS  float64 `json:"plain_decode_tokens_per_s"`
	SpecPerS   float64 `json:"spec_decode_tokens_per_s"`
	// Identical is true when every drafted run's tokens equal plain decoding's (greedy).
	Identical bool `json:"identical"`
	Tokens    int  `json:"tokens"`
}

// multiResolver resolves bench names to files.
type multiResolver map[string]string

func (r multiResolver) Resolve(_ context.Context, name string) (engine.ModelRef, error) {
	p, ok := r[name]
	if !ok {
		return engine.ModelRef{}, engine.ErrUnknownModel
	}
	return engine.ModelRef{Name: name, Path: p, Digest: "bench:" + p}, nil
}

// SpecDraft measures the model at target with the draft model at draft: greedy, prompt
// "Once upon a time", o.DecodeTokens tokens (default 256), o.Runs runs of each (at least 3).
func SpecDraft(ctx context.Context, o Options, target, draft string) (DraftResult, error) {
	o.defaults()
	n := o.DecodeTokens
	if n <= 0 {
		n = 256
	}
	e, err := engine.New(engine.Config{
		Resolver: multiResolver{"target": target, "draft": draft}, Command: o.Command, RuntimeDir: o.WorkDir,
		Slots: 1, ContextLength: 2048, Threads: o.Threads, KeepAlive: -1,
	})
	if err != nil {
		return DraftResult{}, err
	}
	defer e.Close()
	req := engine.CompletionRequest{Model: "target", Prompt: "Once upon a time", NoCache: true, RequestOptions: engine.RequestOptions{
		MaxTokens: n, Sampling: engine.Sampling{Temperature: 0}, Load: engine.LoadOptions{DraftModel: "draft"}}}
	out := DraftResult{Model: target, DraftModel: draft, Identical: true,
		Workload: fmt.Sprintf("\"Once upon a time\", %d tokens, greedy", n)}
	var plain, spec []float64
	var want []int32
	for i := 0; i < max(o.Runs, 3)+1; i++ {
		for _, off := range []bool{true, false} {
			req.NoDraft = off
			var r streamRun
			res, err := e.Complete(ctx, req, r.record(time.Now()))
			if err != nil {
				return out, err
			}
			if off {
				want = res.Tokens
			} else if !slices.Equal(res.Tokens, want) {
				out.Identical = false
			}
			out.Tokens = len(res.Tokens)
			if i == 0 { // warms caches and the thread pool
				continue
			}
			if off {
				plain = append(plain, r.decode())
			} else {
				spec = append(spec, r.decode())
				out.Drafted += res.Timings.DraftTokens
				out.Accepted += res.Timings.DraftAccepted
			}
		}
	}
	id := func(f float64) float64 { return f }
	out.PlainPerS, out.SpecPerS = median(plain, id), median(spec, id)
	if out.PlainPerS > 0 {
		out.Speedup = out.SpecPerS / out.PlainPerS
	}
	if out.Drafted > 0 {
		out.Acceptance = float64(out.Accepted) / float64(out.Drafted)
	}
	return out, nil
}
