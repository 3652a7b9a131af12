package engine_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/enginetest"
	"github.com/perchapp/perch/engine/memplan"
	"github.com/perchapp/perch/engine/sharedtest"
)

// sizedPlanner is a planner with a budget in units: every model takes one unit, and it fits
// when the resident models leave room. It stands in for the memory planner, so the scheduler
// (eviction, serialized loads, 507s) is tested on real workers without real memory sizes.
type sizedPlanner struct {
	budget int
	delay  time.Duration // each plan takes this long, so concurrent loads overlap

	mu    sync.Mutex
	plans []string // "model:residents" per call
}

func (p *sizedPlanner) Fit(ctx context.Context, ref engine.ModelRef, opts engine.LoadOptions, resident []engine.Status) (engine.Fit, error) {
	select {
	case <-time.After(p.delay):
	case <-ctx.Done():
		return engine.Fit{}, ctx.Err()
	}
	p.mu.Lock()
	p.plans = append(p.plans, fmt.Sprintf("%s:%d", ref.Name, len(resident)))
	p.mu.Unlock()
	if p.budget < 1 {
		return engine.Fit{Options: opts, Message: "too large: needs 1 unit but the budget is 0; try a smaller model"}, nil
	}
	return engine.Fit{Options: opts, Fits: len(resident)+1 <= p.budget, Message: fmt.Sprintf("%d of %d units in use", len(resident), p.budget)}, nil
}

func (p *sizedPlanner) calls() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.plans)
}

// threeModels names three models, each its own identity, on the stories file.
func threeModels(t *testing.T) enginetest.Files {
	p := sharedtest.Model(t, "stories260K.gguf")
	return enginetest.Files{"a": p, "b": p, "c": p}
}

func loadedNames(e *engine.Engine) []string {
	var out []string
	for _, b := range e.Resident() {
		out = append(out, b.Name)
	}
	return out
}

func mustLoad(t *testing.T, e *engine.Engine, model string) {
	t.Helper()
	if _, err := e.Load(context.Background(), model, engine.LoadOptions{}, nil); err != nil {
		t.Fatalf("load %s: %v", model, err)
	}
}

// TestEvictsLeastRecentlyUsedIdle: with room for two, a third model unloads the idle one used
// least recently.
func TestEvictsLeastRecentlyUsedIdle(t *testing.T) {
	e := newEngine(t, engine.Config{Resolver: threeModels(t), Planner: &sizedPlanner{budget: 2}, Slots: 1})
	mustLoad(t, e, "a")
	mustLoad(t, e, "b")
	if _, err := e.Complete(context.Background(), greedy("a", "Once", 2), nil); err != nil {
		t.Fatal(err)
	}
	mustLoad(t, e, "c")
	if got := loadedNames(e); !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("resident %v, want [a c] (b was idle longest)", got)
	}
}

func TestMaxLoaded(t *testing.T) {
	e := newEngine(t, engine.Config{Resolver: threeModels(t), MaxLoaded: 1, Slots: 1})
	mustLoad(t, e, "a")
	mustLoad(t, e, "b")
	if got := loadedNames(e); !slices.Equal(got, []string{"b"}) {
		t.Errorf("resident %v, want [b]", got)
	}
}

func TestKeepAliveExpiry(t *testing.T) {
	// Long enough that a load on a busy machine does not outlast a's keep-alive.
	e := newEngine(t, engine.Config{Resolver: threeModels(t), KeepAlive: 3 * time.Second, Slots: 1})
	mustLoad(t, e, "a")
	zero := time.Duration(0)
	if _, err := e.Load(context.Background(), "b", engine.LoadOptions{}, &zero); err != nil {
		t.Fatal(err)
	}
	if got := loadedNames(e); !slices.Equal(got, []string{"a"}) {
		t.Errorf("right after: resident %v, want [a] (b had keep_alive 0)", got)
	}
	deadline := time.Now().Add(15 * time.Second)
	for len(e.Resident()) > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := loadedNames(e); len(got) != 0 {
		t.Errorf("after the keep-alive: resident %v", got)
	}
}

// TestConcurrentLoadsDoNotOvercommit: two loads that fit only one at a time, started
// together, are planned one after the other: the second sees the first and unloads it (it is
// idle), so the two are never resident together.
func TestConcurrentLoadsDoNotOvercommit(t *testing.T) {
	p := &sizedPlanner{budget: 1, delay: 150 * time.Millisecond}
	e := newEngine(t, engine.Config{Resolver: threeModels(t), Planner: p, Slots: 1})
	var wg sync.WaitGroup
	for _, m := range []string{"a", "b"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mustLoad(t, e, m)
		}()
	}
	wg.Wait()
	if got := loadedNames(e); len(got) != 1 {
		t.Errorf("resident %v: two models that fit only one at a time are both loaded", got)
	}
	calls := p.calls()
	if !slices.ContainsFunc(calls, func(c string) bool { return strings.HasSuffix(c, ":1") }) {
		t.Errorf("plans %v: the second load was planned without the first", calls)
	}
}

// TestTooLargeAloneIs507: a model that does not fit even alone gets a too-large error that
// says what to try, and nothing is loaded.
func TestTooLargeAloneIs507(t *testing.T) {
	small := func(context.Context) (memplan.Machine, error) { return memplan.SimulatedMac(2 << 30), nil }
	e := newEngine(t, engine.Config{Planner: &memplan.Planner{Machine: small}})
	_, err := e.Load(context.Background(), "stories", engine.LoadOptions{}, nil)
	var ee *engine.Error
	if !errors.As(err, &ee) || ee.Kind != engine.KindTooLarge || !strings.Contains(ee.Message, "try") {
		t.Fatalf("err %v, want a too-large error saying what to try", err)
	}
	if n := len(e.Resident()); n != 0 {
		t.Errorf("%d models loaded", n)
	}
}

// TestCancelledRequestCancelsItsPlan: a load waiting for another load's plan is dropped when
// its request is cancelled, and never planned.
func TestCancelledRequestCancelsItsPlan(t *testing.T) {
	p := &sizedPlanner{budget: 3, delay: 500 * time.Millisecond}
	e := newEngine(t, engine.Config{Resolver: threeModels(t), Planner: p, Slots: 1})
	go e.Load(context.Background(), "a", engine.LoadOptions{}, nil)
	time.Sleep(100 * time.Millisecond) // a holds the planner
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := e.Load(ctx, "b", engine.LoadOptions{}, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v, want the request's deadline", err)
	}
	time.Sleep(700 * time.Millisecond)
	if calls := p.calls(); slices.ContainsFunc(calls, func(c string) bool { return strings.HasPrefix(c, "b:") }) {
		t.Errorf("plans %v: the cancelled load was planned", calls)
	}
}

// canonical resolves names as the library does: case-insensitive, ":latest" optional, one
// model (one digest) behind them all.
type canonical string

func (c canonical) Resolve(_ context.Context, name string) (engine.ModelRef, error) {
	if n := strings.TrimSuffix(strings.ToLower(name), ":latest"); n != "stories260k" {
		return engine.ModelRef{}, engine.ErrUnknownModel
	}
	return engine.ModelRef{Name: "stories260k:latest", Path: string(c), Digest: "sha256:0123"}, nil
}

// TestOneRunnerPerModel: the names of one model share one worker.
func TestOneRunnerPerModel(t *testing.T) {
	e := newEngine(t, engine.Config{Resolver: canonical(sharedtest.Model(t, "stories260K.gguf"))})
	for _, name := range []string{"stories260k", "Stories260K", "stories260k:latest"} {
		if _, err := e.Complete(context.Background(), greedy(name, "Once", 2), nil); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if got := loadedNames(e); len(got) != 1 {
		t.Errorf("resident %v, want one worker", got)
	}
	if err := e.Unload(context.Background(), "STORIES260K:latest"); err != nil {
		t.Fatal(err)
	}
	if n := len(e.Resident()); n != 0 {
		t.Errorf("%d still loaded after unloading by another name", n)
	}
}

// TestContextOptionsDoNotOutliveTheRequest: num_ctx is capped at the training context, a
// later request without num_ctx gets the default context again, and a smaller num_ctx is
// served by the loaded context.
func TestContextOptionsDoNotOutliveTheRequest(t *testing.T) {
	e := newEngine(t, engine.Config{})
	run := func(numCtx int) engine.Status {
		t.Helper()
		req := greedy("stories", "Once", 2)
		req.Load.ContextLength = numCtx
		if _, err := e.Complete(context.Background(), req, nil); err != nil {
			t.Fatalf("num_ctx %d: %v", numCtx, err)
		}
		st := e.Loaded()
		if len(st) != 1 {
			t.Fatalf("%d loaded", len(st))
		}
		return st[0]
	}
	if st := run(1_000_000); st.SlotCtx > 2048 {
		t.Errorf("num_ctx 1000000 on a model trained on 2048 loaded %d", st.SlotCtx)
	}
	if st := run(256); st.SlotCtx != 2048 {
		t.Errorf("num_ctx 256 reloaded the model (context %d); it fits in the loaded 2048", st.SlotCtx)
	}
	e.Unload(context.Background(), "stories")
	if st := run(256); st.SlotCtx != 256 {
		t.Fatalf("num_ctx 256 on a fresh load: %d", st.SlotCtx)
	}
	if st := run(0); st.SlotCtx != 2048 {
		t.Errorf("a request without num_ctx after num_ctx 256 ran at %d, want the default 2048", st.SlotCtx)
	}
	pid := e.Loaded()[0].PID
	if st := run(1024); st.PID != pid {
		t.Errorf("num_ctx 1024 reloaded a model loaded with 2048")
	}
}

// TestBadLoadOptions: each bad option is a 400 naming its field, and nothing is loaded.
func TestBadLoadOptions(t *testing.T) {
	e := newEngine(t, engine.Config{})
	for _, tc := range []struct {
		opts  engine.LoadOptions
		param string
	}{
		{engine.LoadOptions{ContextLength: 100}, "num_ctx"},
		{engine.LoadOptions{ContextLength: -1}, "num_ctx"},
		{engine.LoadOptions{Slots: 65}, "slots"},
		{engine.LoadOptions{Slots: -1}, "slots"},
		{engine.LoadOptions{KVType: "q5"}, "kv_type"},
		{engine.LoadOptions{FlashAttn: "maybe"}, "flash_attn"},
		{engine.LoadOptions{KVType: "q4_0", FlashAttn: "off"}, "flash_attn"},
	} {
		req := greedy("stories", "Once", 2)
		req.Load = tc.opts
		_, err := e.Complete(context.Background(), req, nil)
		var ee *engine.Error
		if !errors.As(err, &ee) || ee.Kind != engine.KindInvalid || ee.Param != tc.param {
			t.Errorf("%+v: err %v, want invalid %s", tc.opts, err, tc.param)
		}
	}
	if n := len(e.Resident()); n != 0 {
		t.Errorf("%d models loaded after bad options", n)
	}
}

// TestSharedCacheGivesWay: with one KV cache shared by the slots, the prefix an idle slot
// keeps cached gives way to a request that needs the cells.
func TestSharedCacheGivesWay(t *testing.T) {
	e := newEngine(t, engine.Config{Slots: 2, ContextLength: 256})
	// Two requests at once leave two cached prompts of 80 and 100 tokens; a third of
	// about 220 tokens with another beginning then needs cells one of them holds.
	var wg sync.WaitGroup
	for _, prompt := range []string{strings.Repeat("Once upon a time there was a girl. ", 6), strings.Repeat("The sun was hot and bright. ", 7)} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.Complete(context.Background(), greedy("stories", prompt, 4), nil); err != nil {
				t.Errorf("%q: %v", prompt, err)
			}
		}()
	}
	wg.Wait()
	if st := e.Loaded(); len(st) == 1 {
		t.Logf("cells used after two requests: %d of %d", st[0].Memory.KVUsedCells, st[0].Memory.KVCells)
	}
	if _, err := e.Complete(context.Background(), greedy("stories", strings.Repeat("The dog ran to the park. ", 18), 4), nil); err != nil {
		t.Fatalf("a request needing cells idle slots hold: %v", err)
	}
	if st := e.Loaded(); len(st) != 1 || st[0].SlotCtx != 256 || st[0].Slots != 2 {
		t.Errorf("loaded %+v", st)
	}
}
