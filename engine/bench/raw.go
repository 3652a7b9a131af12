package bench

import (
	"fmt"
	"time"

	"github.com/perchapp/perch/engine/llama"
)

// rawRun is one measurement of the bare llama.cpp loop.
type rawRun struct {
	ttft    time.Duration // prefill of the prompt and the first sample
	prefill float64       // prompt tokens per second
	decode  float64       // generated tokens per second after the first
}

// rawLoop is the ceiling the engine is measured against: llama.cpp driven directly, with no
// server, no worker process and no channels, using the same context and sampler settings.
type rawLoop struct {
	model *llama.Model
	ctx   *llama.Context
	batch *llama.Batch
	eos   llama.Token
}

func openRaw(path string, o llama.ContextOptions) (*rawLoop, error) {
	if err := llama.Init(""); err != nil {
		return nil, err
	}
	llama.SetLogSink(nil)
	m, err := llama.LoadModel(path, llama.ModelOptions{GPULayers: -1})
	if err != nil {
		return nil, err
	}
	c, err := m.NewContext(o)
	if err != nil {
		m.Close()
		return nil, err
	}
	return &rawLoop{model: m, ctx: c, batch: llama.NewBatch(c.NBatch()), eos: m.EOS()}, nil
}

func (r *rawLoop) close() {
	r.batch.Free()
	r.ctx.Close()
	r.model.Close()
}

// run prefills prompt in batches of n_batch, then decodes n tokens greedily with EOS banned, as
// the engine requests do.
func (r *rawLoop) run(prompt []int32, n int) (rawRun, error) {
	var out rawRun
	r.ctx.Clear()
	params := llama.SamplerParams{}
	if r.eos >= 0 {
		params.LogitBias = map[llama.Token]float32{r.eos: -100}
	}
	s, err := llama.NewSampler(r.model, params)
	if err != nil {
		return out, err
	}
	defer s.Free()
	start := time.Now()
	idx := 0
	for i := 0; i < len(prompt); i += r.batch.Cap() {
		r.batch.Clear()
		end := min(i+r.batch.Cap(), len(prompt))
		for j := i; j < end; j++ {
			idx = r.batch.Add(prompt[j], j, 0, j == len(prompt)-1)
		}
		if err := r.ctx.Decode(r.batch); err != nil {
			return out, fmt.Errorf("raw prefill: %w", err)
		}
	}
	tok := s.Sample(r.ctx, idx)
	out.ttft = time.Since(start)
	out.prefill = float64(len(prompt)) / out.ttft.Seconds()
	first := time.Now()
	pos := len(prompt)
	for k := 1; k < n; k++ {
		r.batch.Clear()
		idx = r.batch.Add(tok, pos, 0, true)
		pos++
		if err := r.ctx.Decode(r.batch); err != nil {
			return out, fmt.Errorf("raw decode: %w", err)
		}
		tok = s.Sample(r.ctx, idx)
	}
	out.decode = float64(n-1) / time.Since(first).Seconds()
	return out, nil
}
