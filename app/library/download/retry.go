package download

import (
	"context"
	"time"
)

// Retry tries an operation again when it fails for a passing reason (a network error, a
// server busy or down), as downloads, Hugging Face API calls and registry manifests do.
type Retry struct {
	// Times is how many tries may follow the first.
	Times int
	// Backoff is the first wait; see Backoff.
	Backoff time.Duration
	// Temporary says whether an error is worth another try; the caller's rule.
	Temporary func(error) bool
	// OnRetry, when set, hears of each failure about to be tried again (to log it).
	OnRetry func(attempt int, wait time.Duration, err error)
}

// Do calls op until it succeeds, fails with an error that is not Temporary, or has failed
// Times+1 times, and returns op's last error; ctx's error when ctx ends first.
func (r Retry) Do(ctx context.Context, op func() error) error {
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if attempt > r.Times || !r.Temporary(err) {
			return err
		}
		wait := Backoff(r.Backoff, attempt)
		if r.OnRetry != nil {
			r.OnRetry(attempt, wait, err)
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// Backoff is the wait after failed try attempt (from 1): first, doubled for each try
// before, at most 30 s; its upper half is random, so that clients that failed together do
// not come back together.
func Backoff(first time.Duration, attempt int) time.Duration {
	d := min(first<<min(attempt-1, 10), 30*time.Second)
	return d/2 + time.Duration(jitter(int64(d/2)+1))
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
