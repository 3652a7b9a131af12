package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/perchapp/perch/engine"
)

// TestModelDefaultsApplyAtLoad: a model's own context and keep-alive (Config.DefaultsFor)
// are what a request that names none loads it with, on a real model; a request's own num_ctx
// and keep_alive win, and other models keep the engine's defaults.
func TestModelDefaultsApplyAtLoad(t *testing.T) {
	keep := 30 * time.Minute
	e := newEngine(t, engine.Config{DefaultsFor: func(m string) engine.ModelDefaults {
		if m == "stories" {
			return engine.ModelDefaults{ContextLength: 512, KeepAlive: &keep}
		}
		return engine.ModelDefaults{}
	}})
	run := func(model string, numCtx int, keepAlive *time.Duration) engine.Status {
		t.Helper()
		req := greedy(model, "Once", 2)
		req.Load.ContextLength, req.KeepAlive = numCtx, keepAlive
		if _, err := e.Complete(context.Background(), req, nil); err != nil {
			t.Fatalf("%s num_ctx %d: %v", model, numCtx, err)
		}
		for _, st := range e.Loaded() {
			if st.Name == model {
				return st
			}
		}
		t.Fatalf("%s is not loaded", model)
		return engine.Status{}
	}
	expiresIn := func(st engine.Status) time.Duration { return time.Until(st.ExpiresAt).Round(time.Minute) }

	st := run("stories", 0, nil)
	if st.SlotCtx != 512 || expiresIn(st) != keep {
		t.Fatalf("without num_ctx or keep_alive: context %d, unloads in %s; want the model's own 512 and %s", st.SlotCtx, expiresIn(st), keep)
	}
	pid := st.PID
	if st = run("stories", 0, nil); st.PID != pid {
		t.Errorf("a second request without num_ctx reloaded the model (pid %d, was %d)", st.PID, pid)
	}
	minute := time.Minute
	if st = run("stories", 1024, &minute); st.SlotCtx != 1024 || expiresIn(st) != minute {
		t.Errorf("with num_ctx 1024 and keep_alive 1m: context %d, unloads in %s; the request's own must win", st.SlotCtx, expiresIn(st))
	}
	// A model without its own defaults loads with the engine's.
	if st = run("tiny", 0, nil); expiresIn(st) != 5*time.Minute {
		t.Errorf("a model without its own keep-alive unloads in %s, want the engine's 5m", expiresIn(st))
	}
}
