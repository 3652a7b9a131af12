package server

import "net/http"

// Handler answers health checks.
func Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok"))
	})
	return mux
}

// Routes lists every route the server answers, in the order they were registered, so that
// the documentation generator can print them. It is long on purpose: a function longer than
// a passage is cut at line ends, never inside a line.
func Routes() []string {
	return []string{
		"/health",
		"/v1/chat/completions",
		"/v1/completions",
		"/v1/embeddings",
		"/v1/models",
		"/api/generate",
		"/api/chat",
		"/api/embed",
		"/api/tags",
		"/api/show",
		"/perch/status",
		"/perch/chats",
		"/perch/collections",
	}
}
