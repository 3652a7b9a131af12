package engine_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perchapp/perch/engine"
)

// TestMixedRequestsDoNotLeak runs 1,000 requests of every kind — short and long, greedy and
// sampled, some cancelled mid-answer, some before they start — through 4 slots, then checks
// that every slot is free and the worker's resident memory is where it was after warm-up.
func TestMixedRequestsDoNotLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak test")
	}
	e := newEngine(t, engine.Config{Slots: 4})
	ctx := context.Background()
	prompts := []string{"Once upon a time", "The little dog", "Lily and Ben went to the park to play with a ball", "One day", "Tom had a red car"}
	run := func(i int, cancels *atomic.Int64) error {
		rng := rand.New(rand.NewPCG(uint64(i), 7))
		req := engine.CompletionRequest{
			Model: "stories", Prompt: prompts[i%len(prompts)],
			RequestOptions: engine.RequestOptions{
				MaxTokens: 4 + rng.IntN(40),
				Sampling:  engine.Sampling{Temperature: float32(rng.IntN(2)), Seed: int64(i), TopK: 40, TopP: 0.9},
				Logprobs:  i%7 == 0, TopLogprobs: i % 3, Stop: []string{"\n\n"},
			},
		}
		rctx, cancel := context.WithCancel(ctx)
		defer cancel()
		cancelAt := -1
		switch i % 5 {
		case 0:
			cancelAt = rng.IntN(5)
		case 1:
			if i%10 == 1 {
				cancel() // cancelled before it starts
			}
		}
		n := 0
		_, err := e.Complete(rctx, req, func(engine.Event) error {
			if n == cancelAt {
				cancel()
			}
			n++
			return nil
		})
		if errors.Is(err, context.Canceled) {
			cancels.Add(1)
			return nil
		}
		return err
	}
	batch := func(from, to int) int64 {
		var wg sync.WaitGroup
		var cancels atomic.Int64
		sem := make(chan struct{}, 8)
		for i := from; i < to; i++ {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				if err := run(i, &cancels); err != nil {
					t.Errorf("request %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		return cancels.Load()
	}
	// Warm-up: the worker's resident memory grows over the first few hundred requests (Go heap,
	// malloc arenas of llama.cpp's threads) and is flat after about 400.
	batch(0, 500)
	before := e.Loaded()[0].Memory.RSSBytes
	cancelled := batch(500, 1500)
	time.Sleep(200 * time.Millisecond)
	st := e.Loaded()[0]
	after := st.Memory.RSSBytes
	t.Logf("1,000 requests, %d cancelled; worker resident %s → %s (%+.1f%%)", cancelled,
		mib(before), mib(after), 100*float64(after-before)/float64(before))
	if st.Busy != 0 || st.Queued != 0 {
		t.Errorf("after the run: %d slots busy, %d queued; want all free", st.Busy, st.Queued)
	}
	if float64(after) > 1.05*float64(before) {
		t.Errorf("resident memory grew from %s to %s, more than 5%%", mib(before), mib(after))
	}
	if cancelled < 100 {
		t.Errorf("only %d requests were cancelled; the test should cancel about 300", cancelled)
	}
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
