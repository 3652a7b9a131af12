package worker

import (
	"errors"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/llama"
)

// Prompt-lookup (n-gram) speculative decoding. A generating slot whose recent tokens occurred
// before, in its prompt or its answer, guesses that what followed them then follows now, and
// decodes those draft tokens in the same step as its next token. Every position is then
// sampled in order with the job's own sampler, and drafts are kept only while they equal what
// was sampled: the tokens, and the sampler's state (penalties, the random draw), are those of
// plain decoding, so the output does not change; only the number of steps does.
const (
	ngramMax = 4 // the longest suffix looked up
	ngramMin = 2 // the shortest; one token matches too often to be worth a guess
	// draftLen is the number of draft positions in every speculating step. It is fixed, and a
	// shorter guess is padded, because llama.cpp reuses its compute graph only while the
	// batch keeps its shape: on a CPU, rebuilding it costs several plain steps (stories260K:
	// 1.2 ms a plain step, 5 ms one of another size).
	draftLen = 4
	// A job whose drafts are mostly wrong stops drafting: verification is not free.
	specJudgeAfter = 48
	specMinRate    = 0.35
)

// spec is a slot's speculation state for its current job.
type spec struct {
	off      bool // switched off for this job
	real     int  // guessed (not padding) positions of the current draft
	cool     int  // steps to wait before the next guess
	misses   int  // guesses in a row that were wrong from their first token
	drafted  int
	accepted int
}

// specAllowed says whether j may speculate: its sampler must be one that sampling draft
// positions in order cannot disturb (a grammar is stateful across rejected positions' calls).
func (l *loop) specAllowed(s *slot) bool {
	j := s.job
	return l.spec && !s.spec.off && !j.req.NoDraft && j.req.Sampling.Grammar == "" && j.embed == nil && l.pace.allows()
}

// draft proposes draftLen tokens to follow s.last (n or more must fit), or none.
func (l *loop) draft(s *slot, n int) []llama.Token {
	sp := &s.spec
	if sp.cool > 0 {
		sp.cool--
		return nil
	}
	if n < draftLen {
		return nil // near the end: plain steps keep the graph as it is
	}
	var d []llama.Token
	if l.drafter != nil {
		d = l.modelDraft(s)
	} else {
		d = lookup(s.job.prompt, s.tokens, draftLen)
	}
	if len(d) == 0 {
		return nil
	}
	sp.real = len(d)
	for len(d) < draftLen {
		d = append(d, d[len(d)-1])
	}
	return d
}

// modelDraft asks the draft model for draftLen guesses after s's cached tokens. A draft model
// that fails leaves this request to plain decoding; the first failure is logged.
func (l *loop) modelDraft(s *slot) []llama.Token {
	d, err := l.drafter.propose(s.id, s.cache, draftLen)
	if err == nil || errors.Is(err, errDraftFull) {
		return d
	}
	if !l.drafter.logged {
		l.drafter.logged = true
		l.log.Warn("the draft model failed; this request goes on without it", "draft_model", l.drafter.name, "slot", s.id, "err", err)
	}
	s.spec.off = true
	l.drafter.forget(s.id)
	return nil
}

// draftSource names what made a worker's guesses, for the answer's timings.
func (l *loop) draftSource() string {
	if l.drafter != nil {
		return engine.DraftSourceModel
	}
	return engine.DraftSourceNgram
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
	if a == 0 {
		sp.misses++
		sp.cool = 1 << min(sp.misses, 5) // wrong guesses in a row back off
	} else {
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
	// Padding is not a guess: only the guessed positions count.
	guessed, right := s.spec.real, min(a, s.spec.real)
	s.spec.judge(guessed, right)
	l.drafted.Add(int64(guessed))
	l.accepted.Add(int64(right))
	keep := base + a + 1
	ok := true
	if keep < len(s.cache) {
		ok = l.dropTail(s.id, keep)
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

// dropTail drops a sequence's cache from position keep on. failDrop, when set (tests only),
// makes it fail as a cache that cannot drop a tail would.
func (l *loop) dropTail(seq, keep int) bool {
	if l.failDrop != nil && l.failDrop() {
		return false
	}
	return l.ctx.SeqRm(seq, keep, -1)
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

// pace compares the tokens per second of steps that carried drafts with those of plain steps,
// both with nothing but generation in them, and switches drafting off in this worker while
// it loses: draft positions cost more on some machines and models than they win (a CPU, a
// tiny model whose step is all overhead). It probes again after a while, since the load and
// the requests change.
type pace struct {
	specSec, specTok   float64
	plainSec, plainTok float64
	specN, plainN      int
	offFor             int // steps left with drafting off
}

const (
	paceMin   = 32   // steps of each kind before judging
	paceProbe = 2048 // plain steps before drafting is tried again
)

func (p *pace) observe(drafted bool, tokens int, seconds float64) {
	const keep = 0.98 // recent steps weigh more
	if drafted {
		p.specSec, p.specTok = p.specSec*keep+seconds, p.specTok*keep+float64(tokens)
		p.specN++
		return
	}
	p.plainSec, p.plainTok = p.plainSec*keep+seconds, p.plainTok*keep+float64(tokens)
	p.plainN++
	if p.offFor > 0 {
		p.offFor--
		if p.offFor == 0 { // probe again, judging drafted steps afresh
			p.specSec, p.specTok, p.specN = 0, 0, 0
		}
	}
}

// allows says whether drafting may run now.
func (p *pace) allows() bool {
	if p.offFor > 0 {
		return false
	}
	if p.specN < paceMin || p.plainN < paceMin || p.specSec <= 0 || p.plainSec <= 0 {
		return true
	}
	if p.specTok/p.specSec < p.plainTok/p.plainSec {
		p.offFor = paceProbe
		return false
	}
	return true
}
