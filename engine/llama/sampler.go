package llama

import (
	"errors"
	"fmt"
	"math"
	"sort"

	yz "github.com/hybridgroup/yzma/pkg/llama"
)

// SamplerParams select the sampling chain. Zero values switch a stage off, except Temperature,
// where 0 means greedy.
type SamplerParams struct {
	Temperature      float32
	TopK             int
	TopP             float32
	MinP             float32
	TypicalP         float32
	RepeatPenalty    float32
	RepeatLastN      int
	PresencePenalty  float32
	FrequencyPenalty float32
	// Seed for the random draw; RandomSeed picks one.
	Seed      uint32
	LogitBias map[Token]float32
	// Grammar is GBNF text with a root rule; empty means unconstrained.
	Grammar string
}

// RandomSeed asks llama.cpp to seed the draw from the clock.
const RandomSeed = yz.DefaultSeed

// Sampler is a llama.cpp sampler chain for one sequence.
type Sampler struct {
	chain yz.Sampler
}

// ErrGrammar is returned when a GBNF grammar does not parse.
var ErrGrammar = errors.New("grammar does not parse")

// NewSampler builds the chain in llama.cpp's usual order: logit bias, grammar, penalties,
// top-k, typical, top-p, min-p, temperature, then the draw (or greedy at temperature 0).
func NewSampler(m *Model, p SamplerParams) (*Sampler, error) {
	if err := p.Validate(m); err != nil {
		return nil, err
	}
	chain := yz.SamplerChainInit(yz.SamplerChainDefaultParams())
	add := func(s yz.Sampler) { yz.SamplerChainAdd(chain, s) }
	if len(p.LogitBias) > 0 {
		keys := make([]Token, 0, len(p.LogitBias))
		for t := range p.LogitBias {
			keys = append(keys, t)
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
		biases := make([]yz.LogitBias, 0, len(keys))
		for _, t := range keys {
			b := p.LogitBias[t]
			if b <= -100 { // OpenAI's -100 means "never"
				b = float32(math.Inf(-1))
			}
			biases = append(biases, yz.LogitBias{Token: yz.Token(t), Bias: b})
		}
		add(yz.SamplerInitLogitBias(int32(m.nVocab), int32(len(biases)), &biases[0]))
	}
	if p.Grammar != "" {
		if err := checkCString("the grammar", p.Grammar); err != nil {
			yz.SamplerFree(chain)
			return nil, fmt.Errorf("%w: %w", ErrGrammar, err)
		}
		g := yz.SamplerInitGrammar(m.v, p.Grammar, "root")
		if g == 0 {
			yz.SamplerFree(chain)
			return nil, ErrGrammar
		}
		add(g)
	}
	repeat := p.RepeatPenalty
	if repeat == 0 {
		repeat = 1
	}
	if repeat != 1 || p.PresencePenalty != 0 || p.FrequencyPenalty != 0 {
		lastN := p.RepeatLastN
		if lastN == 0 {
			lastN = 64
		}
		add(yz.SamplerInitPenalties(int32(m.nVocab), int32(lastN), repeat, p.FrequencyPenalty, p.PresencePenalty))
	}
	if p.Temperature <= 0 {
		add(yz.SamplerInitGreedy())
		return &Sampler{chain: chain}, nil
	}
	if p.TopK > 0 {
		add(yz.SamplerInitTopK(int32(p.TopK)))
	}
	if p.TypicalP > 0 && p.TypicalP < 1 {
		add(yz.SamplerInitTypical(p.TypicalP, 1))
	}
	if p.TopP > 0 && p.TopP < 1 {
		add(yz.SamplerInitTopP(p.TopP, 1))
	}
	if p.MinP > 0 {
		add(yz.SamplerInitMinP(p.MinP, 1))
	}
	add(yz.SamplerInitTemp(p.Temperature))
	add(yz.SamplerInitDist(p.Seed))
	return &Sampler{chain: chain}, nil
}

// Validate checks the values a caller may get wrong, with a message that names the field.
func (p SamplerParams) Validate(m *Model) error {
	finite := func(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }
	switch {
	case !finite(p.Temperature) || p.Temperature < 0:
		return fmt.Errorf("temperature must be 0 or more, got %v", p.Temperature)
	case p.TopK < 0:
		return fmt.Errorf("top_k must be 0 or more, got %d", p.TopK)
	case !finite(p.TopP) || p.TopP < 0 || p.TopP > 1:
		return fmt.Errorf("top_p must be between 0 and 1, got %v", p.TopP)
	case !finite(p.MinP) || p.MinP < 0 || p.MinP > 1:
		return fmt.Errorf("min_p must be between 0 and 1, got %v", p.MinP)
	case !finite(p.TypicalP) || p.TypicalP < 0 || p.TypicalP > 1:
		return fmt.Errorf("typical_p must be between 0 and 1, got %v", p.TypicalP)
	case !finite(p.RepeatPenalty) || p.RepeatPenalty < 0:
		return fmt.Errorf("repeat_penalty must be 0 or more, got %v", p.RepeatPenalty)
	case p.RepeatLastN < -1:
		return fmt.Errorf("repeat_last_n must be -1 or more, got %d", p.RepeatLastN)
	case !finite(p.PresencePenalty) || p.PresencePenalty < -2 || p.PresencePenalty > 2:
		return fmt.Errorf("presence_penalty must be between -2 and 2, got %v", p.PresencePenalty)
	case !finite(p.FrequencyPenalty) || p.FrequencyPenalty < -2 || p.FrequencyPenalty > 2:
		return fmt.Errorf("frequency_penalty must be between -2 and 2, got %v", p.FrequencyPenalty)
	}
	for t, b := range p.LogitBias {
		if m != nil && !m.ValidToken(t) {
			return fmt.Errorf("logit_bias names token %d, outside the vocabulary (0..%d)", t, m.nVocab-1)
		}
		if !finite(b) && !math.IsInf(float64(b), -1) {
			return fmt.Errorf("logit_bias for token %d is not a number", t)
		}
	}
	return nil
}

// Sample picks the next token from output idx of the last Decode and records it in the chain
// (penalties, grammar).
func (s *Sampler) Sample(c *Context, idx int) Token {
	return Token(yz.SamplerSample(s.chain, c.c, int32(idx)))
}

// Free releases the chain.
func (s *Sampler) Free() {
	if s != nil && s.chain != 0 {
		yz.SamplerFree(s.chain)
		s.chain = 0
	}
}

// CheckGrammar reports whether GBNF text parses, without keeping a sampler.
func CheckGrammar(m *Model, grammar string) error {
	if err := checkCString("the grammar", grammar); err != nil {
		return fmt.Errorf("%w: %w", ErrGrammar, err)
	}
	g := yz.SamplerInitGrammar(m.v, grammar, "root")
	if g == 0 {
		return ErrGrammar
	}
	yz.SamplerFree(g)
	return nil
}
