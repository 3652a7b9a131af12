package worker

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/llama"
)

// Draft-model speculative decoding: a small model of the target's tokenizer, loaded in this
// worker with its own context, guesses the next draftLen tokens greedily; the target then
// verifies them in one batch exactly as prompt-lookup guesses are verified (verify), so the
// output is plain decoding's.

// vocabSlack is how many more (or fewer) tokens a draft's vocabulary may have than its
// target's: models of one family often pad the embedding table differently. Guesses are
// limited to the tokens both know.
const vocabSlack = 128

// draftCatchup bounds the tokens the draft model prefills in one step, so a long prompt
// delays the other slots by a bounded step; a slot that is further behind drafts nothing
// until it has caught up.
const draftCatchup = 512

// drafter is the draft model and its context, one sequence per slot.
type drafter struct {
	name   string
	model  *llama.Model
	ctx    *llama.Context
	batch  *llama.Batch
	cache  [][]llama.Token // per slot: the tokens in the draft's KV cache, by position
	cells  int
	nVocab int // tokens both models know
	logged bool
	// caughtUp counts the tokens prefilled to catch up in this step: a step that paid for a
	// prompt says nothing about what drafting costs.
	caughtUp int
	// fail, when set (tests only), makes the next draft decode fail as a broken one would.
	fail func() bool
}

// loadDrafter loads the draft model at path for target and gives it a context of the
// target's shape (the same cells and sequences; a small model's cache is small).
func loadDrafter(path string, target *llama.Model, gpuLayers int, opts llama.ContextOptions) (*drafter, error) {
	bad := func(format string, a ...any) error {
		return &engine.Error{Kind: engine.KindInvalid, Param: "draft_model", Message: fmt.Sprintf(format, a...)}
	}
	m, err := llama.LoadModel(path, llama.ModelOptions{GPULayers: gpuLayers})
	if err != nil {
		return nil, bad("draft model %s: %v", filepath.Base(path), err)
	}
	if err := sameVocab(target, m); err != nil {
		m.Close()
		return nil, bad("draft model %s cannot draft for this model: %v. Pick a draft model of the same family (the same tokenizer), such as a smaller size of this model, or load without draft_model", filepath.Base(path), err)
	}
	if info := m.Info(); !info.HasDecoder || info.Recurrent || info.Hybrid {
		m.Close()
		return nil, bad("draft model %s cannot draft: it is not a plain decoder model (recurrent, hybrid and embedding models cannot drop rejected guesses)", filepath.Base(path))
	}
	opts.Embeddings, opts.Pooling = false, ""
	c, err := m.NewContext(opts)
	if err != nil {
		m.Close()
		return nil, &engine.Error{Kind: engine.KindTooLarge, Param: "draft_model", Message: fmt.Sprintf("draft model %s: %v", filepath.Base(path), err)}
	}
	d := &drafter{name: filepath.Base(path), model: m, ctx: c, batch: llama.NewBatch(c.NBatch()),
		cache: make([][]llama.Token, c.NSeqMax()), cells: c.NCtx(), nVocab: min(target.NVocab(), m.NVocab())}
	return d, nil
}

func (d *drafter) close() {
	d.batch.Free()
	d.ctx.Close()
	d.model.Close()
}

// sameVocab says how two models' tokenizers differ, if they do: a guess is a token id, so
// every id both know must mean the same text.
func sameVocab(target, draft *llama.Model) error {
	ti, di := target.Info(), draft.Info()
	switch {
	case ti.VocabType != di.VocabType:
		return fmt.Errorf("its tokenizer is %s, the model's is %s", di.VocabType, ti.VocabType)
	case abs(target.NVocab()-draft.NVocab()) > vocabSlack:
		return fmt.Errorf("its vocabulary has %d tokens, the model's %d", draft.NVocab(), target.NVocab())
	case target.BOS() != draft.BOS() || target.EOS() != draft.EOS():
		return fmt.Errorf("its start and end tokens are %d and %d, the model's %d and %d", draft.BOS(), draft.EOS(), target.BOS(), target.EOS())
	}
	for t := range llama.Token(min(target.NVocab(), draft.NVocab())) {
		if a, b := target.TokenText(t), draft.TokenText(t); a != b {
			return fmt.Errorf("token %d is %q in it and %q in the model", t, b, a)
		}
	}
	return nil
}

func abs(n int) int { return max(n, -n) }

// errDraftFull says the draft's cache has no room for a sequence; it is not a failure.
var errDraftFull = errors.New("draft cache full")

// propose returns up to n greedy guesses of the draft model to follow seq (slot seq's
// tokens, the last of them not yet decoded by the target), or none while it catches up.
func (d *drafter) propose(seq int, toks []llama.Token, n int) ([]llama.Token, error) {
	have := d.cache[seq]
	p := min(commonPrefix(have, toks), len(toks)-1) // the last token must be decoded for its logits
	if p < len(have) {
		if !d.ctx.SeqRm(seq, p, -1) {
			d.ctx.SeqRm(seq, -1, -1)
			p = 0
		}
		d.cache[seq] = have[:p]
	}
	behind := len(toks) - p
	if !d.makeRoom(seq, behind+n) {
		return nil, errDraftFull
	}
	chunk := min(behind, draftCatchup)
	d.caughtUp += chunk
	if err := d.decode(seq, toks[p:p+chunk], p, chunk == behind); err != nil {
		return nil, err
	}
	if chunk < behind {
		return nil, nil
	}
	var out []llama.Token
	for {
		t := d.greedy(d.batch.Len() - 1)
		out = append(out, t)
		if len(out) == n || d.model.IsEOG(t) {
			return out, nil
		}
		if err := d.decode(seq, []llama.Token{t}, len(toks)+len(out)-1, true); err != nil {
			return nil, err
		}
	}
}

// decode decodes toks at positions from pos on in sequence seq, in batches, with the last
// token's logits when last is set.
func (d *drafter) decode(seq int, toks []llama.Token, pos int, last bool) error {
	for len(toks) > 0 {
		d.batch.Clear()
		k := min(len(toks), d.batch.Cap())
		for i := range k {
			d.batch.Add(toks[i], pos+i, seq, last && i == len(toks)-1)
		}
		if d.fail != nil && d.fail() {
			return errors.New("decode failed (test)")
		}
		if err := d.ctx.Decode(d.batch); err != nil {
			return err
		}
		d.cache[seq] = append(d.cache[seq], toks[:k]...)
		toks, pos = toks[k:], pos+k
	}
	return nil
}

// greedy is the most likely token at batch index idx among those both models know.
func (d *drafter) greedy(idx int) llama.Token {
	logits := d.ctx.Logits(idx)
	best := 0
	for i, v := range logits[:d.nVocab] {
		if v > logits[best] {
			best = i
		}
	}
	return llama.Token(best)
}

// makeRoom frees other sequences' cached tokens, the longest first, while seq's next need
// tokens would not fit in the draft's cells (they are shared, like the target's).
func (d *drafter) makeRoom(seq, need int) bool {
	for {
		used := 0
		longest := -1
		for i, c := range d.cache {
			used += len(c)
			if i != seq && len(c) > 0 && (longest < 0 || len(c) > len(d.cache[longest])) {
				longest = i
			}
		}
		if used+need <= d.cells {
			return true
		}
		if longest < 0 {
			return false
		}
		d.ctx.SeqRm(longest, -1, -1)
		d.cache[longest] = d.cache[longest][:0]
	}
}

// forget clears a sequence after a failure, so the next guess starts from a clean cache.
func (d *drafter) forget(seq int) {
	d.ctx.SeqRm(seq, -1, -1)
	d.cache[seq] = d.cache[seq][:0]
}
