package remote

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// send makes one request to ep with its key, records the endpoint's health, and turns
// transport failures and refused keys into *Error. Other statuses are the caller's to read.
func (m *Manager) send(ctx context.Context, ep Endpoint, key, method, path string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, ep.URL+path, body)
	if err != nil {
		return nil, fmt.Errorf("remote endpoint %q: %w", ep.Name, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json, text/event-stream, application/x-ndjson")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	start := time.Now()
	resp, err := m.client.Do(req)
	if err != nil {
		if ctx.Err() == context.Canceled {
			return nil, ctx.Err()
		}
		return nil, m.note(ep, 0, classify(ep, err))
	}
	latency := time.Since(start)
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		detail := readDetail(resp)
		return nil, m.note(ep, latency, &Error{Endpoint: ep.Name, URL: ep.URL, Problem: AuthFailed, Status: resp.StatusCode, Detail: detail})
	}
	m.note(ep, latency, nil)
	return resp, nil
}

// readDetail reads the remote's own words from an error answer, briefly.
func readDetail(resp *http.Response) string {
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	s := strings.TrimSpace(string(b))
	if s == "" || strings.HasPrefix(s, "<") {
		return resp.Status
	}
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// note records the outcome of a contact and returns err.
func (m *Manager) note(ep Endpoint, latency time.Duration, err error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	h := Health{Reachable: true, LatencyMs: float64(latency.Microseconds()) / 1000, CheckedAt: time.Now()}
	if err != nil {
		h.LastError = err.Error()
		if re, ok := err.(*Error); ok && (re.Problem == Unreachable || re.Problem == Timeout) {
			h.Reachable = false
		}
		if h.LatencyMs == 0 {
			h.LatencyMs = m.health[ep.Name].LatencyMs
		}
	}
	m.health[ep.Name] = h
	return err
}

// Resolve tells whether model is "NAME/model" for a known endpoint NAME.
func (m *Manager) Resolve(model string) (Target, bool) {
	name, rest, ok := strings.Cut(model, "/")
	if !ok || rest == "" || CheckName(name) != nil {
		return Target{}, false
	}
	ep, err := m.Get(name)
	if err != nil {
		return Target{}, false
	}
	return Target{Endpoint: ep, Model: rest}, true
}

// Do sends a request about a resolved model to its endpoint: body is sent as it is, path is
// the remote path ("/v1/chat/completions"). The caller closes the response body.
func (m *Manager) Do(ctx context.Context, t Target, method, path string, body io.Reader) (*http.Response, error) {
	key, err := m.keys.Get(t.Endpoint.Name)
	if err != nil {
		return nil, err
	}
	return m.send(ctx, t.Endpoint, key, method, path, body)
}

// modelsOf returns an endpoint's model names, from the cache while fresh. An endpoint that
// cannot be reached keeps its last known list (its health says it is down).
func (m *Manager) modelsOf(ctx context.Context, ep Endpoint) ([]string, error) {
	m.mu.Lock()
	c, ok := m.models[ep.Name]
	fresh := ok && time.Since(c.at) < m.opts.ModelsTTL
	refresh := ok && !fresh && !m.refreshing[ep.Name]
	if refresh {
		m.refreshing[ep.Name] = true
	}
	m.mu.Unlock()
	switch {
	case fresh:
		return c.names, nil
	case ok:
		// A known list is served at once and refreshed behind it, so a slow or dead
		// endpoint never holds up a model list.
		if refresh {
			go func() {
				ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.opts.ConnectTimeout+m.opts.ProbeTimeout)
				defer cancel()
				m.fetchModels(ctx, ep, c.names)
				m.mu.Lock()
				delete(m.refreshing, ep.Name)
				m.mu.Unlock()
			}()
		}
		return c.names, nil
	}
	return m.fetchModels(ctx, ep, nil)
}

// fetchModels asks an endpoint for its models and caches the answer; on failure the last
// known list (old) stays.
func (m *Manager) fetchModels(ctx context.Context, ep Endpoint, old []string) ([]string, error) {
	c := cachedModels{names: old}
	key, err := m.keys.Get(ep.Name)
	if err != nil {
		return c.names, err
	}
	names, err := m.list(ctx, ep, key)
	if err != nil {
		m.mu.Lock()
		// Retried after the TTL, in the background.
		m.models[ep.Name] = cachedModels{names: c.names, at: time.Now()}
		m.mu.Unlock()
		return c.names, err
	}
	m.mu.Lock()
	m.models[ep.Name] = cachedModels{names: names, at: time.Now()}
	m.mu.Unlock()
	return names, nil
}

// List gives every endpoint with its health and models, checking them all at once.
func (m *Manager) List(ctx context.Context) ([]Status, error) {
	eps, err := m.Endpoints()
	if err != nil {
		return nil, err
	}
	out := make([]Status, len(eps))
	var wg sync.WaitGroup
	for i, ep := range eps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			names, _ := m.modelsOf(ctx, ep)
			key, _ := m.keys.Get(ep.Name)
			m.mu.Lock()
			h := m.health[ep.Name]
			m.mu.Unlock()
			if names == nil {
				names = []string{}
			}
			out[i] = Status{Endpoint: ep, HasKey: key != "", Health: h, Models: names}
		}()
	}
	wg.Wait()
	return out, nil
}

// Models lists every remote model as NAME/model.
func (m *Manager) Models(ctx context.Context) []Model {
	sts, err := m.List(ctx)
	if err != nil {
		m.opts.Log.Warn("list remote endpoints", "err", err)
		return nil
	}
	var out []Model
	for _, st := range sts {
		for _, n := range st.Models {
			out = append(out, Model{ID: st.Name + "/" + n, Remote: n, Endpoint: st.Endpoint})
		}
	}
	return out
}

// Health returns an endpoint's last known health.
func (m *Manager) Health(name string) Health {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.health[name]
}

// Failed records that an answer from t's endpoint broke off, and returns the error to show.
func (m *Manager) Failed(t Target, err error) error {
	return m.note(t.Endpoint, 0, &Error{Endpoint: t.Endpoint.Name, URL: t.Endpoint.URL, Problem: Broken, Detail: err.Error(), Err: err})
}

// Any tells whether any endpoint is configured (a cheap check before reading a request).
func (m *Manager) Any() bool {
	eps, err := m.endpoints()
	return err == nil && len(eps) > 0
}
