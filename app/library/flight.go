package library

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"
)

// flights runs one piece of work per key, however many callers ask for it at once: the
// first starts it, the others join and get the same progress and result. The work runs
// under its own context; it is cancelled when every caller has gone away or on cancel(key).
type flights[T any] struct {
	mu sync.Mutex
	m  map[string]*flight[T]
}

type flight[T any] struct {
	label   string
	started time.Time
	cancel  context.CancelFunc
	done    chan struct{}
	res     T
	err     error

	mu   sync.Mutex
	subs map[int]func(Progress)
	next int
	last Progress
}

func (f *flight[T]) emit(p Progress) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.last = p
	for _, fn := range f.subs {
		fn(p)
	}
}

// do runs work under key, or joins the run already going. label names it in listings.
func (g *flights[T]) do(ctx context.Context, key, label string, fn func(Progress), work func(ctx context.Context, emit func(Progress)) (T, error)) (T, error) {
	if fn == nil {
		fn = func(Progress) {}
	}
	g.mu.Lock()
	if g.m == nil {
		g.m = map[string]*flight[T]{}
	}
	f := g.m[key]
	if f == nil {
		wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		f = &flight[T]{label: label, started: time.Now(), cancel: cancel, done: make(chan struct{}), subs: map[int]func(Progress){}}
		g.m[key] = f
		go func() {
			defer close(f.done)
			defer cancel()
			res, err := work(wctx, f.emit)
			g.mu.Lock()
			delete(g.m, key)
			f.res, f.err = res, err
			g.mu.Unlock()
		}()
	}
	f.mu.Lock()
	id := f.next
	f.next++
	f.subs[id] = fn
	if f.last.Status != "" {
		fn(f.last) // a joiner sees where the run is
	}
	f.mu.Unlock()
	g.mu.Unlock()

	select {
	case <-f.done:
		return f.res, f.err
	case <-ctx.Done():
		f.mu.Lock()
		delete(f.subs, id)
		left := len(f.subs)
		f.mu.Unlock()
		if left == 0 {
			// The last caller left: stop, and wait so the partial download is saved.
			f.cancel()
			<-f.done
		}
		var zero T
		return zero, ctx.Err()
	}
}

// PullStatus is a pull in progress.
type PullStatus struct {
	Ref       string    `json:"ref"`
	StartedAt time.Time `json:"started_at"`
	Progress  Progress  `json:"progress"`
}

func (g *flights[T]) list() []PullStatus {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]PullStatus, 0, len(g.m))
	for _, f := range g.m {
		f.mu.Lock()
		out = append(out, PullStatus{Ref: f.label, StartedAt: f.started, Progress: f.last})
		f.mu.Unlock()
	}
	slices.SortFunc(out, func(a, b PullStatus) int { return a.StartedAt.Compare(b.StartedAt) })
	return out
}

// cancelKey cancels the runs that match and returns channels closed when each has stopped.
func (g *flights[T]) cancelKey(match func(key, label string) bool) []<-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	var stopped []<-chan struct{}
	for k, f := range g.m {
		if match(k, f.label) {
			f.cancel()
			stopped = append(stopped, f.done)
		}
	}
	return stopped
}

func (g *flights[T]) running(key string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	_, ok := g.m[key]
	return ok
}

// Pulls lists the pulls in progress (to show in the UI; to follow one, call Pull with the
// same reference: it joins the running pull instead of starting another).
func (s *Store) Pulls() []PullStatus { return s.pulls.list() }

// CancelPull stops the pull of ref for every caller waiting on it; the partial download is
// kept, so pulling again resumes. It says whether such a pull was running.
func (s *Store) CancelPull(ref string) bool { return len(s.cancelPull(ref)) > 0 }

func (s *Store) cancelPull(ref string) []<-chan struct{} {
	r, err := s.parseRef(ref)
	want := strings.TrimSpace(ref)
	return s.pulls.cancelKey(func(key, label string) bool {
		return label == want || (err == nil && strings.HasPrefix(key, r.key()+"|"))
	})
}
