package api_test

import (
	"testing"

	"github.com/perchapp/perch/app/api"
)

// TestOllamaDefaultOrigins: browser apps written for Ollama may read and generate; only
// Perch's own origin (and those the user adds) may change what is on disk or use /perch.
func TestOllamaDefaultOrigins(t *testing.T) {
	ts := newServer(t, api.Config{})
	for _, tc := range []struct {
		origin, method, path string
		want                 int
	}{
		{"http://localhost:3000", "POST", "/api/chat", 204},
		{"http://127.0.0.1:5173", "POST", "/v1/chat/completions", 204},
		{"https://localhost", "POST", "/v1/responses", 204},
		{"http://0.0.0.0:8080", "POST", "/api/generate", 204},
		{"app://obsidian.md", "POST", "/api/embed", 204},
		{"vscode-webview://1234abcd", "GET", "/api/tags", 204},
		{"vscode-file://vscode-app", "POST", "/api/show", 204},
		{"tauri://localhost", "GET", "/v1/models", 204},
		{"file://", "GET", "/api/version", 204},
		// Not on the list, or a route that changes state.
		{"https://evil.example", "POST", "/api/chat", 403},
		{"http://localhost.evil.example", "POST", "/api/chat", 403},
		{"http://192.168.1.5:3000", "POST", "/api/chat", 403},
		{"http://localhost:3000", "POST", "/api/pull", 403},
		{"http://localhost:3000", "DELETE", "/api/delete", 403},
		{"http://localhost:3000", "POST", "/api/copy", 403},
		{"http://localhost:3000", "POST", "/api/create", 403},
		{"app://obsidian.md", "PUT", "/perch/settings", 403},
		{"http://localhost:3000", "GET", "/perch/models", 403},
	} {
		status, h, body := ts.do(t, "OPTIONS", tc.path, "", "Origin", tc.origin, "Access-Control-Request-Method", tc.method)
		if status != tc.want {
			t.Errorf("%s %s from %s: preflight %d, want %d (%s)", tc.method, tc.path, tc.origin, status, tc.want, body)
		}
		if tc.want == 204 && h.Get("Access-Control-Allow-Origin") != tc.origin {
			t.Errorf("%s from %s: Access-Control-Allow-Origin %q", tc.path, tc.origin, h.Get("Access-Control-Allow-Origin"))
		}
	}
}
