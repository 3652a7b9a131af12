package pulls

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// slowLib downloads 100 bytes a millisecond until ctx ends or size is reached.
type slowLib struct {
	mu        sync.Mutex
	size      int64
	got       map[string]int64
	discarded []string
}

func (l *slowLib) Pull(ctx context.Context, ref string, progress func(Progress)) error {
	for {
		l.mu.Lock()
		done := l.got[ref]
		l.mu.Unlock()
		progress(Progress{Phase: PhaseDownload, Digest: "sha256:a", Total: l.size, Completed: done})
		if done >= l.size {
			progress(Progress{Phase: PhaseVerify})
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
		l.mu.Lock()
		l.got[ref] = min(done+100, l.size)
		l.mu.Unlock()
	}
}

func (l *slowLib) DiscardPull(_ context.Context, ref string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.got, ref)
	l.discarded = append(l.discarded, ref)
	return nil
}

func newTestManager(size int64) (*Manager, *slowLib) {
	lib := &slowLib{size: size, got: map[string]int64{}}
	return New(lib, lib, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), time.Now), lib
}

func waitState(t *testing.T, m *Manager, id, state string) View {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, v := range m.List() {
			if v.ID == id && v.State == state {
				return v
			}
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("download %s never reached %s: %+v", id, state, m.List())
	return View{}
}

func TestLifecycle(t *testing.T) {
	m, lib := newTestManager(1 << 40)
	v, _ := m.Start("a")
	if again, _ := m.Start("a"); again.ID != v.ID {
		t.Errorf("a second start made another download")
	}
	time.Sleep(5 * time.Millisecond)
	if p, err := m.Pause(v.ID); err != nil || p.State != Paused {
		t.Fatalf("pause: %+v %v", p, err)
	}
	var conflict *ConflictError
	if _, err := m.Pause(v.ID); err != nil {
		t.Errorf("pausing a paused download: %v", err)
	}
	if _, err := m.Resume(v.ID); err != nil {
		t.Fatal(err)
	}
	if c, err := m.Cancel(v.ID); err != nil || c.State != Cancelled || len(lib.discarded) != 1 {
		t.Fatalf("cancel: %+v %v, discarded %v", c, err, lib.discarded)
	}
	if _, err := m.Pause(v.ID); !errors.As(err, &conflict) || conflict.Code != "not_running" {
		t.Errorf("pause after cancel: %v", err)
	}
	if err := m.Dismiss(v.ID); err != nil || len(m.List()) != 0 {
		t.Errorf("dismiss: %v, %+v", err, m.List())
	}
	if _, err := m.Resume("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("resume of an unknown id: %v", err)
	}
}

func TestDoneAndClose(t *testing.T) {
	m, lib := newTestManager(1000)
	v, _ := m.Start("small")
	if d := waitState(t, m, v.ID, Done); d.Completed != 1000 || d.Phase != PhaseDone {
		t.Errorf("done: %+v", d)
	}
	var conflict *ConflictError
	if _, err := m.Resume(v.ID); !errors.As(err, &conflict) || conflict.Code != "finished" {
		t.Errorf("resume of a finished download: %v", err)
	}

	lib.size = 1 << 40
	big, _ := m.Start("big")
	waitState(t, m, big.ID, Running)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range m.List() {
		if p.ID == big.ID && p.State != Paused {
			t.Errorf("after Close: %+v", p)
		}
	}
	if len(lib.discarded) != 0 {
		t.Errorf("Close discarded %v", lib.discarded)
	}
}
