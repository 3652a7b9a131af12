package worker

import (
	"time"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/chat"
	"github.com/perchapp/perch/engine/llama"
)

// slot is one sequence of the llama.cpp context: its cached tokens and the job it runs.
type slot struct {
	id int
	// cache mirrors the tokens held in the KV cache for this sequence, position by position.
	cache    []llama.Token
	lastUsed time.Time

	job     *job
	pending []llama.Token // prompt tokens not yet decoded
	nPast   int           // next position
	last    llama.Token   // sampled token waiting to be decoded
	gen     bool          // generating (else prefilling)
	out     int           // index of this slot's output in the current batch, -1 if none

	stop     *chat.StopMatcher
	text     []byte // the answer so far, for the history
	tokens   []int32
	logprobs []engine.Logprob // of a quiet job, sent with the final line

	spec     spec          // speculation state of this job
	draft    []llama.Token // draft tokens in the current batch, after last
	outs     []int         // batch indices of last and the drafts
	sampled  []llama.Token // scratch for verify
	cached   int
	restored bool
	started  time.Time
	firstAt  time.Time
}

func (s *slot) idle() bool { return s.job == nil }

// commonPrefix is the length of the longest common prefix of a and b.
func commonPrefix(a, b []llama.Token) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}
