package api

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/perchapp/perch/app/library/pulls"
)

// Close pauses the downloads the UI started, so none outlives the server and a later pull
// resumes from the partial file.
func TestServerClosePausesPulls(t *testing.T) {
	env := newPerchEnv(t, Config{})
	env.lib.pullSize, env.lib.chunk = 1<<30, 10
	code, body := env.do(t, "POST", "/perch/pulls", `{"ref":"127.0.0.1:9/library/tiny:latest"}`)
	if code != http.StatusAccepted {
		t.Fatalf("start: %d %s", code, body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		env.lib.mu.Lock()
		got := env.lib.pulled["127.0.0.1:9/library/tiny:latest"]
		env.lib.mu.Unlock()
		if got > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the download did not start")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := env.api.Close(); err != nil {
		t.Fatal(err)
	}
	ps := env.api.perch.pulls.List()
	if len(ps) != 1 || ps[0].State != pulls.Paused {
		t.Fatalf("after Close: %+v, want one paused download", ps)
	}
	env.lib.mu.Lock()
	defer env.lib.mu.Unlock()
	if len(env.lib.discarded) != 0 || env.lib.pulled["127.0.0.1:9/library/tiny:latest"] == 0 {
		t.Errorf("Close discarded the partial download: discarded %v", env.lib.discarded)
	}
}

// Every route is in the table once, and a route whose dependency is missing answers 501
// in its wire format.
func TestRoutesTable(t *testing.T) {
	s := New(Config{}, Deps{Engine: newPerchEngine()})
	seen := map[string]bool{}
	for _, rt := range s.routes() {
		if seen[rt.pattern()] {
			t.Errorf("route %q listed twice", rt.pattern())
		}
		seen[rt.pattern()] = true
	}
	for _, c := range []struct{ method, path, want string }{
		{"GET", "/perch/chats", `{"error":{"message":"chat history is not available in this build of the server","type":"not_supported_error","param":null,"code":"not_available"}}`},
		{"DELETE", "/api/delete", `{"error":"this server has no model library; manage models with the perch command"}`},
	} {
		rec := perchRecorder(s, c.method, c.path, "")
		if rec.code != http.StatusNotImplemented || rec.body != c.want+"\n" {
			t.Errorf("%s %s: %d %s, want 501 %s", c.method, c.path, rec.code, rec.body, c.want)
		}
	}
}

// Close discards the uploads in progress: their ids die with the server, so their partial
// files could never be finished.
func TestServerCloseDiscardsUploads(t *testing.T) {
	env := newPerchEnv(t, Config{})
	code, body := env.do(t, "POST", "/perch/uploads", `{"filename":"m.gguf","size":100}`)
	if code != http.StatusCreated {
		t.Fatalf("start: %d %s", code, body)
	}
	if err := env.api.Close(); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(env.api.perch.uploadDir)
	if err != nil || len(ents) != 0 {
		t.Fatalf("the upload folder after Close: %v %v, want it empty", ents, err)
	}
	if code, body := env.do(t, "POST", "/perch/uploads", `{"filename":"m.gguf","size":100}`); code != http.StatusServiceUnavailable || !strings.Contains(body, "shutting down") {
		t.Errorf("an upload after Close: %d %s, want 503", code, body)
	}
}
