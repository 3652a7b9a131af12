package memplan

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/format"
)

// Planner is the engine's memory check before a load (engine.Planner): it reads the model's
// header, picks the context when none is asked, and says whether the model fits next to the
// resident ones. The engine unloads idle models and asks again when it does not.
type Planner struct {
	// Machine reports the memory now (app/system's snapshot, or a simulated Mac).
	Machine func(ctx context.Context) (Machine, error)
	// Slots and KVType are the engine's defaults for loads that do not say (4 and f16).
	Slots  int
	KVType string

	mu     sync.Mutex
	shapes map[string]Shape // by path: headers do not change under a content-addressed store
}

// Fit implements engine.Planner.
func (p *Planner) Fit(ctx context.Context, ref engine.ModelRef, opts engine.LoadOptions, resident []engine.Status) (engine.Fit, error) {
	if p.Machine == nil {
		return engine.Fit{}, errors.New("memory planner has no machine")
	}
	s, err := p.shape(ref.Path)
	if err != nil {
		return engine.Fit{}, err
	}
	m, err := p.Machine(ctx)
	if err != nil {
		return engine.Fit{}, fmt.Errorf("read memory: %w", err)
	}
	pl, err := p.Plan(s, m, opts, residents(resident))
	if err != nil {
		return engine.Fit{}, err
	}
	out := engine.Fit{Options: opts, Message: pl.Note, DefaultContext: pl.Options.Context}
	if opts.ContextLength > 0 {
		// What a load without num_ctx would get, so that such a request can be served by
		// this one when it has as much.
		def := opts
		def.ContextLength = 0
		if d, err := p.Plan(s, m, def, residents(resident)); err == nil {
			out.DefaultContext = d.Options.Context
		}
	}
	out.Options.Slots = pl.Options.Slots
	out.Options.ContextLength = pl.Options.Context
	out.Options.PerSlotKV = pl.Options.PerSlot
	out.Fits = pl.Fit.Verdict != TooLarge && len(pl.Fit.Unload) == 0
	if !out.Fits || out.Message == "" {
		out.Message = pl.Fit.Message
	}
	if ref.Draft != "" {
		return p.withDraft(out, pl.Fit, ref.Draft)
	}
	return out, nil
}

// withDraft counts a draft model, loaded in the same worker with a context of the model's
// shape, against the memory free beside the resident models.
func (p *Planner) withDraft(out engine.Fit, f Fit, path string) (engine.Fit, error) {
	ds, err := p.shape(path)
	if err != nil {
		return engine.Fit{}, fmt.Errorf("draft model: %w", err)
	}
	e, err := Compute(ds, f.Options)
	if err != nil {
		return engine.Fit{}, fmt.Errorf("draft model: %w", err)
	}
	need := f.TotalBytes + e.TotalBytes
	draft := fmt.Sprintf("its draft model %s needs %s more", filepath.Base(path), format.Memory(e.TotalBytes))
	switch {
	case need > f.BudgetBytes:
		out.Fits = false
		out.Message = fmt.Sprintf("too large with its draft model: the model needs %s and %s, but the budget is %s; load it without draft_model or pick a smaller draft", format.Memory(f.TotalBytes), draft, format.Memory(f.BudgetBytes))
	case need > f.FreeBytes:
		out.Fits = false // the engine unloads idle models and asks again
		out.Message = fmt.Sprintf("%s; %s (%s free)", out.Message, draft, format.Memory(f.FreeBytes))
	default:
		out.Message = fmt.Sprintf("%s; %s", out.Message, draft)
	}
	return out, nil
}

// Plan is how a model would be loaded and what that takes.
type Plan struct {
	// Options are the load's, with the planner's defaults and the context chosen.
	Options Options
	Fit     Fit
	// Note says why the context was chosen, when the load did not ask for one.
	Note string
}

// Plan decides a load of the model of shape s with opts on machine m beside the resident
// models (least recently used first), as Fit does: what `perch show` reports uses it too.
func (p *Planner) Plan(s Shape, m Machine, opts engine.LoadOptions, res []Resident) (Plan, error) {
	var used int64
	for _, r := range res {
		used += r.Bytes
	}
	b := BudgetFor(m, used)
	o := Options{Context: opts.ContextLength, Slots: opts.Slots, KVTypeK: opts.KVType, KVTypeV: opts.KVType,
		Batch: opts.BatchSize, FlashAttn: opts.FlashAttn, Backend: m.Backend(), PerSlot: opts.PerSlotKV}
	if o.Slots <= 0 {
		o.Slots = p.Slots
		if o.Slots <= 0 {
			o.Slots = 4
		}
	}
	if o.KVTypeK == "" {
		o.KVTypeK, o.KVTypeV = p.KVType, p.KVType
	}
	f, note, err := Judge(s, o, b, res)
	if err != nil {
		return Plan{}, err
	}
	return Plan{Options: f.Options, Fit: f, Note: note}, nil
}

func (p *Planner) shape(path string) (Shape, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if s, ok := p.shapes[path]; ok {
		return s, nil
	}
	s, err := ReadShape(path)
	if err != nil {
		return Shape{}, err
	}
	if p.shapes == nil {
		p.shapes = map[string]Shape{}
	}
	p.shapes[path] = s
	return s, nil
}

// residents turns the engine's loaded models into Residents, least recently used first: an
// idle model's expiry time orders them; busy ones (no expiry) come last.
func residents(st []engine.Status) []Resident {
	st = append([]engine.Status(nil), st...)
	sort.SliceStable(st, func(i, j int) bool {
		a, b := st[i].ExpiresAt, st[j].ExpiresAt
		switch {
		case a.IsZero() != b.IsZero():
			return !a.IsZero()
		default:
			return a.Before(b)
		}
	})
	out := make([]Resident, 0, len(st))
	for _, s := range st {
		mu := s.Memory
		n := max(mu.RSSBytes, mu.WeightsBytes+mu.KVBytes+mu.ComputeBytes+mu.OutputBytes)
		out = append(out, Resident{Name: strings.TrimSpace(s.Name), Bytes: n})
	}
	return out
}
