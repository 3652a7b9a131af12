package catalog

import "github.com/perchapp/perch/engine/memplan"

// Summary is the entry's shape with one quantization's file size, for a memory estimate made
// before anything is downloaded.
func (e Entry) Summary(q Quant) memplan.Summary {
	return memplan.Summary{Architecture: e.Shape.Architecture, FileBytes: q.Size,
		Layers: int(e.Shape.BlockCount), Heads: int(e.Shape.HeadCount), KVHeads: int(e.Shape.HeadCountKV),
		HeadDim: int(e.Shape.HeadDim), Embd: int(e.Shape.EmbeddingLength), Context: int(e.Shape.ContextLength),
		SlidingWindow: int(e.Shape.SlidingWindow), SWAPattern: int(e.Shape.SWAPattern),
		Vocab: int(e.Shape.Vocab), FFN: int(e.Shape.FeedForwardLength),
		ExpertFFN: int(e.Shape.ExpertFFN), ExpertsUsed: int(e.Shape.ExpertsUsed)}
}

// Candidates are the entry's quantizations as memory-estimate candidates.
func (e Entry) Candidates() ([]memplan.Candidate, error) {
	out := make([]memplan.Candidate, 0, len(e.Quants))
	for _, q := range e.Quants {
		s, err := memplan.ApproxShape(e.Summary(q))
		if err != nil {
			return nil, err
		}
		out = append(out, memplan.Candidate{Name: q.Name, Shape: s})
	}
	return out, nil
}
