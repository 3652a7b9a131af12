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

// Routes lists the routes the server answers.
func Routes() []string {
	return []string{"/health", "/v1/chat/completions", "/perch/collections"}
}
