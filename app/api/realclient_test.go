package api_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/perchapp/perch/app/api"
	"github.com/perchapp/perch/app/api/internal/compat"
	"github.com/perchapp/perch/app/api/internal/fake"
)

// syncBuffer collects log output from several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type testServer struct {
	URL  string
	eng  *fake.Engine
	lib  *fake.Library
	srv  *api.Server
	logs *syncBuffer
}

// newServer runs a Server with the fake engine and library on 127.0.0.1, with each change
// to its Deps.
func newServer(t *testing.T, cfg api.Config, with ...func(*api.Deps)) *testServer {
	t.Helper()
	ts := &testServer{eng: fake.New(4, fake.Default()), lib: fake.DefaultLibrary(), logs: &syncBuffer{}}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewJSONHandler(ts.logs, nil))
	}
	if cfg.Version == "" {
		cfg.Version = "1.2.3"
	}
	d := api.Deps{Engine: ts.eng, Library: ts.lib}
	for _, f := range with {
		f(&d)
	}
	ts.srv = api.New(cfg, d)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.URL = "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ts.srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return ts
}

// do sends a request and returns the status, headers and body.
func (ts *testServer) do(t *testing.T, method, path, body string, headers ...string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if strings.EqualFold(headers[i], "Host") {
			req.Host = headers[i+1]
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

// TestRealClients runs the official OpenAI Go SDK and Ollama's Go client against the server.
// With PERCH_E2E_URL set (and PERCH_E2E_MODEL, optionally PERCH_E2E_EMBED_MODEL,
// PERCH_E2E_KEY, PERCH_E2E_STORY), the very same cases run against that server instead,
// for instance a real `perch serve` with stories260K.
func TestRealClients(t *testing.T) {
	tg := compat.Target{BaseURL: os.Getenv("PERCH_E2E_URL"), Model: os.Getenv("PERCH_E2E_MODEL"), EmbedModel: os.Getenv("PERCH_E2E_EMBED_MODEL"),
		APIKey: os.Getenv("PERCH_E2E_KEY"), Story: os.Getenv("PERCH_E2E_STORY"), PullRef: os.Getenv("PERCH_E2E_PULL")}
	if tg.BaseURL == "" {
		ts := newServer(t, api.Config{APIKey: "test-key"})
		tg = compat.Target{BaseURL: ts.URL, Model: "tiny", EmbedModel: "embed", APIKey: "test-key", PullRef: "tiny-copy-source", Fake: true, Story: fake.Story}
	}
	t.Run("openai", func(t *testing.T) { compat.Run(t, tg, compat.OpenAI()) })
	t.Run("ollama", func(t *testing.T) { compat.Run(t, tg, compat.Ollama()) })
	t.Run("responses", func(t *testing.T) { compat.Run(t, tg, compat.Responses()) })
}
