package worker

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perchapp/perch/engine/llama"
	"github.com/perchapp/perch/engine/sharedtest"
)

// startStories loads stories260K in this process, as a worker would, and closes it at the end.
func startStories(t *testing.T) *Worker {
	t.Helper()
	model := sharedtest.Model(t, "stories260K.gguf")
	if err := llama.Init(""); err != nil {
		sharedtest.Skipf(t, "llama.cpp runtime not available (run make engine): %v", err)
	}
	w, err := start(Config{Model: model, Slots: 1, Threads: 1, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.close)
	return w
}

// runLoop runs the worker's decode loop until the test ends.
func runLoop(t *testing.T, w *Worker) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		w.loop.run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

func post(h http.HandlerFunc, ctx context.Context, body string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h(rec, httptest.NewRequestWithContext(ctx, http.MethodPost, "/", strings.NewReader(body)))
	return rec
}

// TestEmbedWhilePoolingChanges: the handler's input limit must not read the embedding context
// the loop replaces when a request asks for another pooling (run with -race).
func TestEmbedWhilePoolingChanges(t *testing.T) {
	w := startStories(t)
	runLoop(t, w)
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				pooling := []string{"mean", "cls", "last"}[(g+i)%3]
				rec := post(w.handleEmbed, context.Background(), `{"inputs":["Once upon a time"],"pooling":"`+pooling+`","truncate":true}`)
				if rec.Code != http.StatusOK {
					t.Errorf("embed with %s pooling: %d %s", pooling, rec.Code, rec.Body)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// TestEmbedCancelled: an embedding request whose client went away is dropped by the loop,
// not computed.
func TestEmbedCancelled(t *testing.T) {
	w := startStories(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	post(w.handleEmbed, ctx, `{"inputs":["Once upon a time","there was a dog"]}`)
	j := <-w.loop.incoming
	if !j.cancelled.Load() {
		t.Fatal("the client went away but its embedding job is not marked cancelled")
	}
	w.loop.queue = append(w.loop.queue, j)
	w.loop.dropCancelled()
	w.loop.runEmbeds()
	if res := <-j.embed.result; res.err == nil || res.vectors != nil {
		t.Errorf("a cancelled embedding job was computed: %d vectors, err %v", len(res.vectors), res.err)
	}
}

// onWrite is an io.Writer that closes ch at the first write (the worker's ready line).
type onWrite struct {
	once sync.Once
	ch   chan struct{}
}

func (s *onWrite) Write(p []byte) (int, error) {
	s.once.Do(func() { close(s.ch) })
	return len(p), nil
}

// TestShutdownWaitsForHandlers: when the worker is told to exit, Run returns (and frees the
// model) only after the requests being handled are answered.
func TestShutdownWaitsForHandlers(t *testing.T) {
	model := sharedtest.Model(t, "stories260K.gguf")
	if err := llama.Init(""); err != nil {
		sharedtest.Skipf(t, "llama.cpp runtime not available (run make engine): %v", err)
	}
	sock := filepath.Join(t.TempDir(), "w.sock")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := &onWrite{ch: make(chan struct{})}
	ran := make(chan error, 1)
	go func() {
		ran <- Run(ctx, Config{Model: model, Socket: sock, Slots: 1, Threads: 1, Ready: ready, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	}()
	select {
	case <-ready.ch:
	case err := <-ran:
		t.Fatalf("the worker did not start: %v", err)
	}
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}}
	// A request whose body is still arriving keeps its handler running.
	body, send := io.Pipe()
	type answer struct {
		code int
		body string
		err  error
	}
	answered := make(chan answer, 1)
	go func() {
		resp, err := client.Post("http://worker/tokenize", "application/json", body)
		if err != nil {
			answered <- answer{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		answered <- answer{resp.StatusCode, string(b), err}
	}()
	send.Write([]byte(`{"text":"Once upon`))
	time.Sleep(100 * time.Millisecond)
	cancel()
	select {
	case err := <-ran:
		t.Fatalf("Run returned (%v) while a request was being handled", err)
	case <-time.After(300 * time.Millisecond):
	}
	send.Write([]byte(` a time"}`))
	send.Close()
	a := <-answered
	if a.err != nil || a.code != http.StatusOK || !strings.Contains(a.body, `"tokens"`) {
		t.Errorf("the request in flight got %d %q (%v); want its tokens", a.code, a.body, a.err)
	}
	if err := <-ran; err != nil {
		t.Errorf("Run: %v", err)
	}
}

// TestTemplateOverrideKept: a request's own template is compiled once while requests keep
// sending it, and a different one replaces it.
func TestTemplateOverrideKept(t *testing.T) {
	w := startStories(t)
	const a, b = "{% for m in messages %}{{ m.content }}{% endfor %}", "{{ messages[0].content }}"
	ta, err := w.template(a)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := w.template(a); again != ta {
		t.Error("the same template was compiled again")
	}
	if tb, _ := w.template(b); tb == ta {
		t.Error("another template got the first one")
	}
	if _, err := w.template("{% if %}"); err == nil {
		t.Error("a broken template compiled")
	}
	if own, _ := w.template(""); own == ta {
		t.Error("no override gave the override")
	}
}
