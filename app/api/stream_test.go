package api

import (
	"bufio"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestStreamFlushesThroughMiddleware: an event reaches the client when it is sent, not when
// the handler returns, through the middleware's statusWriter.
func TestStreamFlushesThroughMiddleware(t *testing.T) {
	s := New(Config{}, Deps{Engine: newPerchEngine()})
	release := make(chan struct{})
	ts := httptest.NewServer(s.observe(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		newNDJSON(w).Send(map[string]string{"first": "event"})
		<-release
	})))
	defer ts.Close()
	defer close(release)
	line := make(chan string, 1)
	go func() {
		resp, err := http.Get(ts.URL)
		if err != nil {
			line <- err.Error()
			return
		}
		defer resp.Body.Close()
		l, _ := bufio.NewReader(resp.Body).ReadString('\n')
		line <- l
	}()
	select {
	case l := <-line:
		if !strings.Contains(l, `"first":"event"`) {
			t.Fatalf("first line %q", l)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the event was not flushed while the handler ran")
	}
}
