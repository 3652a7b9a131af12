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
