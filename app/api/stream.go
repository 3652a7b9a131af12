package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync"
)

// streamWriter writes one streamed answer, SSE or NDJSON. Headers go out with the first
// event, so an error the engine reports before producing anything (unknown model, prompt
// over the context, queue full) still gets a proper status and JSON body.
type streamWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	sse     bool
	mu      sync.Mutex
	started bool
}

func newSSE(w http.ResponseWriter) *streamWriter {
	return &streamWriter{w: w, rc: http.NewResponseController(w), sse: true}
}

func newNDJSON(w http.ResponseWriter) *streamWriter {
	return &streamWriter{w: w, rc: http.NewResponseController(w)}
}

// Started reports whether any event was written (and so the status is sent).
func (s *streamWriter) Started() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started
}

func (s *streamWriter) start() {
	if s.started {
		return
	}
	h := s.w.Header()
	if s.sse {
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-cache")
	} else {
		h.Set("Content-Type", "application/x-ndjson")
	}
	h.Set("X-Accel-Buffering", "no")
	s.w.WriteHeader(http.StatusOK)
	s.started = true
}

// Send writes one event and flushes it. An error means the client is gone.
func (s *streamWriter) Send(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.raw(b)
}

func (s *streamWriter) raw(b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.start()
	var out []byte
	if s.sse {
		out = make([]byte, 0, len(b)+8)
		out = append(append(append(out, "data: "...), b...), "\n\n"...)
	} else {
		out = append(b, '\n')
	}
	if _, err := s.w.Write(out); err != nil {
		return err
	}
	if err := s.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}

// fail ends a stream that failed with err. Before any event it answers with an error
// status and body (write); after, with one last event (lastEvent), unless the client is gone.
func (s *streamWriter) fail(w http.ResponseWriter, r *http.Request, err error, write func(http.ResponseWriter, *http.Request, error), lastEvent func(*apiError) any) {
	if !s.Started() {
		write(w, r, err)
		return
	}
	e := toAPIError(err)
	noteError(r, e)
	if r.Context().Err() != nil {
		return // the client is gone
	}
	s.Send(lastEvent(e))
}

// Done ends an SSE stream the OpenAI way.
func (s *streamWriter) Done() error { return s.raw([]byte("[DONE]")) }

// runN runs n jobs at once (several choices share a prompt, so the engine can reuse the
// cache across slots). The first failure cancels the others; it is the error returned,
// rather than the cancellations it caused.
func runN(ctx context.Context, n int, job func(ctx context.Context, i int) error) error {
	if n == 1 {
		return job(ctx, 0)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := job(ctx, i); err != nil {
				once.Do(func() { first = err; cancel() })
			}
		}()
	}
	wg.Wait()
	return first
}
