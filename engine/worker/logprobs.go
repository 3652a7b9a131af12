package worker

import (
	"math"
	"sort"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/llama"
)

// logprobOf returns the log-probability of tok under the model's raw distribution (before
// sampling filters), with the top alternatives, as OpenAI reports them. piece is tok's text.
func logprobOf(m *llama.Model, logits []float32, tok llama.Token, piece []byte, top int) *engine.Logprob {
	if len(logits) == 0 {
		return nil
	}
	maxL := float32(math.Inf(-1))
	for _, v := range logits {
		if v > maxL {
			maxL = v
		}
	}
	var sum float64
	for _, v := range logits {
		sum += math.Exp(float64(v - maxL))
	}
	logZ := float64(maxL) + math.Log(sum)
	lp := &engine.Logprob{ID: tok, Token: string(piece), Bytes: piece, Logprob: float64(logits[tok]) - logZ}
	if top <= 0 {
		return lp
	}
	for _, id := range topK(logits, top) {
		p := m.Piece(llama.Token(id), false)
		lp.Top = append(lp.Top, engine.TopLogprob{ID: int32(id), Token: string(p), Bytes: p, Logprob: float64(logits[id]) - logZ})
	}
	return lp
}

// topK returns the indices of the k largest values, largest first, in one pass over the
// vocabulary (k is at most 20).
func topK(v []float32, k int) []int {
	k = min(k, len(v))
	idx := make([]int, 0, k+1)
	for i, x := range v {
		if len(idx) == k && x <= v[idx[k-1]] {
			continue
		}
		pos := sort.Search(len(idx), func(j int) bool { return v[idx[j]] < x })
		idx = append(idx, 0)
		copy(idx[pos+1:], idx[pos:])
		idx[pos] = i
		if len(idx) > k {
			idx = idx[:k]
		}
	}
	return idx
}
