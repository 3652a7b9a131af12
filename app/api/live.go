package api

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/perchapp/perch/app/config"
)

// live holds what a settings change applies while the server runs: the API key and the
// address it listens on. Turning LAN access on or off re-listens on the new host with the
// same port, inside the process; no restart of Perch is needed.
type live struct {
	mu   sync.Mutex
	addr string
	key  string
	// fixedKey: the key came from --api-key or PERCH_API_KEY, which a settings change does
	// not override.
	fixedKey bool
	// The serving state, set by Serve.
	hs        *http.Server
	ln        net.Listener
	rebinding bool
	rebound   chan net.Listener
	onListen  func(addr string)
}

// apiKey is the key requests need now ("" for none).
func (s *Server) apiKey() string {
	s.live.mu.Lock()
	defer s.live.mu.Unlock()
	return s.live.key
}

// addr is the address the server is configured to listen on now.
func (s *Server) addr() string {
	s.live.mu.Lock()
	defer s.live.mu.Unlock()
	return s.live.addr
}

// OnListen is called with the new address after the server re-listens (the instance lock
// records it).
func (s *Server) OnListen(f func(addr string)) {
	s.live.mu.Lock()
	s.live.onListen = f
	s.live.mu.Unlock()
}

// serving records the listener Serve answers on.
func (s *Server) serving(hs *http.Server, ln net.Listener) {
	s.live.mu.Lock()
	s.live.hs, s.live.ln = hs, ln
	s.live.mu.Unlock()
}

// serveLoop serves ln, and each listener a rebind puts in its place, until the server shuts
// down or a listener fails on its own.
func (s *Server) serveLoop(ctx context.Context, hs *http.Server, ln net.Listener) error {
	for {
		err := hs.Serve(ln)
		s.live.mu.Lock()
		rebinding, next := s.live.rebinding, s.live.rebound
		s.live.mu.Unlock()
		if !rebinding || errors.Is(err, http.ErrServerClosed) {
			return err
		}
		select {
		case nl := <-next:
			ln = nl
		case <-ctx.Done():
			return http.ErrServerClosed
		}
		s.live.mu.Lock()
		s.live.rebinding = false
		s.live.mu.Unlock()
	}
}

// rebind listens on host with the port the server has now, closing the old listener first
// (both cannot hold the port). Requests in flight finish on their connections. When the new
// address cannot be listened on, the old one is taken again and the error returned.
func (s *Server) rebind(host string) error {
	s.live.mu.Lock()
	defer s.live.mu.Unlock()
	old := s.live.ln
	if old == nil {
		return errors.New("the server is not listening")
	}
	_, port, err := net.SplitHostPort(old.Addr().String())
	if err != nil {
		return err
	}
	oldHost, _, _ := net.SplitHostPort(s.live.addr)
	addr := net.JoinHostPort(host, port)
	// serveLoop, woken by the close, waits for the listener sent on rebound.
	s.live.rebinding, s.live.rebound = true, make(chan net.Listener, 1)
	old.Close()
	ln, err := listenSoon(addr)
	if err != nil {
		back, berr := listenSoon(old.Addr().String())
		if berr != nil {
			return fmt.Errorf("listen on %s: %w; and again on %s: %w", addr, err, old.Addr(), berr)
		}
		s.live.ln = back
		s.live.rebound <- back
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	s.live.ln = ln
	s.live.addr = net.JoinHostPort(host, port)
	s.live.rebound <- ln
	s.log.Info("listening on a new address", "from", net.JoinHostPort(oldHost, port), "to", addr)
	if s.live.onListen != nil {
		s.live.onListen(ln.Addr().String())
	}
	return nil
}

// listenSoon listens on addr, retrying briefly while the port is still being released.
func listenSoon(addr string) (net.Listener, error) {
	var err error
	for range 20 {
		var ln net.Listener
		if ln, err = net.Listen("tcp", addr); err == nil {
			return ln, nil
		}
		time.Sleep(25 * time.Millisecond)
	}
	return nil, err
}

// applyLive applies a settings change to the running server: the key and the address. A key
// comes before a wider address and goes after a narrower one, so the server never listens
// beyond loopback without a key. It returns the settings that still need a restart to apply.
func (s *Server) applyLive(prev, next config.Settings) error {
	s.live.mu.Lock()
	serving, fixed := s.live.ln != nil, s.live.fixedKey
	s.live.mu.Unlock()
	setKey := func() {
		if !fixed && next.APIKey != prev.APIKey {
			s.live.mu.Lock()
			s.live.key = next.APIKey
			s.live.mu.Unlock()
		}
	}
	nextHost, _, err := net.SplitHostPort(next.Address)
	if err != nil {
		return err
	}
	curHost, _, _ := net.SplitHostPort(s.addr())
	if !serving || nextHost == curHost {
		setKey()
		return nil
	}
	if isLoopbackHost(nextHost) {
		if err := s.rebind(nextHost); err != nil {
			return err
		}
		setKey()
		return nil
	}
	setKey()
	if s.apiKey() == "" {
		return errors.New("listening beyond this Mac needs an API key")
	}
	return s.rebind(nextHost)
}
