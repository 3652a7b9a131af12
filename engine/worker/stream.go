package worker

import (
	"context"
	"sync"

	"github.com/perchapp/perch/engine"
)

// stream carries a job's lines from the decode loop to the HTTP handler that writes them. The
// loop must never block on a slow reader (it serves every slot), so the buffer is unbounded;
// the reader is a local socket writer and keeps up.
type stream struct {
	mu     sync.Mutex
	lines  []engine.StreamLine
	closed bool
	notify chan struct{}
}

func newStream() *stream { return &stream{notify: make(chan struct{}, 1)} }

func (s *stream) push(l engine.StreamLine) {
	s.mu.Lock()
	if !s.closed {
		s.lines = append(s.lines, l)
		if l.Done != nil || l.Error != nil {
			s.closed = true
		}
	}
	s.mu.Unlock()
	select {
	case s.notify <- struct{}{}:
	default:
	}
}

// next waits for lines; ok is false once the final line has been taken.
func (s *stream) next(ctx context.Context) (lines []engine.StreamLine, ok bool) {
	for {
		s.mu.Lock()
		lines, s.lines = s.lines, nil
		closed := s.closed
		s.mu.Unlock()
		if len(lines) > 0 {
			return lines, true
		}
		if closed {
			return nil, false
		}
		select {
		case <-s.notify:
		case <-ctx.Done():
			return nil, false
		}
	}
}
