package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perchapp/perch/app/api"
)

// TestBadInput: every malformed request gets a clear error in its API's shape, naming what
// was wrong, and never a panic or a hang.
func TestBadInput(t *testing.T) {
	ts := newServer(t, api.Config{MaxBodyBytes: 1 << 16})
	long := strings.Repeat("hello ", 400)
	tests := []struct {
		name, method, path, body string
		status                   int
		want                     string // in the message
		code                     string // OpenAI error type, when checked
	}{
		{"empty body", "POST", "/v1/chat/completions", "", 400, "body is empty", "invalid_request_error"},
		{"malformed JSON", "POST", "/v1/chat/completions", `{"model":"tiny",`, 400, "malformed JSON", "invalid_request_error"},
		{"syntax error position", "POST", "/v1/chat/completions", "{\n\"model\": tiny}", 400, "line 2", ""},
		{"not an object", "POST", "/v1/chat/completions", `[1,2]`, 400, "must be a JSON object", ""},
		{"trailing data", "POST", "/v1/chat/completions", `{"model":"tiny","messages":[{"role":"user","content":"hi"}]} {}`, 400, "after the top-level object", ""},
		{"missing model", "POST", "/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}]}`, 400, `"model" is required`, ""},
		{"model wrong type", "POST", "/v1/chat/completions", `{"model":5,"messages":[]}`, 400, `field "model"`, ""},
		{"missing messages", "POST", "/v1/chat/completions", `{"model":"tiny"}`, 400, `"messages" is required`, ""},
		{"messages a string", "POST", "/v1/chat/completions", `{"model":"tiny","messages":"hi"}`, 400, `field "messages"`, ""},
		{"messages of numbers", "POST", "/v1/chat/completions", `{"model":"tiny","messages":[123]}`, 400, `field "messages"`, ""},
		{"empty message", "POST", "/v1/chat/completions", `{"model":"tiny","messages":[{}]}`, 400, "messages[0].role is required", ""},
		{"role not a string", "POST", "/v1/chat/completions", `{"model":"tiny","messages":[{"role":1,"content":"x"}]}`, 400, "messages.role", ""},
		{"bad role", "POST", "/v1/chat/completions", `{"model":"tiny","messages":[{"role":"wizard","content":"x"}]}`, 400, `"wizard"`, ""},
		{"content a number", "POST", "/v1/chat/completions", `{"model":"tiny","messages":[{"role":"user","content":5}]}`, 400, "messages[0].content must be a string", ""},
		{"content missing", "POST", "/v1/chat/completions", `{"model":"tiny","messages":[{"role":"user"}]}`, 400, "messages[0].content is required", ""},
		{"image part", "POST", "/v1/chat/completions", `{"model":"tiny","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:"}}]}]}`, 400, "text only", ""},
		{"temperature type", "POST", "/v1/chat/completions", `{"model":"tiny","messages":[{"role":"user","content":"x"}],"temperature":"hot"}`, 400, `field "temperature"`, ""},
		{"temperature range", "POST", "/v1/chat/completions", `{"model":"tiny","messages":[{"role":"user","content":"x"}],"temperature":3}`, 400, "between 0 and 2", ""},
		{"top_logprobs too many", "POST", "/v1/chat/completions", `{"model":"tiny","messages":[{"role":"user","content":"x"}],"logprobs":true,"top_logprobs":21}`, 400, "between 0 and 20", ""},
		{"top_logprobs without logprobs", "POST", "/v1/chat/completions", `{"model":"tiny","messages":[{"role":"user","content":"x"}],"top_logprobs":2}`, 400, "needs logprobs", ""},
		{"n zero", "POST", "/v1/chat/completions", `{"model":"tiny","messages":[{"role":"user","content":"x"}],"n":0}`, 400, "n must be", ""},
		{"max_tokens zero", "POST", "/v1/chat/completions", `{"model":"tiny","messages":[{"role":"user","content":"x"}],"max_tokens":0}`, 400, "max_tokens must be at least 1", ""},
		{"stop wrong type", "POST", "/v1/chat/completions", `{"model":"tiny","messages":[{"role":"user","content":"x"}],"stop":5}`, 400, `"stop" must be a string or an array`, ""},
		{"logit_bias key", "POST", "/v1/chat/completions", `{"model":"tiny","messages":[{"role":"user","content":"x"}],"logit_bias":{"abc":1}}`, 400, "token ids", ""},
		{"response_format type", "POST", "/v1/chat/completions", `{"model":"tiny","messages":[{"role":"user","content":"x"}],"response_format":{"type":"sound"}}`, 400, `"sound"`, ""},
		{"json_schema not object", "POST", "/v1/chat/completions", `{"model":"tiny","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":5}}}`, 400, "JSON schema object", ""},
		{"tool type", "POST", "/v1/chat/completions", `{"model":"tiny","messages":[{"role":"user","content":"x"}],"tools":[{"type":"web","function":{"name":"f"}}]}`, 400, `"function"`, ""},
		{"tool_choice unknown function", "POST", "/v1/chat/completions", `{"model":"tiny","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"function","function":{"name":"g"}}}`, 400, `"g"`, ""},
		{"tool_choice required without tools", "POST", "/v1/chat/completions", `{"model":"tiny","messages":[{"role":"user","content":"x"}],"tool_choice":"required"}`, 400, "needs tools", ""},
		{"tool call arguments", "POST", "/v1/chat/completions", `{"model":"tiny","messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"1","type":"function","function":{"name":"f","arguments":"{oops"}}]}]}`, 400, "JSON object", ""},
		{"stream_options without stream", "POST", "/v1/chat/completions", `{"model":"tiny","messages":[{"role":"user","content":"x"}],"stream_options":{"include_usage":true}}`, 400, "stream_options", ""},
		{"unknown model", "POST", "/v1/chat/completions", `{"model":"nope","messages":[{"role":"user","content":"x"}]}`, 404, "nope", ""},
		{"path traversal", "POST", "/v1/chat/completions", `{"model":"../../etc/passwd","messages":[{"role":"user","content":"x"}]}`, 400, `".."`, ""},
		{"odd characters", "POST", "/v1/chat/completions", `{"model":"tiny;rm -rf","messages":[{"role":"user","content":"x"}]}`, 400, "contains", ""},
		{"absolute path", "POST", "/api/generate", `{"model":"/etc/passwd","prompt":"x"}`, 400, "file path", ""},
		{"prompt over context", "POST", "/v1/chat/completions", `{"model":"tiny","messages":[{"role":"user","content":"` + long + `"}]}`, 400, "context holds 256", "exceed_context_size_error"},
		{"prompt over context streaming", "POST", "/v1/chat/completions", `{"model":"tiny","stream":true,"messages":[{"role":"user","content":"` + long + `"}]}`, 400, "context holds 256", "exceed_context_size_error"},
		{"queue full", "POST", "/v1/chat/completions", `{"model":"busy","messages":[{"role":"user","content":"x"}]}`, 503, "queue", "unavailable_error"},
		{"no memory", "POST", "/v1/chat/completions", `{"model":"huge","messages":[{"role":"user","content":"x"}]}`, 507, "GiB", "insufficient_memory_error"},
		{"completions without prompt", "POST", "/v1/completions", `{"model":"tiny"}`, 400, `"prompt" is required`, ""},
		{"completions prompt object", "POST", "/v1/completions", `{"model":"tiny","prompt":{"a":1}}`, 400, "prompt must be", ""},
		{"completions negative token", "POST", "/v1/completions", `{"model":"tiny","prompt":[[1,-2]]}`, 400, "prompt[0]", ""},
		{"completions logprobs range", "POST", "/v1/completions", `{"model":"tiny","prompt":"x","logprobs":50}`, 400, "between 0 and 20", ""},
		{"suffix without FIM", "POST", "/v1/completions", `{"model":"tiny","prompt":"def f(","suffix":"return 1"}`, 400, "fill-in-the-middle", ""},
		{"best_of", "POST", "/v1/completions", `{"model":"tiny","prompt":"x","best_of":3}`, 400, "best_of", ""},
		{"embeddings without input", "POST", "/v1/embeddings", `{"model":"embed"}`, 400, `"input" is required`, ""},
		{"embeddings empty string", "POST", "/v1/embeddings", `{"model":"embed","input":""}`, 400, "empty string", ""},
		{"embeddings format", "POST", "/v1/embeddings", `{"model":"embed","input":"x","encoding_format":"hex"}`, 400, "encoding_format", ""},
		{"embeddings dimensions", "POST", "/v1/embeddings", `{"model":"embed","input":"x","dimensions":4}`, 400, "8-dimensional", ""},
		{"embeddings on a chat model", "POST", "/v1/embeddings", `{"model":"tiny","input":"x"}`, 400, "not an embedding model", ""},
		{"embeddings over context", "POST", "/v1/embeddings", `{"model":"embed","input":"` + long + `"}`, 400, "context holds 64", "exceed_context_size_error"},
		{"unknown v1 route", "GET", "/v1/nothing", "", 404, "no endpoint", ""},
		{"wrong method", "GET", "/v1/chat/completions", "", 405, "use POST", ""},
		{"wrong ollama method", "POST", "/api/tags", "{}", 405, "use GET", ""},
		{"ollama malformed", "POST", "/api/chat", `{"model":`, 400, "malformed JSON", ""},
		{"ollama images", "POST", "/api/generate", `{"model":"tiny","prompt":"x","images":["aGk="]}`, 400, "text only", ""},
		{"ollama chat images", "POST", "/api/chat", `{"model":"tiny","messages":[{"role":"user","content":"x","images":["aGk="]}]}`, 400, "text only", ""},
		{"ollama option type", "POST", "/api/generate", `{"model":"tiny","prompt":"x","options":{"num_ctx":"big"}}`, 400, "options.num_ctx must be a number", ""},
		{"ollama option integer", "POST", "/api/generate", `{"model":"tiny","prompt":"x","options":{"top_k":1.5}}`, 400, "options.top_k must be an integer", ""},
		{"ollama options not object", "POST", "/api/generate", `{"model":"tiny","prompt":"x","options":[1]}`, 400, `field "options"`, ""},
		{"ollama keep_alive", "POST", "/api/generate", `{"model":"tiny","prompt":"x","keep_alive":"soon"}`, 400, "keep_alive", ""},
		{"ollama format", "POST", "/api/generate", `{"model":"tiny","prompt":"x","format":"yaml"}`, 400, "format must be", ""},
		{"ollama think", "POST", "/api/chat", `{"model":"tiny","messages":[{"role":"user","content":"x"}],"think":"lots"}`, 400, "think must be", ""},
		{"ollama bad role", "POST", "/api/chat", `{"model":"tiny","messages":[{"role":"robot","content":"x"}]}`, 400, `"robot"`, ""},
		{"ollama unknown model", "POST", "/api/chat", `{"model":"nope","messages":[{"role":"user","content":"x"}]}`, 404, "nope", ""},
		{"ollama over context", "POST", "/api/chat", `{"model":"tiny","messages":[{"role":"user","content":"` + long + `"}]}`, 400, "context holds 256", ""},
		{"ollama show unknown", "POST", "/api/show", `{"model":"nope"}`, 404, "model 'nope' not found", ""},
		{"ollama show missing name", "POST", "/api/show", `{}`, 400, "is required", ""},
		{"ollama delete unknown", "DELETE", "/api/delete", `{"model":"nope"}`, 404, "not found", ""},
		{"ollama copy bad destination", "POST", "/api/copy", `{"source":"tiny","destination":"../x"}`, 400, "destination", ""},
		{"ollama pull unknown", "POST", "/api/pull", `{"model":"nobody/nothing:latest","stream":false}`, 404, "not found", ""},
		{"ollama pull path", "POST", "/api/pull", `{"model":"/etc/passwd"}`, 400, "file path", ""},
		{"ollama template", "POST", "/api/generate", `{"model":"tiny","prompt":"x","template":"{{ .Prompt.Nope }}"}`, 400, "template does not render", ""},
		{"unknown api route", "POST", "/api/create", `{}`, 404, "no endpoint", ""},
		{"huge body", "POST", "/v1/chat/completions", `{"model":"tiny","messages":[{"role":"user","content":"` + strings.Repeat("x", 1<<17) + `"}]}`, 413, "larger than the limit", ""},
		{"huge ollama body", "POST", "/api/generate", `{"model":"tiny","prompt":"` + strings.Repeat("x", 1<<17) + `"}`, 413, "larger than the limit", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, h, body := ts.do(t, tc.method, tc.path, tc.body)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, body)
			}
			if !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
				t.Fatalf("content type %q for an error", h.Get("Content-Type"))
			}
			msg := errorMessage(t, tc.path, body)
			if !strings.Contains(msg, tc.want) {
				t.Fatalf("message %q does not mention %q", msg, tc.want)
			}
			if tc.code != "" {
				var e struct {
					Error struct {
						Type          string `json:"type"`
						PromptTokens  int    `json:"n_prompt_tokens"`
						ContextLength int    `json:"n_ctx"`
					} `json:"error"`
				}
				json.Unmarshal([]byte(body), &e)
				if e.Error.Type != tc.code {
					t.Fatalf("type %q, want %q", e.Error.Type, tc.code)
				}
				if tc.code == "exceed_context_size_error" && (e.Error.PromptTokens == 0 || e.Error.ContextLength == 0) {
					t.Fatalf("the overflow error lacks n_prompt_tokens or n_ctx: %s", body)
				}
			}
			if status == 503 && h.Get("Retry-After") == "" {
				t.Fatal("a 503 without Retry-After")
			}
		})
	}
}

// errorMessage reads an error in the shape of the path's API.
func errorMessage(t *testing.T, path, body string) string {
	t.Helper()
	if strings.HasPrefix(path, "/api/") {
		var e struct {
			Error string `json:"error"`
		}
		if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error == "" {
			t.Fatalf("not an Ollama error: %s", body)
		}
		return e.Error
	}
	var e struct {
		Error struct {
			Message string          `json:"message"`
			Type    string          `json:"type"`
			Param   json.RawMessage `json:"param"`
			Code    json.RawMessage `json:"code"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error.Message == "" || e.Error.Type == "" || e.Error.Param == nil || e.Error.Code == nil {
		t.Fatalf("not an OpenAI error with message, type, param and code: %s", body)
	}
	return e.Error.Message
}

func TestSafety(t *testing.T) {
	ts := newServer(t, api.Config{APIKey: "sekret", AllowedOrigins: []string{"https://app.example", "chrome-extension://*"}, AllowedHosts: []string{"perch.lan"}})
	auth := "Bearer sekret"
	port := ts.URL[strings.LastIndex(ts.URL, ":")+1:]
	tests := []struct {
		name, method, path, body string
		headers                  []string
		status                   int
		check                    func(t *testing.T, h http.Header, body string)
	}{
		{"evil host", "GET", "/v1/models", "", []string{"Host", "evil.example", "Authorization", auth}, 403, contains("not allowed")},
		{"rebinding host with port", "GET", "/api/tags", "", []string{"Host", "attacker.com:" + port, "Authorization", auth}, 403, contains("attacker.com")},
		{"localhost host", "GET", "/api/version", "", []string{"Host", "localhost:" + port, "Authorization", auth}, 200, nil},
		{"ipv6 loopback host", "GET", "/api/version", "", []string{"Host", "[::1]:" + port, "Authorization", auth}, 200, nil},
		{"configured host", "GET", "/api/version", "", []string{"Host", "perch.lan:" + port, "Authorization", auth}, 200, nil},
		{"health is public", "GET", "/health", "", nil, 200, contains(`"status":"ok"`)},
		{"missing key", "GET", "/v1/models", "", nil, 401, func(t *testing.T, h http.Header, body string) {
			if !strings.Contains(body, "authentication_error") || h.Get("WWW-Authenticate") == "" {
				t.Fatalf("401 without authentication_error or WWW-Authenticate: %s", body)
			}
		}},
		{"wrong key", "GET", "/api/tags", "", []string{"Authorization", "Bearer nope"}, 401, contains("wrong")},
		{"key on metrics", "GET", "/metrics", "", nil, 401, nil},
		{"key on perch", "GET", "/perch/anything", "", nil, 401, nil},
		{"lower-case bearer", "GET", "/api/version", "", []string{"Authorization", "bearer sekret"}, 200, nil},
		{"root is public", "GET", "/", "", nil, 200, contains("Ollama is running")},
		{"preflight allowed", "OPTIONS", "/v1/chat/completions", "", []string{"Origin", "https://app.example", "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization, content-type, x-stainless-os"}, 204,
			func(t *testing.T, h http.Header, _ string) {
				if h.Get("Access-Control-Allow-Origin") != "https://app.example" || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
					!strings.Contains(h.Get("Access-Control-Allow-Headers"), "x-stainless-os") || h.Get("Access-Control-Max-Age") == "" || !strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin") {
					t.Fatalf("preflight headers %v", h)
				}
			}},
		{"preflight pattern origin", "OPTIONS", "/api/chat", "", []string{"Origin", "chrome-extension://abc", "Access-Control-Request-Method", "POST"}, 204, nil},
		{"preflight foreign", "OPTIONS", "/v1/chat/completions", "", []string{"Origin", "https://evil.example", "Access-Control-Request-Method", "POST"}, 403, noCORS},
		{"foreign post refused", "POST", "/api/generate", `{"model":"tiny"}`, []string{"Origin", "https://evil.example", "Authorization", auth}, 403, func(t *testing.T, h http.Header, body string) {
			noCORS(t, h, body)
			contains("evil.example")(t, h, body)
		}},
		{"foreign get has no CORS", "GET", "/api/version", "", []string{"Origin", "https://evil.example", "Authorization", auth}, 200, noCORS},
		{"allowed origin get", "GET", "/api/version", "", []string{"Origin", "https://app.example", "Authorization", auth}, 200, func(t *testing.T, h http.Header, _ string) {
			if h.Get("Access-Control-Allow-Origin") != "https://app.example" {
				t.Fatalf("no CORS for an allowed origin: %v", h)
			}
		}},
		{"own UI origin", "POST", "/api/generate", `{"model":"tiny"}`, []string{"Origin", "http://localhost:" + port, "Authorization", auth}, 200, nil},
		{"own UI origin 127", "POST", "/api/generate", `{"model":"tiny"}`, []string{"Origin", "http://127.0.0.1:" + port, "Authorization", auth}, 200, nil},
		{"loopback origin other port may not pull", "POST", "/api/pull", `{"model":"tiny"}`, []string{"Origin", "http://127.0.0.1:1", "Authorization", auth}, 403, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, h, body := ts.do(t, tc.method, tc.path, tc.body, tc.headers...)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, body)
			}
			if tc.check != nil {
				tc.check(t, h, body)
			}
		})
	}
}

func contains(s string) func(*testing.T, http.Header, string) {
	return func(t *testing.T, _ http.Header, body string) {
		t.Helper()
		if !strings.Contains(body, s) {
			t.Fatalf("body %q lacks %q", body, s)
		}
	}
}

func noCORS(t *testing.T, h http.Header, _ string) {
	t.Helper()
	if h.Get("Access-Control-Allow-Origin") != "" || h.Get("Access-Control-Allow-Methods") != "" {
		t.Fatalf("CORS headers for a foreign origin: %v", h)
	}
}

func TestCheckExposure(t *testing.T) {
	for _, tc := range []struct {
		addr, key string
		ok        bool
	}{
		{"127.0.0.1:11435", "", true}, {"localhost:1", "", true}, {"[::1]:1", "", true},
		{"0.0.0.0:11435", "", false}, {":11435", "", false}, {"192.168.1.2:80", "", false}, {"0.0.0.0:11435", "k", true},
	} {
		if err := api.CheckExposure(tc.addr, tc.key); (err == nil) != tc.ok {
			t.Errorf("CheckExposure(%q, %q) = %v", tc.addr, tc.key, err)
		}
	}
}

// TestSSEShape reads the raw stream: role first, one finish_reason, the usage trailer, [DONE].
func TestSSEShape(t *testing.T) {
	ts := newServer(t, api.Config{})
	status, h, body := ts.do(t, "POST", "/v1/chat/completions", `{"model":"tiny","stream":true,"n":2,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}],"max_tokens":3}`)
	if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("status %d, type %q", status, h.Get("Content-Type"))
	}
	events := strings.Split(strings.TrimSuffix(body, "\n\n"), "\n\n")
	if events[len(events)-1] != "data: [DONE]" {
		t.Fatalf("last event %q", events[len(events)-1])
	}
	roles, finishes := map[int]int{}, map[int]int{}
	seen := map[int]bool{}
	var last map[string]any
	for _, ev := range events[:len(events)-1] {
		var c struct {
			Choices []struct {
				Index        int             `json:"index"`
				Delta        json.RawMessage `json:"delta"`
				FinishReason *string         `json:"finish_reason"`
			} `json:"choices"`
		}
		data := strings.TrimPrefix(ev, "data: ")
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			t.Fatalf("event %q: %v", ev, err)
		}
		json.Unmarshal([]byte(data), &last)
		for _, ch := range c.Choices {
			if strings.Contains(string(ch.Delta), `"role"`) {
				if seen[ch.Index] {
					t.Fatalf("choice %d: role after content", ch.Index)
				}
				roles[ch.Index]++
			}
			seen[ch.Index] = true
			if ch.FinishReason != nil {
				finishes[ch.Index]++
				if *ch.FinishReason != "length" {
					t.Fatalf("finish %q, want length", *ch.FinishReason)
				}
			}
		}
	}
	for i := range 2 {
		if roles[i] != 1 || finishes[i] != 1 {
			t.Fatalf("choice %d: %d role chunks, %d finishes", i, roles[i], finishes[i])
		}
	}
	if ch, _ := last["choices"].([]any); ch == nil || len(ch) != 0 || last["usage"] == nil {
		t.Fatalf("no usage trailer: %v", last)
	}
	if u := last["usage"].(map[string]any); u["completion_tokens"].(float64) != 6 {
		t.Fatalf("usage %v, want 6 completion tokens for 2 choices × 3", u)
	}
}

func TestNDJSONShapeAndMidStreamError(t *testing.T) {
	ts := newServer(t, api.Config{})
	status, h, body := ts.do(t, "POST", "/api/chat", `{"model":"crash","messages":[{"role":"user","content":"hi"}]}`)
	if status != 200 || h.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("status %d, type %q", status, h.Get("Content-Type"))
	}
	lines := strings.Split(strings.TrimSpace(body), "\n")
	if len(lines) != 3 || !strings.Contains(lines[2], `"error":"the worker for crash died`) {
		t.Fatalf("want two chunks then an error line, got %q", lines)
	}
	// OpenAI streams end with an error event in OpenAI's shape.
	_, _, body = ts.do(t, "POST", "/v1/chat/completions", `{"model":"crash","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	if !strings.Contains(body, `data: {"error":{"message":"the worker for crash died`) || strings.Contains(body, "[DONE]") {
		t.Fatalf("stream %q", body)
	}
	// Non-streamed, it is a 500.
	status, _, body = ts.do(t, "POST", "/api/chat", `{"model":"crash","stream":false,"messages":[{"role":"user","content":"hi"}]}`)
	if status != 500 || !strings.Contains(body, "died") {
		t.Fatalf("status %d: %s", status, body)
	}
}

// TestDisconnectCancels: a client that goes away mid-stream stops the generation.
func TestDisconnectCancels(t *testing.T) {
	for _, path := range []string{"/v1/chat/completions", "/api/chat", "/v1/completions", "/api/generate"} {
		t.Run(path, func(t *testing.T) {
			ts := newServer(t, api.Config{})
			ts.eng.TokenDelay = 50 * time.Millisecond
			body := `{"model":"tiny","stream":true,"messages":[{"role":"user","content":"hi"}],"prompt":"hi"}`
			ctx, cancel := context.WithCancel(context.Background())
			req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+path, strings.NewReader(body))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			// Read one event, then hang up.
			if _, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil {
				t.Fatal(err)
			}
			cancel()
			resp.Body.Close()
			deadline := time.Now().Add(5 * time.Second)
			for ts.eng.Stats().Cancelled == 0 {
				if time.Now().After(deadline) {
					t.Fatal("the engine's context was not cancelled")
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}

// TestConcurrentStreams: 50 streams on 4 slots all complete with the whole text.
func TestConcurrentStreams(t *testing.T) {
	ts := newServer(t, api.Config{})
	ts.eng.TokenDelay = time.Millisecond
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path, body := "/v1/chat/completions", `{"model":"tiny","stream":true,"messages":[{"role":"user","content":"hi"}]}`
			if i%2 == 1 {
				path, body = "/api/chat", `{"model":"tiny","messages":[{"role":"user","content":"hi"}]}`
			}
			resp, err := http.Post(ts.URL+path, "application/json", strings.NewReader(body))
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			var text strings.Builder
			sc := bufio.NewScanner(resp.Body)
			done := false
			for sc.Scan() {
				line := strings.TrimPrefix(sc.Text(), "data: ")
				if line == "" {
					continue
				}
				if line == "[DONE]" {
					done = true
					continue
				}
				var ev struct {
					Choices []struct {
						Delta struct{ Content string } `json:"delta"`
					} `json:"choices"`
					Message struct{ Content string } `json:"message"`
					Done    bool                     `json:"done"`
				}
				if err := json.Unmarshal([]byte(line), &ev); err != nil {
					errs <- fmt.Errorf("%s: %q: %w", path, line, err)
					return
				}
				for _, c := range ev.Choices {
					text.WriteString(c.Delta.Content)
				}
				text.WriteString(ev.Message.Content)
				done = done || ev.Done
			}
			if !done || !strings.HasSuffix(text.String(), "sunshine.") {
				errs <- fmt.Errorf("stream %d incomplete (done=%v): %q", i, done, text.String())
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := ts.eng.Stats()
	if st.MaxConcurrent > 4 || st.Calls != 50 {
		t.Fatalf("stats %+v: want 50 calls, at most 4 at once", st)
	}
}

func TestMetricsAndLogs(t *testing.T) {
	ts := newServer(t, api.Config{})
	ts.do(t, "POST", "/v1/chat/completions", `{"model":"tiny","messages":[{"role":"user","content":"hi"}]}`)
	ts.do(t, "POST", "/api/generate", `{"model":"nope","prompt":"x"}`)
	ts.srv.ObserveWorkerRestart("tiny")
	status, _, body := ts.do(t, "GET", "/metrics", "")
	if status != 200 {
		t.Fatalf("metrics: %d", status)
	}
	for _, want := range []string{
		`perch_http_requests_total{code="200",method="POST",route="POST /v1/chat/completions"} 1`,
		`perch_http_requests_total{code="404",method="POST",route="POST /api/generate"} 1`,
		`perch_tokens_total{direction="completion",model="tiny"} 19`,
		`perch_time_to_first_token_seconds_count{model="tiny"} 1`,
		`perch_generation_tokens_per_second_count{model="tiny"} 1`,
		`perch_model_loaded{model="tiny"} 1`,
		`perch_model_memory_bytes{model="tiny",part="weights"} 1.048576e+06`,
		`perch_queue_depth{model="tiny"} 0`,
		`perch_worker_restarts_total{model="tiny"} 1`,
		`perch_speculative_draft_tokens_total{model="tiny",result="accepted",source="model"} 6`,
		`perch_speculative_draft_tokens_total{model="tiny",result="rejected",source="model"} 2`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	logs := ts.logs.String()
	for _, want := range []string{`"route":"POST /v1/chat/completions"`, `"model":"tiny"`, `"completion_tokens":19`, `"status":404`, `"error":"model 'nope' not found`} {
		if !strings.Contains(logs, want) && !strings.Contains(logs, strings.Replace(want, "'nope' not found", `\"nope\" not found`, 1)) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
}
