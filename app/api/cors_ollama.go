package api

import (
	"net/http"
	"net/url"
	"strings"
)

// Ollama's default CORS allow-list, for the routes that only read or generate: browser apps
// written for Ollama (a dev server on localhost, Obsidian, VS Code webviews, Tauri apps) work
// unchanged. The UI's /perch routes and every route that changes what is on disk (pull,
// delete, copy, create, push, blobs) stay limited to Perch's own origin and those the user
// adds with --allowed-origin.

// ollamaOriginSchemes are the app schemes Ollama allows by default, any host.
var ollamaOriginSchemes = map[string]bool{"app": true, "file": true, "tauri": true, "vscode-webview": true, "vscode-file": true}

// ollamaDefaultOrigin reports whether origin is on Ollama's default list: http or https on
// localhost, 127.0.0.1 or 0.0.0.0 at any port, or one of the app schemes.
func ollamaDefaultOrigin(origin string) bool {
	u, err := url.Parse(strings.ToLower(origin))
	if err != nil || u.Scheme == "" {
		return false
	}
	if ollamaOriginSchemes[u.Scheme] {
		return true
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return false
	}
	switch u.Hostname() {
	case "localhost", "127.0.0.1", "0.0.0.0":
		return true
	}
	return false
}

// ollamaReadRoutes are the /api routes open to Ollama's default origins: they read or
// generate, and change nothing on disk.
var ollamaReadRoutes = map[string]bool{
	"/api/generate": true, "/api/chat": true, "/api/embed": true, "/api/embeddings": true, "/api/tags": true,
	"/api/show": true, "/api/ps": true, "/api/version": true,
}

// readOrGenerateRoute: /v1 (which changes nothing on disk), the read /api routes, and "/".
func readOrGenerateRoute(p string) bool {
	return hasPathPrefix(p, "/v1") || ollamaReadRoutes[p] || p == "/"
}

// ollamaOriginAllowed applies Ollama's default list to the read and generate routes.
func ollamaOriginAllowed(origin string, r *http.Request) bool {
	return readOrGenerateRoute(r.URL.Path) && ollamaDefaultOrigin(origin)
}
