package registry

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

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
