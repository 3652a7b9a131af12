package download

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestRetry(t *testing.T) {
	busy, gone := errors.New("busy"), errors.New("gone")
	temporary := func(err error) bool { return errors.Is(err, busy) }
	ctx := context.Background()

	var retried []int
	r := Retry{Times: 3, Backoff: time.Millisecond, Temporary: temporary, OnRetry: func(attempt int, wait time.Duration, err error) {
		if wait <= 0 || wait > 4*time.Millisecond || !errors.Is(err, busy) {
			t.Errorf("retry %d after %v for %v", attempt, wait, err)
		}
		retried = append(retried, attempt)
	}}
	tries := 0
	if err := r.Do(ctx, func() error {
		if tries++; tries < 3 {
			return busy
		}
		return nil
	}); err != nil || tries != 3 || len(retried) != 2 {
		t.Errorf("two passing failures: %v after %d tries, retries %v", err, tries, retried)
	}

	tries = 0
	if err := r.Do(ctx, func() error { tries++; return busy }); !errors.Is(err, busy) || tries != 4 {
		t.Errorf("always busy: %v after %d tries; want busy after 1+3", err, tries)
	}
	tries = 0
	if err := r.Do(ctx, func() error { tries++; return gone }); !errors.Is(err, gone) || tries != 1 {
		t.Errorf("a final error: %v after %d tries; want it after 1", err, tries)
	}

	cctx, cancel := context.WithCancel(ctx)
	slow := Retry{Times: 5, Backoff: time.Hour, Temporary: temporary}
	time.AfterFunc(10*time.Millisecond, cancel)
	start := time.Now()
	if err := slow.Do(cctx, func() error { return busy }); !errors.Is(err, context.Canceled) || time.Since(start) > time.Minute {
		t.Errorf("cancelled while waiting: %v after %v", err, time.Since(start))
	}
}

func TestBackoff(t *testing.T) {
	for attempt, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 4: 8 * time.Second, 6: 30 * time.Second, 40: 30 * time.Second} {
		if got := Backoff(time.Second, attempt); got < want/2 || got > want {
			t.Errorf("Backoff(1s, %d) = %v, want from %v to %v", attempt, got, want/2, want)
		}
	}
}
