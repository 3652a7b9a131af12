// Package compat holds the real-client conformance cases: the official OpenAI Go SDK and
// Ollama's Go client against a Perch server at a base URL. The same cases run against the
// fake engine (go test ./app/api) and against a real `perch serve` with a real model
// (PERCH_E2E_URL=http://127.0.0.1:11435 PERCH_E2E_MODEL=stories260k go test ./app/api
// -run TestRealClients). Checks that only hold for the fake's fixed text are guarded by
// Target.Fake. Every OpenAI response body is validated against the OpenAI spec's schemas.
package compat

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/perchapp/perch/app/api/internal/oaschema"
)

// Target is the server under test.
type Target struct {
	BaseURL    string // http://127.0.0.1:PORT, without /v1
	Model      string // a chat/completion model
	EmbedModel string // an embedding model; empty skips the embedding cases
	APIKey     string // sent when set
	// PullRef is a reference /api/pull can fetch; empty skips the pull case.
	PullRef string
	// Fake is true against the fake engine, which says fake.Story and knows the failure
	// models ("busy", "crash").
	Fake bool
	// Story is the expected greedy text of Model (fake.Story for the fake); empty skips
	// exact-text checks.
	Story string
}

// Case is one conformance check.
type Case struct {
	Name string
	Run  func(t *testing.T, tg Target)
}

// Run runs cases as subtests.
func Run(t *testing.T, tg Target, cases []Case) {
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) { c.Run(t, tg) })
	}
}

// validatingTransport checks every /v1 response against the OpenAI schemas, SSE events one
// by one, and adds the API key.
type validatingTransport struct {
	t      *testing.T
	key    string
	schema *oaschema.Validator
}

// HTTPClient returns a client that validates OpenAI responses and sends the key.
func HTTPClient(t *testing.T, tg Target) *http.Client {
	t.Helper()
	v, err := oaschema.Load()
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Transport: &validatingTransport{t: t, key: tg.APIKey, schema: v}}
}

func (vt *validatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if vt.key != "" && req.Header.Get("Authorization") == "" {
		req = req.Clone(req.Context())
		req.Header.Set("Authorization", "Bearer "+vt.key)
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil || !strings.Contains(req.URL.Path, "/v1/") {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	vt.check(req, resp, body)
	return resp, nil
}

func (vt *validatingTransport) check(req *http.Request, resp *http.Response, body []byte) {
	vt.t.Helper()
	p := req.URL.Path
	if resp.StatusCode >= 400 {
		vt.validate("ErrorResponse", body)
		return
	}
	if strings.Contains(p, "/responses") {
		vt.checkResponses(p, resp, body)
		return
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		schema := "CreateChatCompletionStreamResponse"
		if strings.HasSuffix(p, "/completions") && !strings.HasSuffix(p, "/chat/completions") {
			schema = "CreateCompletionStreamResponse"
		}
		sc := bufio.NewScanner(bytes.NewReader(body))
		sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
		sawDone := false
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			if data == "[DONE]" {
				sawDone = true
				continue
			}
			if strings.HasPrefix(data, `{"error"`) {
				vt.validate("ErrorResponse", []byte(data))
				continue
			}
			vt.validate(schema, []byte(data))
		}
		if !sawDone && !bytes.Contains(body, []byte(`{"error"`)) {
			vt.t.Errorf("%s: the stream did not end with data: [DONE]", p)
		}
		return
	}
	switch {
	case strings.HasSuffix(p, "/chat/completions"):
		vt.validate("CreateChatCompletionResponse", body)
	case strings.HasSuffix(p, "/completions"):
		vt.validate("CreateCompletionResponse", body)
	case strings.HasSuffix(p, "/embeddings"):
		// The spec describes float vectors only; base64 answers are checked by the case.
		if !bytes.Contains(body, []byte(`"embedding":"`)) {
			vt.validate("CreateEmbeddingResponse", body)
		}
	case strings.HasSuffix(p, "/models"):
		vt.validate("ListModelsResponse", body)
	case strings.Contains(p, "/models/"):
		vt.validate("Model", body)
	}
}

// checkResponses validates /v1/responses answers: the Response object, or each streamed
// event (typed SSE, no [DONE]).
func (vt *validatingTransport) checkResponses(p string, resp *http.Response, body []byte) {
	vt.t.Helper()
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		if !strings.Contains(string(body), `"response.deleted"`) {
			vt.validate("Response", body)
		}
		return
	}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		if e, ok := strings.CutPrefix(line, "event: "); ok {
			event = e
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		if !strings.Contains(data, `"type":"`+event+`"`) {
			vt.t.Errorf("%s: event %q carries data of another type: %s", p, event, data)
		}
		vt.validate("ResponseStreamEvent", []byte(data))
	}
}

func (vt *validatingTransport) validate(schema string, body []byte) {
	vt.t.Helper()
	if err := vt.schema.Validate(schema, body); err != nil {
		vt.t.Error(err)
	}
}

// mustJSON decodes s into a generic value or fails.
func mustJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not a JSON object: %q (%v)", s, err)
	}
	return v
}

// longPrompt is far longer than any context a test model has.
func longPrompt() string { return strings.Repeat("hello world ", 40000) }
