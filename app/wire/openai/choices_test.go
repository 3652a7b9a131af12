package openai

import (
	"testing"

	"github.com/perchapp/perch/engine"
)

func TestChoices(t *testing.T) {
	if SeedFor(-1, 3) != -1 || SeedFor(10, 3) != 13 {
		t.Error("SeedFor: a random seed stays random, a fixed one moves by the choice")
	}
	base := engine.CompletionRequest{Model: "m", RequestOptions: engine.RequestOptions{Sampling: engine.Sampling{Seed: 5}}}
	jobs := CompletionJobs(base, []CompletionPrompt{{Text: "a"}, {Tokens: []int32{1, 2}}}, 2)
	if len(jobs) != 4 {
		t.Fatalf("%d jobs, want 2 prompts × 2 choices", len(jobs))
	}
	for k, j := range jobs {
		if j.Index != k || j.Prompt != k/2 || j.Req.Sampling.Seed != 5+int64(k%2) {
			t.Errorf("job %d: %+v", k, j)
		}
	}
	if jobs[1].Req.Prompt != "a" || len(jobs[3].Req.Tokens) != 2 || jobs[3].Req.Prompt != "" {
		t.Errorf("prompts %+v", jobs)
	}
	// Two prompts with two choices each: each prompt's tokens count once.
	us := []engine.Usage{{PromptTokens: 4, CachedTokens: 1, CompletionTokens: 2}, {PromptTokens: 4, CachedTokens: 4, CompletionTokens: 3},
		{PromptTokens: 6, CompletionTokens: 1}, {PromptTokens: 6, CompletionTokens: 1}}
	if got := SumUsage(us, 2); got != (engine.Usage{PromptTokens: 10, CachedTokens: 1, CompletionTokens: 7}) {
		t.Errorf("usage %+v", got)
	}
}
