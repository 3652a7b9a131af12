package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perchapp/perch/app/docs"
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
		if code != 400 || !strings.Contains(body, tt.names) || strings.Contains(body, "wrong type") || strings.Contains(body, "Inf") {
			t.Errorf("%s %.80s: %d %.300s; want a 400 naming %s", tt.path, tt.body, code, body, tt.names)
		}
	}
}

// An upload larger than any model or than the disk holds is refused before a byte is sent.
func TestBadInputUploadSize(t *testing.T) {
	env := newPerchEnv(t, Config{})
	code, body := env.do(t, "POST", "/perch/uploads", `{"filename":"big.gguf","size":1000000000000000000}`)
	if code != 400 || !strings.Contains(body, "larger than any model") {
		t.Errorf("1e18 bytes: %d %s; want 400", code, body)
	}
	code, body = env.do(t, "POST", "/perch/uploads", `{"filename":"big.gguf","size":1000000000000}`)
	if code != 507 && code != 201 {
		t.Errorf("1 TB: %d %s; want 507 (or 201 where the disk has room)", code, body)
	}
}

// Document indexing over the API refuses hidden folders and folders outside the home
// folder with a 400 that says why; imports say nothing about a file that is not a model.
func TestHostileReadThroughAPI(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".ssh", "id_rsa"), []byte("-----BEGIN OPENSSH PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	store := openDocs(t)
	env := newPerchEnv(t, Config{}, WithCollections(store))
	c, err := store.Create(context.Background(), docs.NewCollection{Name: "notes", EmbeddingModel: "stories260k"})
	if err != nil {
		t.Fatal(err)
	}
	for dir, says := range map[string]string{filepath.Join(home, ".ssh"): "hidden", "/etc": "outside your home folder"} {
		body, _ := json.Marshal(map[string]any{"path": dir, "stream": false})
		code, resp := env.do(t, "POST", fmt.Sprintf("/perch/collections/%d/folders", c.ID), string(body))
		if code != 400 || !strings.Contains(resp, says) || strings.Contains(resp, "PRIVATE KEY") {
			t.Errorf("index %s: %d %s; want a 400 saying %q", dir, code, resp, says)
		}
	}
	secret := filepath.Join(home, "environ")
	if err := os.WriteFile(secret, []byte("PERCH_SECRET=1"), 0o600); err != nil {
		t.Fatal(err)
	}
	var answers []string
	for _, p := range []string{secret, filepath.Join(home, "missing.gguf"), home} {
		code, resp := env.do(t, "POST", "/perch/models/import", fmt.Sprintf(`{"path":%q,"name":"x"}`, p))
		if code != 400 || strings.Contains(resp, "PERC") {
			t.Errorf("import %s: %d %s; want a 400 that shows no bytes", p, code, resp)
		}
		answers = append(answers, strings.ReplaceAll(resp, p, "PATH"))
	}
	if answers[0] != answers[1] || answers[1] != answers[2] {
		t.Errorf("the answers tell a missing file, a folder and a non-GGUF file apart:\n%s", strings.Join(answers, ""))
	}
}
