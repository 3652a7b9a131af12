package memplan

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/perchapp/perch/engine/format"
)

// Verdict is the planner's answer.
type Verdict string

const (
	// Fits: the model fits next to what is loaded, with at least 10% of the budget to spare.
	Fits Verdict = "fits"
	// Tight: it fits only after unloading the models named in Fit.Unload, or with less than
	// 10% of the budget to spare.
	Tight Verdict = "tight"
	// TooLarge: it does not fit even with nothing else loaded.
	TooLarge Verdict = "too_large"
)

// headroom is the share of the budget a comfortable fit leaves free.
const headroom = 0.10

// Context defaults.
const (
	// CatalogContext is the context the catalog's sizing claims are stated at ("fits a 16 GB
	// Mac at 8K"); badges judge at the default context (Judge).
	CatalogContext = 8192
	// minContext is the smallest context worth loading a model with.
	minContext = 512
)

// Resident is a model Perch has loaded, listed least recently used first.
type Resident struct {
	Name  string `json:"name"`
	Bytes int64  `json:"bytes"`
}

// Fit is an estimate judged against a budget.
type Fit struct {
	Estimate
	BudgetBytes int64 `json:"budget_bytes"`
	// FreeBytes is the budget less the resident models.
	FreeBytes int64   `json:"free_bytes"`
	Verdict   Verdict `json:"verdict"`
	// MaxCtx is the largest context per slot (a multiple of 256, up to the training context)
	// that fits the budget with nothing else loaded; 0 when none does.
	MaxCtx int `json:"max_ctx"`
	// Unload names the resident models to unload first, when the verdict is tight for lack
	// of free memory.
	Unload     []string `json:"unload,omitempty"`
	BudgetRule string   `json:"budget_rule"`
	Message    string   `json:"message"`
}

// Check estimates the model with o and judges it against the budget and the resident models.
func Check(s Shape, o Options, b Budget, resident []Resident) (Fit, error) {
	e, err := Compute(s, o)
	if err != nil {
		return Fit{}, err
	}
	f := Fit{Estimate: e, BudgetBytes: b.Bytes, BudgetRule: b.Rule}
	var used int64
	for _, r := range resident {
		used += r.Bytes
	}
	f.FreeBytes = b.Bytes - used
	f.MaxCtx = MaxContext(s, e.Options, b.Bytes)
	need := e.TotalBytes
	switch {
	case need > b.Bytes:
		f.Verdict = TooLarge
	case need > f.FreeBytes:
		f.Verdict = Tight
		free := f.FreeBytes
		for _, r := range resident {
			f.Unload = append(f.Unload, r.Name)
			free += r.Bytes
			if need <= free {
				break
			}
		}
	case float64(f.FreeBytes-need) < headroom*float64(b.Bytes):
		f.Verdict = Tight
	default:
		f.Verdict = Fits
	}
	f.Message = f.describe()
	return f, nil
}

func (f Fit) describe() string {
	need := fmt.Sprintf("needs %s (weights %s, KV cache %s, compute %s)", format.Memory(f.TotalBytes),
		format.Memory(f.WeightsBytes), format.Memory(f.KVBytes+f.StateBytes), format.Memory(f.ComputeBytes))
	switch f.Verdict {
	case Fits:
		return fmt.Sprintf("fits: %s of %s", need, format.Memory(f.FreeBytes))
	case Tight:
		if len(f.Unload) > 0 {
			return fmt.Sprintf("fits after unloading %s: %s, %s free now", strings.Join(f.Unload, ", "), need, format.Memory(f.FreeBytes))
		}
		return fmt.Sprintf("tight: %s of %s, less than %.0f%% to spare", need, format.Memory(f.FreeBytes), headroom*100)
	}
	if f.WeightsBytes+f.OverheadBytes > f.BudgetBytes {
		return fmt.Sprintf("too large: the weights alone need %s but the budget is %s; try a smaller quantization or a smaller model",
			format.Memory(f.WeightsBytes), format.Memory(f.BudgetBytes))
	}
	var try []string
	if f.MaxCtx >= minContext && f.MaxCtx < f.Context {
		try = append(try, fmt.Sprintf("a context of %d", f.MaxCtx))
	}
	if f.KVTypeK == "f16" {
		try = append(try, "a q8_0 KV cache")
	}
	if f.Slots > 1 {
		try = append(try, "fewer slots")
	}
	try = append(try, "a smaller quantization")
	return fmt.Sprintf("too large: %s but the budget is %s; try %s", need, format.Memory(f.BudgetBytes), strings.Join(try, ", or "))
}

// MaxContext is the largest context per slot, a multiple of 256 up to the training context
// (or 1M tokens when unknown), whose estimate fits in budget bytes; 0 when none does.
func MaxContext(s Shape, o Options, budget int64) int {
	limit := s.ContextLength
	if limit <= 0 {
		limit = 1 << 20
	}
	fits := func(ctx int) bool {
		o.Context = ctx
		e, err := Compute(s, o)
		return err == nil && e.TotalBytes <= budget
	}
	if !fits(min(256, limit)) {
		return 0
	}
	if fits(limit) {
		return limit
	}
	// The total grows with the context: binary search over multiples of 256.
	lo, hi := 1, limit/256 // fits(lo*256), !fits(hi*256)
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if fits(mid * 256) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo * 256
}

// ErrNoContextFits is returned by ChooseContext when not even a minimal context fits.
var ErrNoContextFits = errors.New("no context fits")

// ContextSteps are the contexts a default is chosen from, the way a careful user would.
var ContextSteps = []int{4096, 8192, 16384, 32768}

// FallbackContext is the context judged when none fits: the smallest step (or the training
// context when shorter), so that the verdict says by how much it misses.
func FallbackContext(s Shape) int { return trainedCap(s, ContextSteps[0]) }

// trainedCap caps n at the training context (when known).
func trainedCap(s Shape, n int) int {
	if s.ContextLength > 0 {
		return min(n, s.ContextLength)
	}
	return n
}

// ChooseContext picks the context when none is asked for: the largest of ContextSteps that
// fits the budget with the usual headroom, never above the training context; failing even
// the smallest step, the largest context up to it that fits at all. The message says which
// and why.
func ChooseContext(s Shape, o Options, budget int64) (int, string, error) {
	best := 0
	for _, step := range ContextSteps {
		o.Context = trainedCap(s, step)
		e, err := Compute(s, o)
		if err != nil {
			return 0, "", err
		}
		if float64(budget-e.TotalBytes) < headroom*float64(budget) {
			break
		}
		best = o.Context
		if best < step {
			break // the training context
		}
	}
	if best > 0 {
		why := fmt.Sprintf("the largest of 4K/8K/16K/32K that fits %s with %.0f%% to spare", format.Memory(budget), headroom*100)
		switch {
		case best == s.ContextLength:
			why = "the model's training context"
		case best == ContextSteps[len(ContextSteps)-1]:
			why = "the largest default step"
		}
		msg := fmt.Sprintf("context %d: %s", best, why)
		if s.ContextLength > best {
			msg += fmt.Sprintf(" (the model supports %d; ask for more with --ctx or num_ctx)", s.ContextLength)
		}
		return best, msg, nil
	}
	if most := min(MaxContext(s, o, budget), FallbackContext(s)); most >= minContext {
		return most, fmt.Sprintf("context %d: the largest that fits in %s (the model supports %d)",
			most, format.Memory(budget), s.ContextLength), nil
	}
	return 0, "", fmt.Errorf("%w: even %d tokens need more than %s", ErrNoContextFits, minContext, format.Memory(budget))
}

// Judge estimates a load the way the server makes it. With no context asked it takes the
// default context (ChooseContext) for what is free beside the resident models, failing that
// for the whole budget (idle models would be unloaded), failing that FallbackContext; an asked
// context is capped at the training context. note says which context the verdict assumes.
func Judge(s Shape, o Options, b Budget, res []Resident) (f Fit, note string, err error) {
	var used int64
	for _, r := range res {
		used += r.Bytes
	}
	if o.Context > 0 {
		o.Context = trainedCap(s, o.Context)
		note = fmt.Sprintf("context %d: as asked", o.Context)
	} else {
		n, why, err := ChooseContext(s, o, b.Bytes-used)
		if errors.Is(err, ErrNoContextFits) {
			n, why, err = ChooseContext(s, o, b.Bytes)
		}
		switch {
		case errors.Is(err, ErrNoContextFits):
			o.Context = FallbackContext(s)
			note = fmt.Sprintf("context %d: the smallest default, which does not fit", o.Context)
		case err != nil:
			return Fit{}, "", err
		default:
			o.Context, note = n, why
		}
	}
	f, err = Check(s, o, b, res)
	return f, note, err
}

// Candidate is one quantization of a catalog entry.
type Candidate struct {
	Name  string // Q4_K_M, Q8_0, ...
	Shape Shape
}

// Ranked is a candidate's fit.
type Ranked struct {
	Name string `json:"name"`
	Fit  Fit    `json:"fit"`
}

// BestQuant judges every quantization at its default context (Judge; o.Context overrides) and returns
// the best that fits: the one with the largest weights (the most bits per weight) among those
// that fit, else among those that are tight; best is "" when none does. The list is ordered
// from the largest weights down.
func BestQuant(cands []Candidate, o Options, b Budget, resident []Resident) (best string, all []Ranked, err error) {
	for _, c := range cands {
		f, _, err := Judge(c.Shape, o, b, resident)
		if err != nil {
			return "", nil, fmt.Errorf("%s: %w", c.Name, err)
		}
		all = append(all, Ranked{Name: c.Name, Fit: f})
	}
	// Rank by the file's tensor bytes: more bits per weight, better answers.
	size := map[string]int64{}
	for _, c := range cands {
		size[c.Name] = c.Shape.WeightsBytes()
	}
	sort.SliceStable(all, func(i, j int) bool { return size[all[i].Name] > size[all[j].Name] })
	for _, want := range []Verdict{Fits, Tight} {
		for _, r := range all {
			if r.Fit.Verdict == want {
				return r.Name, all, nil
			}
		}
	}
	return "", all, nil
}
