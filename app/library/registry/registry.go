// Package registry reads models from an Ollama registry (registry.ollama.ai by default, or a
// host named in the reference): the manifest and the URLs of its blobs. Plain HTTP is used
// only for loopback hosts.
package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/perchapp/perch/app/library/download"
)

// Media types of the layers of an Ollama model.
const (
	MediaModel     = "application/vnd.ollama.image.model"
	MediaTemplate  = "application/vnd.ollama.image.template"
	MediaParams    = "application/vnd.ollama.image.params"
	MediaLicense   = "application/vnd.ollama.image.license"
	MediaSystem    = "application/vnd.ollama.image.system"
	MediaProjector = "application/vnd.ollama.image.projector"
	MediaAdapter   = "application/vnd.ollama.image.adapter"
	MediaMessages  = "application/vnd.ollama.image.messages"
	MediaManifest  = "application/vnd.docker.distribution.manifest.v2+json"
)

// ErrNotFound: the registry has no such model or tag.
var ErrNotFound = errors.New("not found in the registry")

// Layer is a blob a manifest names.
type Layer struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
}

// Manifest is a model's manifest (Docker distribution v2 with Ollama media types).
type Manifest struct {
	SchemaVersion int     `json:"schemaVersion"`
	MediaType     string  `json:"mediaType"`
	Config        Layer   `json:"config"`
	Layers        []Layer `json:"layers"`
}

// Client reads from registries.
type Client struct {
	http    *http.Client
	retries int
	backoff time.Duration
}

// New returns a client using hc (http.DefaultClient when nil).
func New(hc *http.Client) *Client {
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{http: hc, retries: 3, backoff: 500 * time.Millisecond}
}

// WithRetries sets how often a manifest fetch is tried again on 5xx and network errors.
func (c *Client) WithRetries(n int, backoff time.Duration) *Client {
	cp := *c
	cp.retries, cp.backoff = n, backoff
	return &cp
}

// BaseURL is https://host, or http://host for a loopback host (127.0.0.1, ::1, localhost).
func BaseURL(host string) string {
	if IsLoopback(host) {
		return "http://" + host
	}
	return "https://" + host
}

// IsLoopback says whether host (with or without a port) is this machine.
func IsLoopback(host string) bool {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	h = strings.Trim(h, "[]")
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// BlobURL is where a blob of host/namespace/name downloads from.
func BlobURL(host, namespace, name, digest string) string {
	return fmt.Sprintf("%s/v2/%s/%s/blobs/%s", BaseURL(host), namespace, name, digest)
}

// Manifest fetches host/namespace/name:tag's manifest.
func (c *Client) Manifest(ctx context.Context, host, namespace, name, tag string) (Manifest, error) {
	u := fmt.Sprintf("%s/v2/%s/%s/manifests/%s", BaseURL(host), namespace, name, tag)
	model := fmt.Sprintf("%s/%s/%s:%s", host, namespace, name, tag)
	var (
		m         Manifest
		temporary bool
	)
	r := download.Retry{Times: c.retries, Backoff: c.backoff, Temporary: func(error) bool { return temporary }}
	err := r.Do(ctx, func() (err error) {
		m, temporary, err = c.manifest(ctx, u, model)
		return err
	})
	return m, err
}

func (c *Client) manifest(ctx context.Context, u, model string) (Manifest, bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Manifest{}, false, fmt.Errorf("registry request: %w", err)
	}
	req.Header.Set("Accept", MediaManifest)
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return Manifest{}, false, ctx.Err()
		}
		return Manifest{}, !download.Refused(err), fmt.Errorf("reach the registry for %s: %w", model, err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusOK:
	case resp.StatusCode == http.StatusNotFound:
		return Manifest{}, false, fmt.Errorf("%s: model %w; check the name and tag (see https://ollama.com/library)", model, ErrNotFound)
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return Manifest{}, true, fmt.Errorf("registry answered %s for %s", resp.Status, model)
	default:
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return Manifest{}, false, fmt.Errorf("registry answered %s for %s: %s", resp.Status, model, strings.TrimSpace(string(b)))
	}
	var m Manifest
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(&m); err != nil {
		return Manifest{}, false, fmt.Errorf("read the manifest of %s: %w", model, err)
	}
	if len(m.Layers) == 0 {
		return Manifest{}, false, fmt.Errorf("the manifest of %s has no layers", model)
	}
	return m, false, nil
}
