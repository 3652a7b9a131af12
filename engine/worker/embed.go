package worker

import (
	"fmt"
	"sync/atomic"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/llama"
	"github.com/perchapp/perch/engine/vecmath"
)

// embedCtxMax caps the context of the embedding context a chat model gets on demand, so an
// embedding request does not reserve a chat-sized KV cache.
const embedCtxMax = 2048

// embedder computes pooled embeddings. An embedding model's worker embeds with its main
// context; a chat model gets a small second context on first use, sharing the weights.
type embedder struct {
	model   *llama.Model
	base    llama.ContextOptions
	ctx     *llama.Context
	own     bool // ctx was made here and is closed here
	pooling string
	encoder bool
	batch   *llama.Batch
	// limit is the longest input one sequence takes. It is fixed at the start, so handlers
	// read it while the loop replaces ctx.
	limit int
}

func newEmbedder(info llama.Info, m *llama.Model, base llama.ContextOptions, main *llama.Context) *embedder {
	e := &embedder{model: m, base: base, encoder: info.HasEncoder && !info.HasDecoder}
	if main != nil {
		e.ctx = main
		e.pooling = main.Pooling()
		e.batch = llama.NewBatch(main.NBatch())
		e.limit = min(main.NCtxSeq(), main.NBatch())
		return e
	}
	// The context made on first use holds one input of this size in one batch.
	e.limit = min(max(info.ContextLength, 64), embedCtxMax)
	if base.NCtx > 0 && base.NSeqMax > 0 {
		e.limit = min(e.limit, base.NCtx/base.NSeqMax)
	}
	return e
}

func (e *embedder) ensure(pooling string) error {
	if pooling == "" {
		pooling = e.pooling
	}
	if pooling == "" || pooling == "none" {
		pooling = "mean"
	}
	if e.ctx != nil && pooling == e.pooling {
		return nil
	}
	if e.own {
		e.ctx.Close()
		e.batch.Free()
	}
	n := e.limit
	o := e.base
	o.NCtx, o.NSeqMax, o.NBatch, o.NUBatch = n, 1, n, n
	o.Embeddings, o.Pooling = true, pooling
	c, err := e.model.NewContext(o)
	if err != nil {
		return fmt.Errorf("embedding context: %w", err)
	}
	e.ctx, e.own, e.pooling = c, true, pooling
	e.batch = llama.NewBatch(n)
	return nil
}

// embed computes j's vectors, giving up between inputs once cancelled is set.
// progress counts the tokens decoded, for the engine's watchdog.
func (e *embedder) embed(j *embedJob, cancelled *atomic.Bool, progress *atomic.Int64) ([][]float32, error) {
	if err := e.ensure(j.pooling); err != nil {
		return nil, engine.Errorf(engine.KindWorker, "%v", err)
	}
	limit := e.limit
	out := make([][]float32, 0, len(j.inputs))
	for i, in := range j.inputs {
		if cancelled.Load() {
			return nil, engine.Errorf(engine.KindCancelled, "cancelled")
		}
		if len(in) == 0 {
			return nil, engine.Errorf(engine.KindInvalid, "input %d is empty", i)
		}
		if len(in) > limit {
			return nil, &engine.Error{Kind: engine.KindContextExceeded, PromptTokens: len(in), ContextLength: limit,
				Message: fmt.Sprintf("input %d has %d tokens, more than the %d the embedding context holds; shorten it or ask for truncation", i, len(in), limit)}
		}
		// One input at a time: inputs are short, and a non-causal model needs each in one
		// ubatch anyway.
		e.batch.Clear()
		for p, t := range in {
			e.batch.Add(t, p, 0, true)
		}
		e.ctx.Clear()
		var err error
		if e.encoder {
			err = e.ctx.Encode(e.batch)
		} else {
			err = e.ctx.Decode(e.batch)
		}
		progress.Add(int64(len(in)))
		if err != nil {
			return nil, engine.Errorf(engine.KindWorker, "embedding input %d: %v", i, err)
		}
		v := e.ctx.SeqEmbedding(0)
		if v == nil {
			return nil, engine.Errorf(engine.KindWorker, "llama.cpp returned no pooled embedding (pooling %s)", e.pooling)
		}
		if j.normalize {
			vecmath.Normalize(v)
		}
		out = append(out, v)
	}
	e.ctx.Clear()
	return out, nil
}

func (e *embedder) close() {
	if e.own && e.ctx != nil {
		e.ctx.Close()
	}
	if e.batch != nil {
		e.batch.Free()
	}
}
