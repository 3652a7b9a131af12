package worker

import (
	"sync/atomic"
	"time"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/llama"
)

// job is one request waiting for, or running in, a slot.
type job struct {
	req     engine.CompletionRequest
	prompt  []llama.Token
	sampler *llama.Sampler
	out     *stream
	arrived time.Time
	// cancelled is set by the handler when its client goes away; the loop notices it at the
	// next step and frees the slot.
	cancelled atomic.Bool
	// quiet jobs send no per-token events: the final line carries the whole answer.
	quiet bool

	// embed is set for embedding jobs instead of req/prompt.
	embed *embedJob
}

// embedJob asks for pooled vectors of several inputs.
type embedJob struct {
	inputs    [][]llama.Token
	pooling   string
	normalize bool
	result    chan embedResult
}

type embedResult struct {
	vectors [][]float32
	err     error
}
