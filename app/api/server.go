// Package api is Perch's HTTP server: the OpenAI-compatible /v1 routes, the
// Ollama-compatible /api routes, the UI's /perch routes, /health and /metrics, behind the
// safety checks every request passes (Host, Origin, API key, body size).
//
// Every route is listed in routes.go, built from the typed dependencies in Deps; handlers
// return their error and an adapter per wire format (OpenAI, Ollama, the UI's) writes it.
// Wire formats are converted to and from engine types by pure functions in app/wire/openai and app/wire/ollama; handlers only move data.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/perchapp/perch/app/remote"
	openaiwire "github.com/perchapp/perch/app/wire/openai"
)

// Config sets up a Server. Zero values take the defaults noted.
type Config struct {
	// Addr is where ListenAndServe listens; default 127.0.0.1:11435.
	Addr string
	// APIKey, when set, is required as "Authorization: Bearer KEY" on /v1, /api, /perch and
	// /metrics. Listening beyond loopback without one is refused.
	APIKey string
	// Restart, when set, restarts the server inside the process with the saved settings
	// (POST /perch/restart), for the settings that cannot change while it runs.
	Restart func()
	// FixedAPIKey says APIKey came from a flag or the environment: changing the key in the
	// settings does not replace it while the server runs.
	FixedAPIKey bool
	// AllowedOrigins may make cross-origin browser requests, besides the server's own
	// origin. Entries are exact origins ("https://app.example") or patterns with * .
	AllowedOrigins []string
	// AllowedHosts are Host names accepted besides loopback ones (DNS-rebinding protection).
	AllowedHosts []string
	// MaxBodyBytes limits request bodies; default 32 MiB.
	MaxBodyBytes int64
	// DefaultKeepAlive applies when a request gives no keep_alive; 0 leaves it to the engine.
	DefaultKeepAlive time.Duration
	// KeepAliveFor gives a model's own keep-alive (settings.model_defaults), which comes
	// before DefaultKeepAlive; nil, or nil from it, for none.
	KeepAliveFor func(model string) *time.Duration
	// Version is reported by /api/version; default "0.0.0".
	Version string
	// Logger receives one structured line per request; default slog.Default().
	Logger *slog.Logger
}

// DefaultAddr is where Perch listens unless told otherwise.
const DefaultAddr = "127.0.0.1:11435"

const defaultMaxBody = 32 << 20

// Server answers the HTTP API. Create it with New.
type Server struct {
	cfg     Config
	eng     Engine
	lib     Library
	log     *slog.Logger
	mux     *http.ServeMux
	metrics *metrics
	static  http.Handler
	deps    Deps
	perch   *perch // the /perch routes' state (generations, pulls, uploads)
	// responses keeps recent /v1/responses answers for previous_response_id.
	responses *openaiwire.RespStore
	handler   http.Handler
	now       func() time.Time

	methods map[string][]string // path → methods, to answer 405 rather than 404

	live live // the key and address, changed by the settings while serving (live.go)

	mu        sync.Mutex
	ownPorts  map[string]bool // ports this server listens on, for its own UI origin
	hostsOK   map[string]bool
	originsOK []string
}

// New builds a Server from its dependencies. Only d.Engine is required: without d.Library the
// model-management routes answer 501 and model lists show loaded models only, and each /perch
// route whose dependency is missing answers 501 (see routes.go).
func New(cfg Config, d Deps) *Server {
	if cfg.Addr == "" {
		cfg.Addr = DefaultAddr
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = defaultMaxBody
	}
	if cfg.Version == "" {
		cfg.Version = "0.0.0"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if d.Remotes != nil {
		if _, ok := d.Engine.(remote.Engine); !ok {
			d.Engine = remote.Engine{Local: d.Engine, Remotes: d.Remotes} // NAME/model goes to the remote
		}
	}
	s := &Server{
		cfg:      cfg,
		eng:      d.Engine,
		lib:      d.Library,
		static:   d.Static,
		deps:     d,
		log:      cfg.Logger,
		mux:      http.NewServeMux(),
		methods:  map[string][]string{},
		ownPorts: map[string]bool{},
		now:      time.Now,
	}
	s.hostsOK, s.originsOK = allowedHosts(cfg), cfg.AllowedOrigins
	s.live.addr, s.live.key, s.live.fixedKey = cfg.Addr, cfg.APIKey, cfg.FixedAPIKey
	if _, port, err := net.SplitHostPort(cfg.Addr); err == nil && port != "0" {
		s.ownPorts[port] = true
	}
	s.metrics = newMetrics(s)
	s.perch = newPerch(s, d)
	s.responses = openaiwire.NewRespStore(openaiwire.RespStoreMax, openaiwire.RespStoreTTL, s.now)
	for _, rt := range s.routes() {
		s.handle(rt.pattern(), rt.h)
	}
	s.handler = s.middleware(s.mux)
	return s
}

// Close stops the work the server runs beyond requests: downloads the UI started are paused
// (their partial files stay, so a later pull resumes) and their goroutines end; uploads in
// progress are discarded (their ids die with the server). Call it after
// Serve has returned; it does not close the dependencies, which their owner closes.
func (s *Server) Close() error {
	return errors.Join(s.perch.pulls.Close(), s.perch.uploads.Close())
}

// Handler is the whole server as an http.Handler, safety checks included.
func (s *Server) Handler() http.Handler { return s.handler }

// ObserveWorkerRestart counts a worker restart; the engine's supervisor calls it.
func (s *Server) ObserveWorkerRestart(model string) {
	s.metrics.workerRestarts.WithLabelValues(model).Inc()
}

// handle registers a route. The pattern (Go 1.22 syntax) is also its name in metrics and logs.
func (s *Server) handle(pattern string, h http.HandlerFunc) {
	if method, path, ok := strings.Cut(pattern, " "); ok && !strings.Contains(path, "{") {
		s.methods[path] = append(s.methods[path], method)
	}
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if ri := infoOf(r); ri != nil {
			ri.route = pattern
		}
		h(w, r)
	})
}

// ListenAndServe listens on Config.Addr and serves until ctx is done.
func (s *Server) ListenAndServe(ctx context.Context) error {
	if err := CheckExposure(s.addr(), s.apiKey()); err != nil {
		return err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.addr())
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.addr(), err)
	}
	return s.Serve(ctx, ln)
}

// CheckExposure refuses to listen beyond loopback without an API key.
func CheckExposure(addr, apiKey string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", addr, err)
	}
	if apiKey == "" && !isLoopbackHost(host) {
		return fmt.Errorf("listening on %s reaches beyond this machine: set an API key (--api-key or PERCH_API_KEY), or listen on 127.0.0.1", addr)
	}
	return nil
}

// Serve answers requests on ln until ctx is done, then shuts down gracefully: new
// connections stop at once, requests in flight get up to 10 seconds.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if err := CheckExposure(ln.Addr().String(), s.apiKey()); err != nil {
		return err
	}
	if _, port, err := net.SplitHostPort(ln.Addr().String()); err == nil {
		s.mu.Lock()
		s.ownPorts[port] = true
		s.mu.Unlock()
	}
	// Requests outlive ctx's values but not the shutdown: once it starts, streams are told to
	// finish (generation stops, partial answers are saved) instead of holding it for the grace
	// period.
	base, stopRequests := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRequests()
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	hs.RegisterOnShutdown(stopRequests)
	s.serving(hs, ln)
	done := make(chan error, 1)
	go func() {
		<-ctx.Done()
		s.serving(nil, nil)
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err := hs.Shutdown(sctx)
		if err != nil {
			hs.Close() // streams still running past the grace period are cut
		}
		done <- err
	}()
	err := s.serveLoop(ctx, hs, ln)
	if errors.Is(err, http.ErrServerClosed) {
		return <-done
	}
	return err
}

func (s *Server) isOwnPort(port string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ownPorts[port]
}

// keepAlive applies the configured default when a request gives none.
func (s *Server) keepAlive(model string, d *time.Duration) *time.Duration {
	if d != nil {
		return d
	}
	if s.cfg.KeepAliveFor != nil {
		if k := s.cfg.KeepAliveFor(model); k != nil {
			return k
		}
	}
	if s.cfg.DefaultKeepAlive != 0 {
		v := s.cfg.DefaultKeepAlive
		return &v
	}
	return d
}

func health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// fallback serves the UI's files (to browsers), or says "Ollama is running" as Ollama does to
// the clients that probe "/" for it, and
// answers unknown API paths in their API's error shape.
func (s *Server) fallback(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if allowed := s.methods[p]; len(allowed) > 0 && r.Method != http.MethodOptions {
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeErrorFor(w, r, &apiError{Status: http.StatusMethodNotAllowed, Type: "invalid_request_error", Code: "method_not_allowed",
			Message: fmt.Sprintf("%s does not accept %s; use %s", p, r.Method, strings.Join(allowed, " or "))})
		return
	}
	switch {
	case hasPathPrefix(p, "/v1"):
		writeOpenAIError(w, r, &apiError{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "unknown_url",
			Message: fmt.Sprintf("no endpoint %s %s; see the OpenAI API reference for the routes Perch serves under /v1", r.Method, p)})
	case hasPathPrefix(p, "/api"):
		writeOllamaError(w, r, &apiError{Status: http.StatusNotFound, Message: fmt.Sprintf("no endpoint %s %s", r.Method, p)})
	case p == "/" && (r.Method == http.MethodGet || r.Method == http.MethodHead) && (s.static == nil || !wantsHTML(r)):
		writeRunning(w, r)
	case s.static != nil:
		s.static.ServeHTTP(w, r)
	default:
		http.NotFound(w, r)
	}
}

func hasPathPrefix(p, prefix string) bool {
	return p == prefix || len(p) > len(prefix) && p[:len(prefix)] == prefix && p[len(prefix)] == '/'
}

// wantsHTML: the request is a browser's, which gets the UI at "/".
func wantsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

// runningText is Ollama's answer at "/": clients and scripts probe for exactly this.
const runningText = "Ollama is running"

func writeRunning(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(runningText)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		w.Write([]byte(runningText))
	}
}
