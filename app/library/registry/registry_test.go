package registry

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perchapp/perch/app/library/download"
	"github.com/perchapp/perch/app/library/fakehub"
)

func TestManifest(t *testing.T) {
	h := fakehub.New(t)
	h.AddOllama("library", "tiny", "latest",
		fakehub.Layer{MediaType: MediaModel, Data: []byte("GGUF model bytes")},
		fakehub.Layer{MediaType: MediaTemplate, Data: []byte("{{ .Prompt }}")})
	c := New(nil).WithRetries(1, time.Millisecond)
	m, err := c.Manifest(context.Background(), h.Host, "library", "tiny", "latest")
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Layers) != 2 || m.Layers[0].MediaType != MediaModel || m.Layers[0].Size != 16 {
		t.Fatalf("manifest %+v", m)
	}
	resp, err := http.Get(BlobURL(h.Host, "library", "tiny", m.Layers[1].Digest))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("blob: %s", resp.Status)
	}
	_, err = c.Manifest(context.Background(), h.Host, "library", "tiny", "nope")
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown tag: err = %v, want ErrNotFound", err)
	}
}

func TestBaseURL(t *testing.T) {
	cases := map[string]string{
		"registry.ollama.ai": "https://registry.ollama.ai",
		"127.0.0.1:5000":     "http://127.0.0.1:5000",
		"localhost:8080":     "http://localhost:8080",
		"[::1]:9":            "http://[::1]:9",
		"10.0.0.1:5000":      "https://10.0.0.1:5000",
		"example.com":        "https://example.com",
	}
	for host, want := range cases {
		t.Run(host, func(t *testing.T) {
			if got := BaseURL(host); got != want {
				t.Errorf("BaseURL(%q) = %q, want %q", host, got, want)
			}
		})
	}
}

// TestManifestRetryRules: a registry that is down (502) is asked again; an unknown model
// (404) is not asked twice.
func TestManifestRetryRules(t *testing.T) {
	var asked atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := asked.Add(1)
		switch {
		case strings.Contains(r.URL.Path, "/nope/"):
			http.NotFound(w, r)
		case n == 1:
			w.WriteHeader(http.StatusBadGateway)
		default:
			w.Write([]byte(`{"schemaVersion":2,"layers":[{"mediaType":"` + MediaModel + `","digest":"sha256:` + strings.Repeat("a", 64) + `","size":3}]}`))
		}
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	c := New(nil).WithRetries(2, time.Millisecond)
	m, err := c.Manifest(context.Background(), host, "library", "tiny", "latest")
	if err != nil || len(m.Layers) != 1 || asked.Load() != 2 {
		t.Errorf("down once: %+v, %v after %d requests; want the manifest after 2", m, err, asked.Load())
	}
	asked.Store(10)
	if _, err := c.Manifest(context.Background(), host, "library", "nope", "latest"); !errors.Is(err, ErrNotFound) || asked.Load() != 11 {
		t.Errorf("unknown: %v after %d requests; want ErrNotFound after 1", err, asked.Load()-10)
	}
}

type refusingTransport struct{ calls int }

func (rt *refusingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	rt.calls++
	return nil, download.Refuse(errors.New("address not allowed"))
}

// A connection the settings refuse is not tried again: the answer cannot change.
func TestManifestRefusalNotRetried(t *testing.T) {
	rt := &refusingTransport{}
	c := New(&http.Client{Transport: rt}).WithRetries(3, time.Millisecond)
	_, err := c.Manifest(context.Background(), "127.0.0.1:1", "library", "x", "latest")
	if !download.Refused(err) || rt.calls != 1 {
		t.Fatalf("err %v after %d calls; want a refusal after 1", err, rt.calls)
	}
}
