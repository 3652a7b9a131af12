package remote

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

// Options tune the timeouts; zero values take the defaults.
type Options struct {
	// ConnectTimeout bounds the TCP (and TLS) connect; default 3 s.
	ConnectTimeout time.Duration
	// ProbeTimeout bounds listing models and health checks, first byte to last; default 5 s.
	ProbeTimeout time.Duration
	// FirstByteTimeout bounds the wait for a generation's response headers; default 5 min
	// (a non-streamed answer of a big model sends nothing until it is done).
	FirstByteTimeout time.Duration
	// ModelsTTL is how long a model list is reused; default 30 s.
	ModelsTTL time.Duration
	Log       *slog.Logger
}

func (o *Options) defaults() {
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 3 * time.Second
	}
	if o.ProbeTimeout <= 0 {
		o.ProbeTimeout = 5 * time.Second
	}
	if o.FirstByteTimeout <= 0 {
		o.FirstByteTimeout = 5 * time.Minute
	}
	if o.ModelsTTL <= 0 {
		o.ModelsTTL = 30 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
}

// Health is what the last contact with an endpoint showed.
type Health struct {
	Reachable bool      `json:"reachable"`
	LatencyMs float64   `json:"latency_ms"`
	LastError string    `json:"last_error,omitempty"`
	CheckedAt time.Time `json:"checked_at"`
}

// Status is an endpoint with its health and models, for lists.
type Status struct {
	Endpoint
	HasKey bool     `json:"has_key"`
	Health Health   `json:"health"`
	Models []string `json:"models"`
}

// Model is a remote model as Perch shows it: "NAME/model".
type Model struct {
	ID       string // NAME/model
	Remote   string // the name the remote knows it by
	Endpoint Endpoint
}

// Target is a resolved remote model.
type Target struct {
	Endpoint Endpoint
	Model    string // the remote's own name
}

type cachedModels struct {
	names []string
	at    time.Time
}

// Manager keeps the endpoints (in a file the CLI also edits; changes are picked up by the
// file's modification time), their keys, their model lists and their health.
type Manager struct {
	opts   Options
	file   file
	keys   Keys
	client *http.Client

	mu      sync.Mutex
	eps     []Endpoint
	modTime time.Time
	health  map[string]Health
	models  map[string]cachedModels
	// refreshing marks endpoints whose model list is being refreshed in the background.
	refreshing map[string]bool
}

// Open reads the endpoints kept at path, with keys in keys.
func Open(path string, keys Keys, opts Options) (*Manager, error) {
	opts.defaults()
	d := &net.Dialer{Timeout: opts.ConnectTimeout, KeepAlive: 30 * time.Second}
	tr := &http.Transport{DialContext: d.DialContext, TLSHandshakeTimeout: opts.ConnectTimeout,
		ResponseHeaderTimeout: opts.FirstByteTimeout, MaxIdleConnsPerHost: 8, IdleConnTimeout: 90 * time.Second,
		Proxy: http.ProxyFromEnvironment}
	m := &Manager{opts: opts, file: file{path}, keys: keys, client: &http.Client{Transport: tr},
		health: map[string]Health{}, models: map[string]cachedModels{}, refreshing: map[string]bool{}}
	if _, err := m.endpoints(); err != nil {
		return nil, err
	}
	return m, nil
}

// endpoints returns the list, re-reading the file when it changed on disk.
func (m *Manager) endpoints() ([]Endpoint, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fi, err := os.Stat(m.file.path)
	var mod time.Time
	if err == nil {
		mod = fi.ModTime()
	}
	if m.eps != nil && mod.Equal(m.modTime) {
		return m.eps, nil
	}
	eps, err := m.file.load()
	if err != nil {
		return nil, err
	}
	if eps == nil {
		eps = []Endpoint{}
	}
	m.eps, m.modTime = eps, mod
	return eps, nil
}

// Endpoints lists the endpoints.
func (m *Manager) Endpoints() ([]Endpoint, error) {
	eps, err := m.endpoints()
	return slices.Clone(eps), err
}

// Get finds one endpoint by name.
func (m *Manager) Get(name string) (Endpoint, error) {
	eps, err := m.endpoints()
	if err != nil {
		return Endpoint{}, err
	}
	if i := slices.IndexFunc(eps, func(e Endpoint) bool { return e.Name == name }); i >= 0 {
		return eps[i], nil
	}
	return Endpoint{}, fmt.Errorf("%w: %q (perch remote list shows them)", ErrNotFound, name)
}

// Add checks the URL, reaches the server to learn its kind and models, and only then keeps
// the endpoint and its key. Adding a name again replaces it. On any failure nothing changes.
func (m *Manager) Add(ctx context.Context, name, rawURL string, kind Kind, apiKey string) (Status, error) {
	if err := CheckName(name); err != nil {
		return Status{}, err
	}
	base, err := NormalizeURL(rawURL)
	if err != nil {
		return Status{}, err
	}
	if err := CheckKind(kind); err != nil {
		return Status{}, err
	}
	ep := Endpoint{Name: name, URL: base, Kind: kind}
	ep, names, err := m.probe(ctx, ep, apiKey)
	if err != nil {
		return Status{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	eps, err := m.file.load()
	if err != nil {
		return Status{}, err
	}
	eps = slices.DeleteFunc(eps, func(e Endpoint) bool { return e.Name == name })
	eps = append(eps, ep)
	slices.SortFunc(eps, func(a, b Endpoint) int { return strings.Compare(a.Name, b.Name) })
	if err := m.keys.Set(name, apiKey); err != nil {
		return Status{}, fmt.Errorf("keep the API key for %q: %w", name, err)
	}
	if err := m.file.save(eps); err != nil {
		return Status{}, fmt.Errorf("save remote endpoints: %w", err)
	}
	m.eps, m.modTime = nil, time.Time{}
	m.models[name] = cachedModels{names: names, at: time.Now()}
	return Status{Endpoint: ep, HasKey: apiKey != "", Health: m.health[name], Models: names}, nil
}

// Remove forgets an endpoint and its key.
func (m *Manager) Remove(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	eps, err := m.file.load()
	if err != nil {
		return err
	}
	n := len(eps)
	eps = slices.DeleteFunc(eps, func(e Endpoint) bool { return e.Name == name })
	if len(eps) == n {
		return fmt.Errorf("%w: %q (perch remote list shows them)", ErrNotFound, name)
	}
	if err := m.file.save(eps); err != nil {
		return err
	}
	if err := m.keys.Delete(name); err != nil {
		m.opts.Log.Warn("forget remote API key", "endpoint", name, "err", err)
	}
	m.eps, m.modTime = nil, time.Time{}
	delete(m.models, name)
	delete(m.health, name)
	return nil
}

// probe learns the kind (when not given) and the models. An Ollama-kind server answers
// /api/tags; an OpenAI-kind one /v1/models.
func (m *Manager) probe(ctx context.Context, ep Endpoint, key string) (Endpoint, []string, error) {
	if ep.Kind != "" {
		names, err := m.list(ctx, ep, key)
		return ep, names, err
	}
	ep.Kind = KindOllama
	names, err := m.list(ctx, ep, key)
	if err == nil {
		return ep, names, nil
	}
	var re *Error
	if errors.As(err, &re) && (re.Problem == Unreachable || re.Problem == Timeout || re.Problem == AuthFailed) {
		return ep, nil, err
	}
	ep.Kind = KindOpenAI
	names, err2 := m.list(ctx, ep, key)
	if err2 != nil {
		return ep, nil, err2
	}
	return ep, names, nil
}

// list fetches the model names from /api/tags or /v1/models.
func (m *Manager) list(ctx context.Context, ep Endpoint, key string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, m.opts.ProbeTimeout)
	defer cancel()
	path := "/v1/models"
	if ep.Kind == KindOllama {
		path = "/api/tags"
	}
	resp, err := m.send(ctx, ep, key, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, m.note(ep, 0, classify(ep, err))
	}
	if resp.StatusCode != http.StatusOK {
		return nil, m.note(ep, 0, &Error{Endpoint: ep.Name, URL: ep.URL, Problem: BadAnswer,
			Detail: fmt.Sprintf("GET %s answered %s", path, resp.Status)})
	}
	names, err := parseModelList(ep.Kind, body)
	if err != nil {
		return nil, m.note(ep, 0, &Error{Endpoint: ep.Name, URL: ep.URL, Problem: BadAnswer, Detail: fmt.Sprintf("GET %s: %v", path, err)})
	}
	return names, nil
}

func parseModelList(kind Kind, body []byte) ([]string, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		what := "not JSON"
		if bytes.HasPrefix(bytes.ToLower(trimmed), []byte("<")) {
			what = "an HTML page (is this a web site rather than the API's base URL?)"
		}
		return nil, fmt.Errorf("the answer is %s", what)
	}
	var v struct {
		Data *[]struct {
			ID string `json:"id"`
		} `json:"data"`
		Models *[]struct {
			Name  string `json:"name"`
			Model string `json:"model"`
		} `json:"models"`
	}
	if err := json.Unmarshal(trimmed, &v); err != nil {
		return nil, fmt.Errorf("unreadable JSON: %v", err)
	}
	names := []string{}
	switch {
	case kind == KindOllama && v.Models != nil:
		for _, x := range *v.Models {
			names = append(names, cmpOr(x.Name, x.Model))
		}
	case kind == KindOpenAI && v.Data != nil:
		for _, x := range *v.Data {
			names = append(names, x.ID)
		}
	default:
		return nil, fmt.Errorf("no model list in the answer")
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
