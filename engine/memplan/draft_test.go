package memplan

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perchapp/perch/engine"
)

// TestPlannerCountsDraftModel: a load with a draft model needs the draft's weights, cache and
// compute too, at the model's context: it does not fit where only the model would, and idle
// models are unloaded for it.
func TestPlannerCountsDraftModel(t *testing.T) {
	models := filepath.Join(sharedDir(t), "models")
	target, draft := filepath.Join(models, "stories260K.gguf"), filepath.Join(models, "llama-2-tiny-random.gguf")
	opts := engine.LoadOptions{ContextLength: 1024, Slots: 1}
	p := &Planner{}
	s, err := p.shape(target)
	if err != nil {
		t.Fatal(err)
	}
	big := Machine{TotalBytes: 64 * gib, AvailableBytes: 32 * gib}
	pl, err := p.Plan(s, big, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := p.shape(draft)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Compute(ds, pl.Fit.Options)
	if err != nil {
		t.Fatal(err)
	}
	need, margin := pl.Fit.TotalBytes, cpuMargin(big.TotalBytes)
	cases := []struct {
		name     string
		mac      Machine
		resident []engine.Status
		fits     bool
		says     string
	}{
		{"room for both", big, nil, true, "its draft model llama-2-tiny-random.gguf needs"},
		{"room for the model only", Machine{TotalBytes: big.TotalBytes, AvailableBytes: margin + need + d.TotalBytes/2}, nil, false, "too large with its draft model"},
		{"room once an idle model goes", Machine{TotalBytes: big.TotalBytes, AvailableBytes: margin + need + d.TotalBytes/2},
			[]engine.Status{{Name: "idle", Memory: engine.MemoryUsage{WeightsBytes: 4 * gib}, ExpiresAt: time.Now().Add(time.Minute)}}, false, "free)"},
	}
	for _, c := range cases {
		p.Machine = func(context.Context) (Machine, error) { return c.mac, nil }
		alone, err := p.Fit(context.Background(), engine.ModelRef{Path: target}, opts, c.resident)
		if err != nil || !alone.Fits {
			t.Fatalf("%s: the model alone should fit: %+v %v", c.name, alone, err)
		}
		f, err := p.Fit(context.Background(), engine.ModelRef{Path: target, Draft: draft}, opts, c.resident)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %q", c.name, f.Message)
		if f.Fits != c.fits || !strings.Contains(f.Message, c.says) {
			t.Errorf("%s: fits %v, %q; want %v and %q", c.name, f.Fits, f.Message, c.fits, c.says)
		}
	}
}
