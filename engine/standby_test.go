package engine_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/perchapp/perch/engine"
)

// A prewarmed engine hands its idle worker the first model: the worker that answers is the
// process started ahead of need, its output is plain decoding's, and a new idle one follows.
func TestPrewarmedWorkerServesFirstLoad(t *testing.T) {
	ctx := context.Background()
	plain := newEngine(t, engine.Config{})
	want, err := plain.Complete(ctx, greedy("stories", "Once upon a time", 24), nil)
	if err != nil {
		t.Fatal(err)
	}
	plain.Close()

	e := newEngine(t, engine.Config{})
	e.Prewarm()
	idle := e.IdleWorkerPID()
	if idle == 0 {
		t.Fatal("Prewarm started no idle worker")
	}
	got, err := e.Complete(ctx, greedy("stories", "Once upon a time", 24), nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.Text != want.Text {
		t.Errorf("prewarmed worker answered %q, plain start %q", got.Text, want.Text)
	}
	info, err := e.Info(ctx, "stories")
	if err != nil {
		t.Fatal(err)
	}
	if info.PID != idle {
		t.Errorf("the model runs in pid %d, not the idle worker %d", info.PID, idle)
	}
	deadline := time.Now().Add(10 * time.Second)
	for e.IdleWorkerPID() == 0 || e.IdleWorkerPID() == idle {
		if time.Now().After(deadline) {
			t.Fatal("no new idle worker after the first was used")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// An idle worker that died before it was needed is not a failed load: the model starts in a
// fresh process.
func TestPrewarmedWorkerGoneStartsFresh(t *testing.T) {
	e := newEngine(t, engine.Config{})
	e.Prewarm()
	idle := e.IdleWorkerPID()
	if idle == 0 {
		t.Fatal("Prewarm started no idle worker")
	}
	if err := syscall.Kill(idle, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let it die, so the hand-over finds a closed pipe
	res, err := e.Complete(context.Background(), greedy("stories", "Once upon a time", 8), nil)
	if err != nil {
		t.Fatalf("load after the idle worker died: %v", err)
	}
	if res.Usage.CompletionTokens != 8 {
		t.Errorf("answer %+v", res.Usage)
	}
}
