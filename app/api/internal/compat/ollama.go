package compat

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
)

func olClient(t *testing.T, tg Target) *api.Client {
	u, err := url.Parse(tg.BaseURL)
	if err != nil {
		t.Fatal(err)
	}
	return api.NewClient(u, HTTPClient(t, tg))
}

func wantStatus(t *testing.T, err error, status int) {
	t.Helper()
	var se api.StatusError
	if !errors.As(err, &se) {
		t.Fatalf("want a status error %d, got %v", status, err)
	}
	if se.StatusCode != status || se.ErrorMessage == "" {
		t.Fatalf("status %d (%q), want %d with a message", se.StatusCode, se.ErrorMessage, status)
	}
}

func greedy() map[string]any { return map[string]any{"temperature": 0, "num_predict": 16} }

func checkFinal(t *testing.T, done bool, reason string, m api.Metrics, created time.Time) {
	t.Helper()
	if !done || (reason != "stop" && reason != "length") {
		t.Fatalf("final object: done=%v done_reason=%q", done, reason)
	}
	if m.TotalDuration <= 0 || m.PromptEvalCount <= 0 || m.EvalCount <= 0 || created.IsZero() {
		t.Fatalf("final metrics %+v, created_at %v", m, created)
	}
}

// Ollama are the cases for Ollama's Go client.
func Ollama() []Case {
	stream := func(b bool) *bool { return &b }
	return []Case{
		{"version and HEAD", func(t *testing.T, tg Target) {
			v, err := olClient(t, tg).Version(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !regexp.MustCompile(`^\d+\.\d+\.\d+`).MatchString(v) {
				t.Fatalf("version %q is not semantic", v)
			}
			for _, p := range []string{"/api/tags", "/api/version", "/"} {
				req, _ := http.NewRequest(http.MethodHead, tg.BaseURL+p, nil)
				resp, err := HTTPClient(t, tg).Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Fatalf("HEAD %s: %d", p, resp.StatusCode)
				}
			}
		}},
		{"tags and show", func(t *testing.T, tg Target) {
			c := olClient(t, tg)
			list, err := c.List(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(list.Models, func(m api.ListModelResponse) bool { return m.Name == tagged(tg.Model) })
			if i < 0 {
				t.Fatalf("%s not in /api/tags: %+v", tg.Model, list.Models)
			}
			m := list.Models[i]
			if m.Model != tagged(tg.Model) || !sha256Hex.MatchString(m.Digest) || m.ModifiedAt.IsZero() || m.Size <= 0 || m.Details.Format != "gguf" {
				t.Fatalf("tag entry %+v", m)
			}
			show, err := c.Show(context.Background(), &api.ShowRequest{Model: tg.Model})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(show.Modelfile, "FROM ") || show.Details.Format != "gguf" || show.Details.Family == "" || len(show.ModelInfo) == 0 {
				t.Fatalf("show %+v", show)
			}
			_, err = c.Show(context.Background(), &api.ShowRequest{Model: "no-such-model"})
			wantStatus(t, err, http.StatusNotFound)
		}},
		{"generate", func(t *testing.T, tg Target) {
			c := olClient(t, tg)
			req := &api.GenerateRequest{Model: tg.Model, Prompt: "Once upon a time", Raw: true, Stream: stream(false), Options: greedy()}
			var whole api.GenerateResponse
			if err := c.Generate(context.Background(), req, func(r api.GenerateResponse) error { whole = r; return nil }); err != nil {
				t.Fatal(err)
			}
			checkFinal(t, whole.Done, whole.DoneReason, whole.Metrics, whole.CreatedAt)
			if whole.Response == "" || whole.Model != tg.Model {
				t.Fatalf("response %+v", whole)
			}
			if tg.Story != "" && !strings.HasPrefix(strings.TrimPrefix(tg.Story, "Once upon a time"), whole.Response) {
				t.Fatalf("greedy continuation %q does not follow the story", whole.Response)
			}
			req.Stream = stream(true)
			var parts []api.GenerateResponse
			if err := c.Generate(context.Background(), req, func(r api.GenerateResponse) error { parts = append(parts, r); return nil }); err != nil {
				t.Fatal(err)
			}
			if len(parts) < 2 {
				t.Fatalf("%d streamed objects", len(parts))
			}
			var text strings.Builder
			for _, p := range parts[:len(parts)-1] {
				if p.Done {
					t.Fatal("done before the last object")
				}
				text.WriteString(p.Response)
			}
			last := parts[len(parts)-1]
			checkFinal(t, last.Done, last.DoneReason, last.Metrics, last.CreatedAt)
			text.WriteString(last.Response)
			if text.String() != whole.Response {
				t.Fatalf("streamed %q, not streamed %q", text.String(), whole.Response)
			}
			// With the model's template and a system prompt.
			req = &api.GenerateRequest{Model: tg.Model, Prompt: "Tell me a story.", System: "You tell stories.", Stream: stream(false), Options: greedy()}
			if err := c.Generate(context.Background(), req, func(r api.GenerateResponse) error { whole = r; return nil }); err != nil {
				t.Fatal(err)
			}
			checkFinal(t, whole.Done, whole.DoneReason, whole.Metrics, whole.CreatedAt)
		}},
		{"load, ps, unload", func(t *testing.T, tg Target) {
			c := olClient(t, tg)
			var r api.GenerateResponse
			if err := c.Generate(context.Background(), &api.GenerateRequest{Model: tg.Model}, func(x api.GenerateResponse) error { r = x; return nil }); err != nil {
				t.Fatal(err)
			}
			if !r.Done || r.DoneReason != "load" {
				t.Fatalf("empty prompt: %+v", r)
			}
			ps, err := c.ListRunning(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(ps.Models, func(m api.ProcessModelResponse) bool { return m.Name == tagged(tg.Model) })
			if i < 0 || ps.Models[i].Digest == "" || ps.Models[i].ExpiresAt.IsZero() || ps.Models[i].Size <= 0 || ps.Models[i].ContextLength <= 0 {
				t.Fatalf("ps after load: %+v", ps.Models)
			}
			req := &api.GenerateRequest{Model: tg.Model, KeepAlive: &api.Duration{Duration: 0}}
			if err := c.Generate(context.Background(), req, func(x api.GenerateResponse) error { r = x; return nil }); err != nil {
				t.Fatal(err)
			}
			if !r.Done || r.DoneReason != "unload" {
				t.Fatalf("keep_alive 0: %+v", r)
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				ps, err = c.ListRunning(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if !slices.ContainsFunc(ps.Models, func(m api.ProcessModelResponse) bool { return m.Name == tagged(tg.Model) }) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%s still loaded after unload", tg.Model)
				}
				time.Sleep(50 * time.Millisecond)
			}
		}},
		{"chat", func(t *testing.T, tg Target) {
			c := olClient(t, tg)
			msgs := []api.Message{{Role: "system", Content: "You tell stories."}, {Role: "user", Content: "Tell me a story."}}
			req := &api.ChatRequest{Model: tg.Model, Messages: msgs, Stream: stream(false), Options: greedy()}
			var whole api.ChatResponse
			if err := c.Chat(context.Background(), req, func(r api.ChatResponse) error { whole = r; return nil }); err != nil {
				t.Fatal(err)
			}
			checkFinal(t, whole.Done, whole.DoneReason, whole.Metrics, whole.CreatedAt)
			if whole.Message.Role != "assistant" || whole.Message.Content == "" || whole.Model != tg.Model {
				t.Fatalf("chat %+v", whole)
			}
			req.Stream = stream(true)
			var text strings.Builder
			var last api.ChatResponse
			n := 0
			if err := c.Chat(context.Background(), req, func(r api.ChatResponse) error {
				n++
				text.WriteString(r.Message.Content)
				last = r
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			checkFinal(t, last.Done, last.DoneReason, last.Metrics, last.CreatedAt)
			if n < 2 || text.String() != whole.Message.Content {
				t.Fatalf("streamed %q in %d objects, not streamed %q", text.String(), n, whole.Message.Content)
			}
			ps, err := c.ListRunning(context.Background())
			if err != nil || !slices.ContainsFunc(ps.Models, func(m api.ProcessModelResponse) bool {
				return m.Name == tagged(tg.Model) && sha256Hex.MatchString(m.Digest)
			}) {
				t.Fatalf("ps after chat: %+v, %v", ps, err)
			}
		}},
		{"chat format and tools", func(t *testing.T, tg Target) {
			c := olClient(t, tg)
			schema := `{"type":"object","properties":{"status":{"type":"string","enum":["ok"]}},"required":["status"]}`
			req := &api.ChatRequest{Model: tg.Model, Messages: []api.Message{{Role: "user", Content: "Say ok."}}, Stream: stream(false),
				Format: json.RawMessage(schema), Options: map[string]any{"temperature": 0, "num_predict": 32}}
			var r api.ChatResponse
			if err := c.Chat(context.Background(), req, func(x api.ChatResponse) error { r = x; return nil }); err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(r.Message.Content), &got); err != nil || got["status"] != "ok" {
				t.Fatalf("format schema gave %q", r.Message.Content)
			}
			if !tg.Fake {
				return // a tiny real model is not expected to choose a tool by itself
			}
			var tools api.Tools
			if err := json.Unmarshal([]byte(`[{"type":"function","function":{"name":"get_weather","description":"Weather in a city",
				"parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]`), &tools); err != nil {
				t.Fatal(err)
			}
			req = &api.ChatRequest{Model: tg.Model, Messages: []api.Message{{Role: "user", Content: "What is the weather in Tokyo? Use a tool."}}, Tools: tools, Stream: stream(false)}
			if err := c.Chat(context.Background(), req, func(x api.ChatResponse) error { r = x; return nil }); err != nil {
				t.Fatal(err)
			}
			if len(r.Message.ToolCalls) != 1 || r.Message.ToolCalls[0].Function.Name != "get_weather" {
				t.Fatalf("tool calls %+v", r.Message.ToolCalls)
			}
			if city, ok := r.Message.ToolCalls[0].Function.Arguments.Get("city"); !ok || city == "" {
				t.Fatalf("arguments lack city: %+v", r.Message.ToolCalls[0].Function.Arguments)
			}
		}},
		{"embed", func(t *testing.T, tg Target) {
			if tg.EmbedModel == "" {
				t.Skip("no embedding model")
			}
			c := olClient(t, tg)
			res, err := c.Embed(context.Background(), &api.EmbedRequest{Model: tg.EmbedModel, Input: []string{"why is the sky blue?", "why is the grass green?"}})
			if err != nil {
				t.Fatal(err)
			}
			if res.Model != tg.EmbedModel || len(res.Embeddings) != 2 || len(res.Embeddings[0]) == 0 {
				t.Fatalf("embed %+v", res)
			}
			for i, v := range res.Embeddings {
				var sum float64
				for _, x := range v {
					sum += float64(x) * float64(x)
				}
				if math.Abs(math.Sqrt(sum)-1) > 1e-5 {
					t.Fatalf("vector %d has norm %v", i, math.Sqrt(sum))
				}
			}
			old, err := c.Embeddings(context.Background(), &api.EmbeddingRequest{Model: tg.EmbedModel, Prompt: "why is the sky blue?"})
			if err != nil || len(old.Embedding) != len(res.Embeddings[0]) {
				t.Fatalf("embeddings: %v, %d values", err, len(old.Embedding))
			}
		}},
		{"pull", func(t *testing.T, tg Target) {
			if tg.PullRef == "" {
				t.Skip("no pullable reference")
			}
			c := olClient(t, tg)
			var statuses []api.ProgressResponse
			err := c.Pull(context.Background(), &api.PullRequest{Model: tg.PullRef}, func(p api.ProgressResponse) error {
				statuses = append(statuses, p)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(statuses) < 3 || statuses[0].Status != "pulling manifest" || statuses[len(statuses)-1].Status != "success" {
				t.Fatalf("progress %+v", statuses)
			}
			if !slices.ContainsFunc(statuses, func(p api.ProgressResponse) bool {
				return strings.HasPrefix(p.Status, "pulling ") && p.Digest != "" && p.Total > 0
			}) {
				t.Fatalf("no download progress in %+v", statuses)
			}
			err = c.Pull(context.Background(), &api.PullRequest{Model: "no-such-org/no-such-model:latest"}, func(api.ProgressResponse) error { return nil })
			if err == nil {
				t.Fatal("pulling an unknown model succeeded")
			}
		}},
		{"copy and delete", func(t *testing.T, tg Target) {
			c := olClient(t, tg)
			dst := tg.Model + "-perch-copy"
			if err := c.Copy(context.Background(), &api.CopyRequest{Source: tg.Model, Destination: dst}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Show(context.Background(), &api.ShowRequest{Model: dst}); err != nil {
				t.Fatalf("show the copy: %v", err)
			}
			if err := c.Delete(context.Background(), &api.DeleteRequest{Model: dst}); err != nil {
				t.Fatal(err)
			}
			_, err := c.Show(context.Background(), &api.ShowRequest{Model: dst})
			wantStatus(t, err, http.StatusNotFound)
			wantStatus(t, c.Delete(context.Background(), &api.DeleteRequest{Model: dst}), http.StatusNotFound)
			wantStatus(t, c.Copy(context.Background(), &api.CopyRequest{Source: "no-such-model", Destination: dst}), http.StatusNotFound)
		}},
		{"errors", func(t *testing.T, tg Target) {
			c := olClient(t, tg)
			err := c.Generate(context.Background(), &api.GenerateRequest{Model: "no-such-model", Prompt: "hi"}, func(api.GenerateResponse) error { return nil })
			wantStatus(t, err, http.StatusNotFound)
			err = c.Chat(context.Background(), &api.ChatRequest{Model: tg.Model, Messages: []api.Message{{Role: "user", Content: "hi"}},
				Options: map[string]any{"temperature": "hot"}}, func(api.ChatResponse) error { return nil })
			wantStatus(t, err, http.StatusBadRequest)
			err = c.Generate(context.Background(), &api.GenerateRequest{Model: tg.Model, Prompt: longPrompt()}, func(api.GenerateResponse) error { return nil })
			wantStatus(t, err, http.StatusBadRequest)
			if !tg.Fake {
				return
			}
			var got int
			err = c.Generate(context.Background(), &api.GenerateRequest{Model: "crash", Prompt: "hi"}, func(api.GenerateResponse) error { got++; return nil })
			if err == nil || !strings.Contains(err.Error(), "died") || got == 0 {
				t.Fatalf("mid-stream failure: %v after %d objects", err, got)
			}
		}},
	}
}

// tagged is a name as Ollama lists it: always with a tag ("tiny" is "tiny:latest").
func tagged(name string) string {
	if strings.Contains(name[strings.LastIndex(name, "/")+1:], ":") {
		return name
	}
	return name + ":latest"
}

// sha256Hex is a digest as Ollama gives it in tags, ps and show: 64 hex digits.
var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)
