package worker

import (
	"github.com/perchapp/perch/engine/llama"
)

// Prompt-lookup (n-gram) speculative decoding. A generating slot whose recent tokens occurred
// before, in its prompt or its answer, guesses that what followed them then follows now, and
// decodes those draft tokens in the same step as its next token. Every position is then
// sampled in order with the job's own sampler, and drafts are kept only while they equal what
// was sampled: the tokens, and the sampler's state (penalties, the random draw), are those of
// plain decoding, so the output does not change; only the number of steps does.
const (
	ngramMax   = 4  // the longest suffix looked up
	ngramMin   = 2  // the shortest; one token matches too often to be worth a guess
	draftStart = 4  // draft length at first
	draftLimit = 12 // and at most
	// A job whose drafts are mostly wrong stops drafting: verification is not free.
	specJudgeAfter = 48
	specMinRate    = 0.35
)

// spec is a slot's speculation state for its current job.
type spec struct {
	off      bool // switched off for this job
	max      int  // current draft length
	cool     int  // steps to wait before the next guess
	misses   int  // guesses in a row that were wrong from their first token
	drafted  int
	accepted int
	// hit and miss are decayed counts of draft positions that were right and wrong: the
	// chance that the next draft token is right is about (hit+1)/(hit+miss+2).
	hit, miss float64
}

// stepCosts remembers how long a decode step takes by the number of tokens in its batch, so
// a draft is only decoded when the tokens it is expected to win pay for the bigger batch.
// On a GPU a few more tokens cost almost nothing; on a CPU they can cost nearly as much as
// a step each.
type stepCosts [draftLimit + 8]float64

func (c *stepCosts) observe(n int, seconds float64) {
	if n <= 0 || n >= len(c) {
		return
	}
	switch {
	case c[n] == 0:
		c[n] = seconds
	case seconds < c[n]:
		c[n] += 0.5 * (seconds - c[n])
	default:
		// Slow steps are mostly other processes taking the cores; follow them slowly, or one
		// preempted step would keep a batch size judged too dear for good.
		c[n] += 0.05 * (seconds - c[n])
	}
}

// of is the cost of a batch of n tokens; unmeasured sizes are guessed from the nearest
// measured smaller one as nearly free, so each size is tried before it is judged.
func (c *stepCosts) of(n int) float64 {
	if n < len(c) && c[n] > 0 {
		return c[n]
	}
	for m := min(n, len(c)-1); m > 0; m-- {
		if c[m] > 0 {
			return c[m] * (1 + 0.02*float64(n-m))
		}
	}
	return 0
}

// worth returns how many of k draft tokens to decode in a batch that holds base tokens
// already: the number that gives the most expected tokens per second, or 0 when plain
// decoding gives more.
func (l *loop) worth(sp *spec, base, k int) int {
	p := (sp.hit + 1) / (sp.hit + sp.miss + 2)
	plain := l.costs.of(base)
	if plain <= 0 {
		return k // nothing measured yet
	}
	best, bestRate := 0, 1/plain
	expect, pi := 1.0, 1.0
	for n := 1; n <= k; n++ {
		pi *= p
		expect += pi
		if c := l.costs.of(base + n); c > 0 && expect/c > bestRate*1.03 {
			best, bestRate = n, expect/c
		}
	}
	return best
}

// specAllowed says whether j may speculate: its sampler must be one that sampling draft
// positions in order cannot disturb (a grammar is stateful across rejected positions' calls).
func (l *loop) specAllowed(s *slot) bool {
	j := s.job
	return l.spec && !s.spec.off && !j.req.NoDraft && j.req.Sampling.Grammar == "" && j.embed == nil
}

// draft proposes up to n tokens to follow s.last, or none.
func (l *loop) draft(s *slot, n int) []llama.Token {
	sp := &s.spec
	if sp.max == 0 {
		sp.max = draftStart
	}
	if sp.cool > 0 {
		sp.cool--
		return nil
	}
	n = min(n, sp.max)
	if n <= 0 {
		return nil
	}
	d := lookup(s.job.prompt, s.tokens, n)
	return d[:l.worth(sp, l.batch.Len(), len(d))]
}

// lookup finds the latest earlier occurrence of the sequence's last ngramMax..ngramMin tokens
// (the sequence is prompt followed by answer) and returns up to n tokens that followed it.
func lookup(prompt, answer []llama.Token, n int) []llama.Token {
	total := len(prompt) + len(answer)
	at := func(i int) llama.Token {
		if i < len(prompt) {
			return prompt[i]
		}
		return answer[i-len(prompt)]
	}
	for g := min(ngramMax, total-1); g >= ngramMin; g-- {
		// The suffix is at [total-g, total); candidates end before it.
		for start := total - g - 1; start >= 0; start-- {
			match := true
			for k := 0; k < g; k++ {
				if at(start+k) != at(total-g+k) {
					match = false
					break
				}
			}
			if !match {
				continue
			}
			from := start + g
			m := min(n, total-from)
			out := make([]llama.Token, m)
			for k := range out {
				out[k] = at(from + k)
			}
			return out
		}
	}
	return nil
}

// judge updates the draft length and the switch after a guess of d tokens of which a were
// right.
func (sp *spec) judge(d, a int) {
	sp.drafted += d
	sp.accepted += a
	sp.hit, sp.miss = 0.9*sp.hit+float64(a), 0.9*sp.miss
	if a < d {
		sp.miss++
	}
	switch {
	case a == d:
		sp.max = min(sp.max*2, draftLimit)
		sp.misses = 0
	case a == 0:
		sp.misses++
		sp.max = max(sp.max/2, 1)
		sp.cool = 1 << min(sp.misses, 5) // wrong guesses in a row back off
	default:
		sp.max = max(a+1, 2)
		sp.misses = 0
	}
	if sp.drafted >= specJudgeAfter && float64(sp.accepted) < specMinRate*float64(sp.drafted) {
		sp.off = true
	}
}

// addDraft adds to the batch up to room draft tokens after s.last, which was just added.
func (l *loop) addDraft(s *slot, room int) {
	if !l.specAllowed(s) {
		return
	}
	n := min(room, l.slotCtx-s.nPast)
	if mt := s.job.req.MaxTokens; mt > 0 {
		n = min(n, mt-len(s.tokens)-1)
	}
	d := l.draft(s, n)
	if len(d) == 0 {
		return
	}
	s.draft = d
	s.outs = append(s.outs[:0], s.out)
	for i, t := range d {
		s.outs = append(s.outs, l.batch.Add(t, s.nPast+i, s.id, true))
	}
	s.cache = append(s.cache, d...)
	s.nPast += len(d)
}

// verify samples a speculating slot's positions in order, keeps the drafts that match, drops
// the rest from the cache, and takes the sampled tokens.
func (l *loop) verify(s *slot) {
	d, outs := s.draft, s.outs
	s.draft, s.outs = nil, nil
	base := s.nPast - len(d) - 1 // the position of the token decoded before the drafts
	toks := s.sampled[:0]
	for i := 0; ; i++ {
		t := s.job.sampler.Sample(l.ctx, outs[i])
		toks = append(toks, t)
		if i == len(d) || t != d[i] || l.model.IsEOG(t) {
			break
		}
	}
	s.sampled = toks
	a := len(toks) - 1
	s.spec.judge(len(d), a)
	l.drafted.Add(int64(len(d)))
	l.accepted.Add(int64(a))
	keep := base + a + 1
	ok := true
	if keep < len(s.cache) {
		ok = l.ctx.SeqRm(s.id, keep, -1)
		if ok {
			s.cache = s.cache[:keep]
		}
	}
	j := s.job
	for i, t := range toks {
		s.nPast = base + i + 1
		if !l.take(s, t, outs[i]) {
			break
		}
	}
	if !ok {
		l.specFailed(s, j)
	}
}

// specFailed recovers from a cache that could not drop rejected drafts: the sequence is
// cleared and, if the job goes on, its prompt and answer are prefilled again without
// speculation. Speculation stays off in this worker; the first failure is logged.
func (l *loop) specFailed(s *slot, j *job) {
	if l.spec {
		l.log.Warn("speculative decoding failed: the KV cache could not drop rejected draft tokens; decoding without it", "slot", s.id)
	}
	l.spec = false
	l.ctx.SeqRm(s.id, -1, -1)
	s.cache = s.cache[:0]
	if s.job != j { // finished
		return
	}
	s.gen = false
	s.nPast = 0
	s.pending = append(append([]llama.Token(nil), j.prompt...), s.tokens...)
}
