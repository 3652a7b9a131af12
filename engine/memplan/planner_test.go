package memplan

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perchapp/perch/engine"
)

func TestPlanner(t *testing.T) {
	path := filepath.Join(sharedDir(t), "models", "stories260K.gguf")
	ref := engine.ModelRef{Name: "stories", Path: path}
	mac := SimulatedMac(16 * gib)
	p := &Planner{Machine: func(context.Context) (Machine, error) { return mac, nil }}

	f, err := p.Fit(context.Background(), ref, engine.LoadOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// stories260K was trained for 2048 tokens: the whole of it, with the engine's 4 slots.
	if !f.Fits || f.Options.ContextLength != 2048 || f.Options.Slots != 4 || !strings.Contains(f.Message, "training context") {
		t.Errorf("empty machine: %+v", f)
	}

	// Loaded models fill the budget: it does not fit until the idle one goes.
	resident := []engine.Status{
		{Name: "busy", Memory: engine.MemoryUsage{RSSBytes: 4 * gib}},
		{Name: "idle", Memory: engine.MemoryUsage{WeightsBytes: 5*gib + 600<<20}, ExpiresAt: time.Now().Add(time.Minute)},
	}
	f, err = p.Fit(context.Background(), ref, engine.LoadOptions{ContextLength: 1024, Slots: 1}, resident)
	if err != nil {
		t.Fatal(err)
	}
	if f.Fits || !strings.Contains(f.Message, "unloading idle") || f.Options.ContextLength != 1024 {
		t.Errorf("full machine: %+v", f)
	}

	// A machine with no room at all.
	mac = Machine{TotalBytes: 1 * gib, AvailableBytes: 64 << 20}
	f, err = p.Fit(context.Background(), ref, engine.LoadOptions{ContextLength: 1024}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if f.Fits || !strings.Contains(f.Message, "too large") {
		t.Errorf("tiny machine: %+v", f)
	}

	if _, err := p.Fit(context.Background(), engine.ModelRef{Path: filepath.Join(t.TempDir(), "x.gguf")}, engine.LoadOptions{}, nil); err == nil {
		t.Error("missing file: no error")
	}
}

// TestPlannerPlan: Plan fills the planner's defaults and the machine's backend, chooses the
// context when none is asked, falls back to the capped training context when none fits, and
// judges exactly those options.
func TestPlannerPlan(t *testing.T) {
	s, err := ReadShape(filepath.Join(sharedDir(t), "models", "stories260K.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	p := &Planner{Slots: 3, KVType: "f32"}
	mac := SimulatedMac(16 * gib)
	pl, err := p.Plan(s, mac, engine.LoadOptions{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	o := pl.Options
	if o.Slots != 3 || o.KVTypeK != "f32" || o.Backend != BackendMetal || o.Context != 2048 || pl.Note == "" {
		t.Errorf("Plan on a Mac: %+v, note %q", o, pl.Note)
	}
	want, err := Check(s, Options{Context: 2048, Slots: 3, KVTypeK: "f32", KVTypeV: "f32", Backend: BackendMetal}, BudgetFor(mac, 0), nil)
	if err != nil || want.TotalBytes != pl.Fit.TotalBytes || want.Verdict != pl.Fit.Verdict {
		t.Errorf("Plan's fit %+v, Check's %+v (%v)", pl.Fit, want, err)
	}

	tiny := Machine{TotalBytes: 1 * gib, AvailableBytes: 64 << 20}
	pl, err = p.Plan(s, tiny, engine.LoadOptions{Slots: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if pl.Options.Context != FallbackContext(s) || pl.Options.Backend != BackendCPU || pl.Options.Slots != 1 || pl.Fit.Verdict != TooLarge || !strings.Contains(pl.Note, "does not fit") {
		t.Errorf("Plan on a tiny machine: %+v, verdict %s, note %q", pl.Options, pl.Fit.Verdict, pl.Note)
	}
}

func TestFallbackContext(t *testing.T) {
	for _, c := range []struct{ train, want int }{{0, 4096}, {256, 256}, {2048, 2048}, {131072, 4096}} {
		if got := FallbackContext(Shape{ContextLength: c.train}); got != c.want {
			t.Errorf("FallbackContext(training %d) = %d, want %d", c.train, got, c.want)
		}
	}
	if (Machine{AppleSilicon: true}).Backend() != BackendMetal || (Machine{}).Backend() != BackendCPU {
		t.Error("Machine.Backend: Apple Silicon is Metal, anything else the CPU")
	}
}
