// Package hf talks to the Hugging Face Hub (or the mirror HF_ENDPOINT names): repository
// info, file listings with their sha256 (LFS oids), the choice of a GGUF quantization, and
// search. It reads HF_ENDPOINT and HF_TOKEN the way the Hugging Face tools do.
package hf

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/perchapp/perch/app/library/download"
)

// DefaultEndpoint is the Hub.
const DefaultEndpoint = "https://huggingface.co"

var (
	// ErrNotFound: no such repository or file (or a private one without access).
	ErrNotFound = errors.New("not found on Hugging Face")
	// ErrGated: the repository needs an access token with its terms accepted.
	ErrGated = errors.New("gated repository")
)

// Client is a Hub client. It is safe for concurrent use.
type Client struct {
	endpoint string
	token    string
	http     *http.Client
	retries  int
	backoff  time.Duration
}

// New returns a client for endpoint (DefaultEndpoint when empty) that sends token (none when
// empty) and uses hc (http.DefaultClient when nil).
func New(endpoint, token string, hc *http.Client) *Client {
	if endpoint == "" {
		endpoint = DefaultEndpoint
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{endpoint: strings.TrimRight(endpoint, "/"), token: strings.TrimSpace(token), http: hc, retries: 3, backoff: 500 * time.Millisecond}
}

// FromEnv returns a client configured like the Hugging Face tools: HF_ENDPOINT, and the
// token from HF_TOKEN (or HUGGING_FACE_HUB_TOKEN), else the file HF_TOKEN_PATH, else
// $HF_HOME/token (default ~/.cache/huggingface/token).
func FromEnv(hc *http.Client) *Client {
	return New(os.Getenv("HF_ENDPOINT"), EnvToken(), hc)
}

// EnvToken finds the user's Hugging Face token as the Hugging Face tools do; "" if none.
func EnvToken() string {
	for _, k := range []string{"HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"} {
		if v := strings.TrimSpace(os.Getenv(k)); v != "" {
			return v
		}
	}
	path := os.Getenv("HF_TOKEN_PATH")
	if path == "" {
		home := os.Getenv("HF_HOME")
		if home == "" {
			cache := os.Getenv("XDG_CACHE_HOME")
			if cache == "" {
				if h, err := os.UserHomeDir(); err == nil {
					cache = filepath.Join(h, ".cache")
				}
			}
			home = filepath.Join(cache, "huggingface")
		}
		path = filepath.Join(home, "token")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// WithRetries sets how often API calls are tried again on 5xx and network errors.
func (c *Client) WithRetries(n int, backoff time.Duration) *Client {
	cp := *c
	cp.retries, cp.backoff = n, backoff
	return &cp
}

// WithToken is a copy of the client that sends token instead ("" for none).
func (c *Client) WithToken(token string) *Client {
	cp := *c
	cp.token = strings.TrimSpace(token)
	return &cp
}

// Endpoint is the Hub's base URL.
func (c *Client) Endpoint() string { return c.endpoint }

// Token is the access token sent, or "".
func (c *Client) Token() string { return c.token }

// Header is what every request carries (the token, when there is one).
func (c *Client) Header() http.Header {
	h := http.Header{}
	if c.token != "" {
		h.Set("Authorization", "Bearer "+c.token)
	}
	return h
}

// FileURL is where a repository file downloads from (main revision).
func (c *Client) FileURL(repo, file string) string {
	return c.endpoint + "/" + repo + "/resolve/main/" + escapePath(file)
}

// RepoURL is the repository's web page.
func (c *Client) RepoURL(repo string) string { return c.endpoint + "/" + repo }

func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

// ModelInfo is what /api/models/{repo} says.
type ModelInfo struct {
	ID           string    `json:"id"`
	Private      bool      `json:"private"`
	Gated        gated     `json:"gated"`
	Downloads    int       `json:"downloads"`
	Likes        int       `json:"likes"`
	Tags         []string  `json:"tags"`
	PipelineTag  string    `json:"pipeline_tag"`
	LastModified time.Time `json:"lastModified"`
	Siblings     []struct {
		RFilename string `json:"rfilename"`
	} `json:"siblings"`
}

// gated is false, or "auto" / "manual" in the Hub's JSON.
type gated bool

func (g *gated) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	*g = gated(s != "false" && s != "" && s != "null")
	return nil
}

// IsGated says whether downloads need an access token.
func (m ModelInfo) IsGated() bool { return bool(m.Gated) }

// Model fetches a repository's info.
func (c *Client) Model(ctx context.Context, repo string) (ModelInfo, error) {
	var m ModelInfo
	err := c.getJSON(ctx, repo, c.endpoint+"/api/models/"+repo, &m, nil)
	return m, err
}

type treeEntry struct {
	Type string `json:"type"`
	Path string `json:"path"`
	Size int64  `json:"size"`
	LFS  *struct {
		OID  string `json:"oid"`
		Size int64  `json:"size"`
	} `json:"lfs"`
}

// Files lists every file of a repository (all folders), with sizes and LFS sha256s.
func (c *Client) Files(ctx context.Context, repo string) ([]File, error) {
	next := c.endpoint + "/api/models/" + repo + "/tree/main?recursive=true"
	var out []File
	for pages := 0; next != "" && pages < 1000; pages++ {
		var entries []treeEntry
		var hdr http.Header
		if err := c.getJSON(ctx, repo, next, &entries, &hdr); err != nil {
			return nil, err
		}
		for _, e := range entries {
			if e.Type != "file" {
				continue
			}
			f := File{Path: e.Path, Size: e.Size}
			if e.LFS != nil {
				f.SHA256, f.Size = strings.ToLower(e.LFS.OID), e.LFS.Size
			}
			out = append(out, f)
		}
		next = nextLink(hdr.Get("Link"))
	}
	return out, nil
}

// nextLink reads rel="next" from a Link header.
func nextLink(h string) string {
	for _, part := range strings.Split(h, ",") {
		u, params, ok := strings.Cut(strings.TrimSpace(part), ";")
		if ok && strings.Contains(params, `rel="next"`) {
			return strings.Trim(strings.TrimSpace(u), "<>")
		}
	}
	return ""
}

// Resolve finds the GGUF file(s) of quantization tag ("" for the recommended one).
func (c *Client) Resolve(ctx context.Context, repo, tag string) (Quant, error) {
	files, err := c.Files(ctx, repo)
	if err != nil {
		return Quant{}, err
	}
	return Pick(repo, files, tag)
}

// getJSON GETs u into v, retrying 5xx, 429 and network errors, and explains 401/403/404.
func (c *Client) getJSON(ctx context.Context, repo, u string, v any, hdr *http.Header) error {
	var temporary bool
	r := download.Retry{Times: c.retries, Backoff: c.backoff, Temporary: func(error) bool { return temporary }}
	return r.Do(ctx, func() (err error) {
		temporary, err = c.getJSONOnce(ctx, repo, u, v, hdr)
		return err
	})
}

// getJSONOnce is one try of getJSON; temporary says a failure is worth another.
func (c *Client) getJSONOnce(ctx context.Context, repo, u string, v any, hdr *http.Header) (temporary bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false, fmt.Errorf("hugging face request: %w", err)
	}
	req.Header = c.Header()
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		// Offline (no DNS answer, nothing listening) is said at once: retrying only keeps the
		// UI on "Loading…" for seconds before the same answer.
		return !offline(err), fmt.Errorf("reach Hugging Face at %s: %w", c.endpoint, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
		return true, fmt.Errorf("hugging face answered %s for %s", resp.Status, u)
	}
	if resp.StatusCode != http.StatusOK {
		return false, c.StatusError(repo, resp.StatusCode, resp.Header, resp.Body)
	}
	if hdr != nil {
		*hdr = resp.Header
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 64<<20)).Decode(v); err != nil {
		return false, fmt.Errorf("read Hugging Face's answer for %s: %w", u, err)
	}
	return false, nil
}

// StatusError explains a failed Hub response about repo: a gated repository, a missing one,
// a token without access.
func (c *Client) StatusError(repo string, status int, h http.Header, body io.Reader) error {
	msg := h.Get("X-Error-Message")
	if msg == "" && body != nil {
		var e struct {
			Error string `json:"error"`
		}
		b, _ := io.ReadAll(io.LimitReader(body, 4096))
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			msg = e.Error
		} else {
			msg = strings.TrimSpace(string(b))
		}
	}
	code := h.Get("X-Error-Code")
	if repo == "" {
		return fmt.Errorf("hugging face answered %d: %s", status, msg)
	}
	page := c.RepoURL(repo)
	switch {
	case code == "GatedRepo" || (status == http.StatusUnauthorized && code == "" && strings.Contains(strings.ToLower(msg), "restricted")):
		if c.token == "" {
			return fmt.Errorf("hf.co/%s: %w: it needs a Hugging Face access token; accept its terms at %s, then add a token from https://huggingface.co/settings/tokens in Perch's Settings (Privacy) or set HF_TOKEN", repo, ErrGated, page)
		}
		return fmt.Errorf("hf.co/%s: %w: your Hugging Face token has no access yet; accept the terms at %s (approval may take a while)", repo, ErrGated, page)
	case status == http.StatusForbidden:
		return fmt.Errorf("hf.co/%s: access denied (403: %s); check that your Hugging Face token may read it at %s", repo, msg, page)
	case code == "RepoNotFound" || (status == http.StatusUnauthorized && code == "") || (status == http.StatusNotFound && code != "EntryNotFound"):
		hint := "check the spelling (org/name)"
		if c.token == "" {
			hint += "; if it is private, add a Hugging Face token in Settings or set HF_TOKEN"
		}
		return fmt.Errorf("hf.co/%s: repository %w (%s)", repo, ErrNotFound, hint)
	case code == "EntryNotFound" || status == http.StatusNotFound:
		return fmt.Errorf("hf.co/%s: file %w: %s", repo, ErrNotFound, msg)
	}
	return fmt.Errorf("hf.co/%s: Hugging Face answered %d: %s", repo, status, msg)
}

// offline says whether err means there is no network path at all: the name does not resolve
// or nothing answers at the address.
func offline(err error) bool {
	var dns *net.DNSError
	return errors.As(err, &dns) && dns.IsNotFound || errors.Is(err, syscall.ECONNREFUSED)
}
