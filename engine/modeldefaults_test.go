package engine_test

import (
	"context"
	"testing"
	"time"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/sharedtest"
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

// latestResolver resolves "stories" as the library does a name without a tag: to the model
// named "stories:latest".
type latestResolver struct{ path string }

func (l latestResolver) Resolve(_ context.Context, name string) (engine.ModelRef, error) {
	if name != "stories" && name != "stories:latest" {
		return engine.ModelRef{}, engine.ErrUnknownModel
	}
	return engine.ModelRef{Name: "stories:latest", Path: l.path, Digest: "sha256:stories"}, nil
}

// TestModelDefaultsByResolvedName: defaults saved under the model's full name apply to a
// request by a short name, and the next such request is served without a reload.
func TestModelDefaultsByResolvedName(t *testing.T) {
	e := newEngine(t, engine.Config{Resolver: latestResolver{sharedtest.Model(t, "stories260K.gguf")},
		DefaultsFor: func(m string) engine.ModelDefaults {
			if m == "stories:latest" {
				return engine.ModelDefaults{ContextLength: 512}
			}
			return engine.ModelDefaults{}
		}})
	var pid int
	for i := range 2 {
		if _, err := e.Complete(context.Background(), greedy("stories", "Once", 2), nil); err != nil {
			t.Fatal(err)
		}
		st := e.Loaded()[0]
		if st.SlotCtx != 512 || (i == 1 && st.PID != pid) {
			t.Fatalf("request %d by the short name: context %d, pid %d (was %d); want 512 from one load", i+1, st.SlotCtx, st.PID, pid)
		}
		pid = st.PID
	}
}
