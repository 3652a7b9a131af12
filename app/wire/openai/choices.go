package openai

import "github.com/perchapp/perch/engine"

// Several choices (n) of one request, for chat and legacy completions.

// SeedFor gives choice i its own seed, so n choices differ unless sampling is greedy.
func SeedFor(seed int64, i int) int64 {
	if seed < 0 {
		return seed
	}
	return seed + int64(i)
}

// SumUsage totals choices made n per prompt, in order: each prompt counts once, every
// choice's completion counts.
func SumUsage(us []engine.Usage, n int) engine.Usage {
	var out engine.Usage
	for i, u := range us {
		if i%n == 0 {
			out.PromptTokens += u.PromptTokens
			out.CachedTokens += u.CachedTokens
		}
		out.CompletionTokens += u.CompletionTokens
	}
	return out
}

// CompletionJob is one (prompt, choice) pair; Index is its place in choices.
type CompletionJob struct {
	Index  int
	Prompt int
	Req    engine.CompletionRequest
}

// CompletionJobs makes the n choices of each prompt, each choice with its own seed.
func CompletionJobs(base engine.CompletionRequest, prompts []CompletionPrompt, n int) []CompletionJob {
	jobs := make([]CompletionJob, 0, len(prompts)*n)
	for p, pr := range prompts {
		for i := range n {
			req := base
			req.Prompt, req.Tokens = pr.Text, pr.Tokens
			req.Sampling.Seed = SeedFor(base.Sampling.Seed, i)
			jobs = append(jobs, CompletionJob{Index: p*n + i, Prompt: p, Req: req})
		}
	}
	return jobs
}
