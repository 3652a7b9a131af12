package api

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/perchapp/perch/app/library"
	"github.com/perchapp/perch/app/library/ggufmeta"
)

// Every answer, the UI's pages included, forbids framing by other sites.
func TestHostileFraming(t *testing.T) {
	env := newPerchEnv(t, Config{}, WithStatic(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("<!doctype html><title>Perch</title>"))
	})))
	for _, p := range []string{"/", "/perch/status", "/v1/models"} {
		resp := env.req(t, t.Context(), "GET", p, "")
		resp.Body.Close()
		if got := resp.Header.Get("X-Frame-Options"); got != "DENY" {
			t.Errorf("%s: X-Frame-Options %q, want DENY", p, got)
		}
		csp := resp.Header.Get("Content-Security-Policy")
		for _, want := range []string{"frame-ancestors 'none'", "script-src 'self'", "default-src 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: Content-Security-Policy %q lacks %q", p, csp, want)
			}
		}
	}
}

// --allowed-origin '*' allows any origin, and patterns match as a user expects.
func TestHostileAllowedOriginPatterns(t *testing.T) {
	tests := []struct {
		patterns []string
		origin   string
		want     bool
	}{
		{[]string{"*"}, "https://app.example.com", true},
		{[]string{"*"}, "http://192.168.1.5:3000", true},
		{[]string{"https://*.example.com"}, "https://a.b.example.com", true},
		{[]string{"https://*.example.com"}, "https://example.org", false},
		{[]string{"https://*.example.com"}, "https://evil.com/.example.com", false},
		{[]string{"http://localhost:*"}, "http://localhost:5173", true},
		{[]string{"http://localhost:*"}, "http://localhost.evil.com:5173", false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.patterns, tt.origin), func(t *testing.T) {
			env := newPerchEnv(t, Config{AllowedOrigins: tt.patterns})
			r, _ := http.NewRequestWithContext(t.Context(), "GET", env.srv.URL+"/v1/models", nil)
			r.Header.Set("Origin", tt.origin)
			resp, err := http.DefaultClient.Do(r)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			got := resp.Header.Get("Access-Control-Allow-Origin") == tt.origin && resp.StatusCode == 200
			if got != tt.want {
				t.Errorf("allowed %v (status %d, ACAO %q), want %v", got, resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"), tt.want)
			}
		})
	}
}

// Numbers a 32-bit float cannot hold, and too many stop strings, are 400s naming the field.
func TestBadInputOptionRanges(t *testing.T) {
	env := newPerchEnv(t, Config{})
	stops := `"` + strings.Repeat(`s","`, 9999) + `s"`
	tests := []struct{ path, body, names string }{
		{"/api/generate", `{"model":"stories260k","prompt":"hi","options":{"temperature":1e39}}`, "options.temperature"},
		{"/api/chat", `{"model":"stories260k","messages":[{"role":"user","content":"hi"}],"options":{"presence_penalty":-1e39}}`, "options.presence_penalty"},
		{"/api/generate", `{"model":"stories260k","prompt":"hi","options":{"repeat_penalty":1e300}}`, "options.repeat_penalty"},
		{"/v1/chat/completions", `{"model":"stories260k","messages":[{"role":"user","content":"hi"}],"temperature":1e39}`, "temperature"},
		{"/v1/completions", `{"model":"stories260k","prompt":"hi","frequency_penalty":1e39}`, "frequency_penalty"},
		{"/api/generate", `{"model":"stories260k","prompt":"hi","options":{"stop":[` + stops + `]}}`, "options.stop"},
	}
	for _, tt := range tests {
		code, body := env.do(t, "POST", tt.path, tt.body)
		if code != 400 || !strings.Contains(body, tt.names) || strings.Contains(body, "got number\"") || strings.Contains(body, "Inf") {
			t.Errorf("%s %.80s: %d %.300s; want a 400 naming %s", tt.path, tt.body, code, body, tt.names)
		}
	}
}

// An upload larger than any model or than the disk holds is refused before a byte is sent.
func TestBadInputUploadSize(t *testing.T) {
	env := newPerchEnv(t, Config{})
	code, body := env.do(t, "POST", "/perch/uploads", `{"filename":"big.gguf","size":1e18}`)
	if code != 400 || !strings.Contains(body, "size") {
		t.Errorf("1e18 bytes: %d %s; want 400", code, body)
	}
	code, body = env.do(t, "POST", "/perch/uploads", `{"filename":"big.gguf","size":1000000000000}`)
	if code != 507 && code != 201 {
		t.Errorf("1 TB: %d %s; want 507 (or 201 where the disk has room)", code, body)
	}
}

// Client and environment faults are not 500s: not a model 400, unreachable 502, full disk 507.
func TestFaultStatuses(t *testing.T) {
	full := func() error {
		f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
		if err != nil {
			t.Skip("no /dev/full here")
		}
		defer f.Close()
		_, err = f.Write([]byte("x"))
		return fmt.Errorf("save the chat: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, dialErr := http.Get("http://" + addr + "/model.gguf")
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"disk full", full(), 507},
		{"unreachable", fmt.Errorf("reach it: %w", dialErr), 502},
		{"not gguf", fmt.Errorf("import: nothing was stored: x: %w", ggufmeta.ErrNotGGUF), 400},
		{"not a model file", fmt.Errorf("%w: nope", library.ErrNotModelFile), 400},
		{"private", fmt.Errorf("%w: nope", library.ErrPrivateAddress), 403},
		{"other", errors.New("boom"), 500},
	}
	for _, tt := range tests {
		if got := toAPIError(tt.err).Status; got != tt.want {
			t.Errorf("%s (%v): %d, want %d", tt.name, tt.err, got, tt.want)
		}
	}
	if got := toAPIError(settingsError(full())).Status; got != 507 {
		t.Errorf("settings on a full disk: %d, want 507", got)
	}
}
