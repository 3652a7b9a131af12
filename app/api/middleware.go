package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"

	"github.com/perchapp/perch/app/config"
)

// reqInfo collects what a handler learned about a request, for the log line and metrics.
type reqInfo struct {
	route string
	mu    sync.Mutex
	model string
	in    int
	out   int
	err   string
}

type infoKey struct{}

func infoOf(r *http.Request) *reqInfo {
	ri, _ := r.Context().Value(infoKey{}).(*reqInfo)
	return ri
}

// noteModel records the model a request used.
func noteModel(r *http.Request, model string) {
	if ri := infoOf(r); ri != nil {
		ri.mu.Lock()
		ri.model = model
		ri.mu.Unlock()
	}
}

// noteTokens adds prompt and generated token counts to the request's log line.
func noteTokens(r *http.Request, in, out int) {
	if ri := infoOf(r); ri != nil {
		ri.mu.Lock()
		ri.in += in
		ri.out += out
		ri.mu.Unlock()
	}
}

func noteError(r *http.Request, e *apiError) {
	if ri := infoOf(r); ri != nil {
		ri.mu.Lock()
		ri.err = e.Message
		ri.mu.Unlock()
	}
}

// statusWriter remembers the status for logs and metrics; Unwrap keeps Flush and deadlines
// reachable through http.ResponseController.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// middleware wraps the routes in the checks every request passes, outermost first.
func (s *Server) middleware(next http.Handler) http.Handler {
	h := s.limitBody(next)
	h = s.checkAuth(h)
	h = s.checkOrigin(h)
	h = s.checkHost(h)
	return s.observe(secureHeaders(h))
}

// observe logs each request and counts it; it also turns a handler panic into a 500.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.now()
		ri := &reqInfo{route: "unmatched"}
		r = r.WithContext(context.WithValue(r.Context(), infoKey{}, ri))
		sw := &statusWriter{ResponseWriter: w}
		s.metrics.inFlight.Inc()
		defer func() {
			s.metrics.inFlight.Dec()
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("handler panic", "route", ri.route, "panic", fmt.Sprint(p))
				if sw.status == 0 {
					writeJSON(sw, http.StatusInternalServerError, map[string]string{"error": "internal error; see the server log"})
				}
			}
			status := sw.status
			if status == 0 {
				status = 499 // the client left before any answer
			}
			d := s.now().Sub(start)
			ri.mu.Lock()
			model, in, out, msg := ri.model, ri.in, ri.out, ri.err
			ri.mu.Unlock()
			s.metrics.observeRequest(ri.route, r.Method, status, d)
			attrs := []slog.Attr{
				slog.String("method", r.Method), slog.String("route", ri.route), slog.String("path", r.URL.Path),
				slog.Int("status", status), slog.Duration("duration", d),
			}
			if model != "" {
				attrs = append(attrs, slog.String("model", model), slog.Int("prompt_tokens", in), slog.Int("completion_tokens", out))
			}
			level := slog.LevelInfo
			if msg != "" {
				attrs = append(attrs, slog.String("error", msg))
				if status >= 500 {
					level = slog.LevelWarn
				}
			}
			s.log.LogAttrs(r.Context(), level, "request", attrs...)
		}()
		next.ServeHTTP(sw, r)
	})
}

// writeErrorFor answers in the error shape of the API the path belongs to.
func writeErrorFor(w http.ResponseWriter, r *http.Request, e *apiError) {
	if hasPathPrefix(r.URL.Path, "/api") {
		writeOllamaError(w, r, e)
		return
	}
	writeOpenAIError(w, r, e)
}

// checkHost refuses Host names that are not this machine's or configured ones: a web page
// that rebinds its own DNS name to 127.0.0.1 would otherwise reach the API.
func (s *Server) checkHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hostAllowed(r.Host) {
			writeErrorFor(w, r, &apiError{Status: http.StatusForbidden, Type: "permission_error", Code: "host_not_allowed",
				Message: fmt.Sprintf("Host %q is not allowed: Perch answers requests for localhost, 127.0.0.1 and [::1]; add other names with --allowed-host", r.Host)})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func allowedHosts(cfg Config) map[string]bool {
	m := map[string]bool{}
	for _, h := range cfg.AllowedHosts {
		m[strings.ToLower(stripPort(h))] = true
	}
	if h, _, err := net.SplitHostPort(cfg.Addr); err == nil && h != "" {
		if ip, err := netip.ParseAddr(h); err != nil || !ip.IsUnspecified() {
			m[strings.ToLower(strings.Trim(h, "[]"))] = true
		}
	}
	return m
}

func (s *Server) hostAllowed(hostport string) bool {
	h := strings.ToLower(stripPort(hostport))
	if h == "" {
		return false
	}
	if isLoopbackHost(h) || s.hostsOK[h] {
		return true
	}
	// An IP literal cannot be rebound, so when the server is exposed on purpose (with a
	// key), clients may address it by IP.
	if _, err := netip.ParseAddr(h); err == nil && s.apiKey() != "" && !isLoopbackHost(mustHost(s.addr())) {
		return true
	}
	return false
}

func mustHost(addr string) string {
	h, _, _ := net.SplitHostPort(addr)
	return h
}

func stripPort(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return strings.Trim(h, "[]")
	}
	return strings.Trim(hostport, "[]")
}

func isLoopbackHost(h string) bool { return config.IsLoopbackHost(h) }

// checkOrigin applies CORS: allowed origins get the headers and preflight answers; foreign
// origins get none, and their state-changing requests are refused outright, since a
// browser would send them before asking.
func (s *Server) checkOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		w.Header().Add("Vary", "Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		allowed := s.originAllowed(origin, r.Host) || ollamaOriginAllowed(origin, r) // cors_ollama.go
		preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
		if !allowed {
			if preflight || !safeMethod(r.Method) {
				writeErrorFor(w, r, &apiError{Status: http.StatusForbidden, Type: "permission_error", Code: "origin_not_allowed",
					Message: fmt.Sprintf("Origin %q is not allowed to call this API; add it with --allowed-origin", origin)})
				return
			}
			next.ServeHTTP(w, r)
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Expose-Headers", "Retry-After, Content-Type")
		if preflight {
			h.Add("Vary", "Access-Control-Request-Method")
			h.Add("Vary", "Access-Control-Request-Headers")
			h.Set("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
			// SDKs send their own headers (x-stainless-*); echo what was asked for.
			reqHeaders := r.Header.Get("Access-Control-Request-Headers")
			if reqHeaders == "" {
				reqHeaders = "Authorization, Content-Type"
			}
			h.Set("Access-Control-Allow-Headers", reqHeaders)
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// originAllowed: configured origins, the server's own (http://127.0.0.1:PORT,
// http://localhost:PORT), and same-origin requests for a Host that passed checkHost.
func (s *Server) originAllowed(origin, host string) bool {
	o := strings.ToLower(strings.TrimSuffix(origin, "/"))
	for _, pat := range s.originsOK {
		p := strings.ToLower(strings.TrimSuffix(pat, "/"))
		if p == o {
			return true
		}
		if strings.Contains(p, "*") && originMatch(p, o) {
			return true
		}
	}
	rest, ok := strings.CutPrefix(o, "http://")
	if !ok {
		return false
	}
	if rest == strings.ToLower(host) {
		return true
	}
	h, port, err := net.SplitHostPort(rest)
	if err != nil {
		return false
	}
	return isLoopbackHost(h) && s.isOwnPort(port)
}

// checkAuth requires the API key, when one is set, everywhere but /health and the UI's files
// (and CORS preflights, which browsers send without credentials).
func (s *Server) checkAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Read per request: the settings may set or remove the key while the server runs.
		key := s.apiKey()
		if key == "" {
			next.ServeHTTP(w, r)
			return
		}
		want := sha256.Sum256([]byte(key))
		if !needsKey(r.URL.Path) || r.Method == http.MethodOptions || s.fromThisMac(r) {
			next.ServeHTTP(w, r)
			return
		}
		auth := r.Header.Get("Authorization")
		token, ok := cutPrefixFold(auth, "Bearer ")
		// Comparing digests keeps the time independent of the key's length and content.
		got := sha256.Sum256([]byte(strings.TrimSpace(token)))
		if !ok || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			msg := "this server requires an API key: send \"Authorization: Bearer KEY\" (perch serve printed the key)"
			if ok {
				msg = "the API key is wrong: send the key perch serve printed as \"Authorization: Bearer KEY\""
			}
			writeErrorFor(w, r, &apiError{Status: http.StatusUnauthorized, Type: "authentication_error", Code: "invalid_api_key", Message: msg})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func needsKey(p string) bool {
	for _, pre := range []string{"/v1", "/api", "/perch", "/metrics"} {
		if hasPathPrefix(p, pre) {
			return true
		}
	}
	return false
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// limitBody refuses bodies over the limit: at once when Content-Length says so, else when
// reading passes it.
func (s *Server) limitBody(next http.Handler) http.Handler {
	limit := s.cfg.MaxBodyBytes
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			writeErrorFor(w, r, tooLarge(limit))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}
