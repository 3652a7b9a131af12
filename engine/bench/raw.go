package bench

import (
	"errors"
	"fmt"
	"runtime"
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

// prefill decodes prompt into sequence seq in batches of n_batch and returns the batch index of
// the last token's output.
func (r *rawLoop) prefill(prompt []int32, seq int) (int, error) {
	if len(prompt) == 0 {
		return 0, errors.New("raw prefill: empty prompt")
	}
	idx := 0
	for i := 0; i < len(prompt); i += r.batch.Cap() {
		r.batch.Clear()
		end := min(i+r.batch.Cap(), len(prompt))
		for j := i; j < end; j++ {
			idx = r.batch.Add(prompt[j], j, seq, j == len(prompt)-1)
		}
		if err := r.ctx.Decode(r.batch); err != nil {
			return 0, fmt.Errorf("raw prefill: %w", err)
		}
	}
	return idx, nil
}

// run prefills prompt in batches of n_batch, then decodes n tokens greedily with EOS banned, as
// the engine requests do.
func (r *rawLoop) run(prompt []int32, n int) (rawRun, error) {
	// As the worker's loop does: llama.cpp calls stay on one OS thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
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
	idx, err := r.prefill(prompt, 0)
	if err != nil {
		return out, err
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

// parallel decodes n tokens for each of k sequences together, one token per sequence per
// step, and returns the aggregate decode speed: the batched ceiling the engine's slots are
// measured against.
func (r *rawLoop) parallel(prompts [][]int32, n int) (float64, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	r.ctx.Clear()
	k := len(prompts)
	if k > r.batch.Cap() {
		return 0, fmt.Errorf("raw parallel: %d sequences do not fit a batch of %d tokens", k, r.batch.Cap())
	}
	samplers := make([]*llama.Sampler, k)
	for i := range samplers {
		params := llama.SamplerParams{}
		if r.eos >= 0 {
			params.LogitBias = map[llama.Token]float32{r.eos: -100}
		}
		s, err := llama.NewSampler(r.model, params)
		if err != nil {
			return 0, err
		}
		defer s.Free()
		samplers[i] = s
	}
	toks := make([]llama.Token, k)
	pos := make([]int, k)
	idx := make([]int, k)
	for i, p := range prompts {
		last, err := r.prefill(p, i)
		if err != nil {
			return 0, err
		}
		toks[i] = samplers[i].Sample(r.ctx, last)
		pos[i] = len(p)
	}
	start := time.Now()
	for step := 1; step < n; step++ {
		r.batch.Clear()
		for i := range prompts {
			idx[i] = r.batch.Add(toks[i], pos[i], i, true)
			pos[i]++
		}
		if err := r.ctx.Decode(r.batch); err != nil {
			return 0, fmt.Errorf("raw decode: %w", err)
		}
		for i := range prompts {
			toks[i] = samplers[i].Sample(r.ctx, idx[i])
		}
	}
	return float64(k*(n-1)) / time.Since(start).Seconds(), nil
}
