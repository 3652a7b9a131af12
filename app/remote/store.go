// Package remote keeps the inference servers on other machines that Perch forwards to: their
// names, base URLs, kinds and API keys, the models they serve (cached), and their health.
// Requests reach them with a connect timeout and a first-byte timeout, so an unreachable
// machine fails fast with a message naming it.
package remote

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Kind is the API a remote speaks.
type Kind string

// Kinds of remote. An Ollama-kind server (Ollama, another Perch) answers /api/* and /v1/*;
// an OpenAI-kind one (vLLM, llama-server, LM Studio) answers /v1/* only.
const (
	KindOpenAI Kind = "openai"
	KindOllama Kind = "ollama"
)

// Endpoint is one remote server as the user added it. The API key is kept apart (Keys).
type Endpoint struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	Kind Kind   `json:"kind"`
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)

// ErrInvalid marks bad input: a name, URL or kind the user must change.
var ErrInvalid = errors.New("invalid remote endpoint")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// ErrNotFound is returned for a name no endpoint has.
var ErrNotFound = errors.New("no such remote endpoint")

// CheckName accepts short lowercase names: they prefix model names ("studio/qwen3:8b"), so
// they cannot hold "/", "." or ":" (which would read as a library reference such as hf.co/…).
func CheckName(name string) error {
	if !nameRE.MatchString(name) {
		return invalid("name %q: use 1 to 32 lowercase letters, digits, - or _ (it prefixes the model names, as in %s/llama3)", name, "studio")
	}
	return nil
}

// NormalizeURL checks a base URL and returns it without a trailing "/" or "/v1" (the paths
// are added per request). Only http and https are accepted.
func NormalizeURL(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", invalid("URL %q is not a URL: %v", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", invalid("URL %q must start with http:// or https:// (for example http://studio.local:11435 or http://gpu-box:8000/v1)", raw)
	}
	if u.Host == "" {
		return "", invalid("URL %q has no host", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", invalid("URL %q: give the server's base URL only, without user, query or fragment; pass the API key with --api-key", raw)
	}
	p := strings.TrimRight(u.Path, "/")
	p = strings.TrimSuffix(p, "/v1")
	p = strings.TrimSuffix(p, "/api")
	u.Path = p
	return u.String(), nil
}

// CheckKind accepts "", openai or ollama.
func CheckKind(k Kind) error {
	switch k {
	case "", KindOpenAI, KindOllama:
		return nil
	}
	return invalid("kind %q: use openai (vLLM, llama-server, LM Studio) or ollama (Ollama, another Perch), or leave it out to detect it", k)
}

// file is where the endpoints are kept: a JSON list, written atomically.
type file struct{ path string }

func (f file) load() ([]Endpoint, error) {
	b, err := os.ReadFile(f.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read remote endpoints: %w", err)
	}
	var eps []Endpoint
	if err := json.Unmarshal(b, &eps); err != nil {
		return nil, fmt.Errorf("read remote endpoints from %s: %w (fix or delete the file)", f.path, err)
	}
	return eps, nil
}

func (f file) save(eps []Endpoint) error {
	if eps == nil {
		eps = []Endpoint{}
	}
	b, err := json.MarshalIndent(eps, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(f.path, append(b, '\n'), 0o644)
}

// writeAtomic writes through a temporary file and a rename, so a crash leaves the old file.
func writeAtomic(path string, b []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
