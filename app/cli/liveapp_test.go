package cli

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// openLive opens the app as `perch serve` does (its home and models folders from the
// environment) behind a test server, closed when the test ends. do sends a JSON request and
// returns the status and the trimmed body.
func openLive(t *testing.T) (*App, func(method, path, body string) (int, string)) {
	t.Helper()
	app, err := openApp(serveFlags{host: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Close)
	srv := httptest.NewServer(app.server.Handler())
	t.Cleanup(srv.Close)
	return app, func(method, path, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, strings.TrimSpace(string(b))
	}
}
