package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/perchapp/perch/app/api"
	"github.com/perchapp/perch/app/api/internal/compat"
	"github.com/perchapp/perch/app/api/storeadapter"
	"github.com/perchapp/perch/app/chats"
	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/sharedtest"
)

// hostileStack serves the API over the real engine on stories260K, with the engine's
// watchdog on short timings so a hung worker is noticed within a test's patience.
func hostileStack(t *testing.T) (compat.Target, *engine.Engine) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts llama.cpp workers")
	}
	models := filepath.Dir(sharedtest.Model(t, "stories260K.gguf"))
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	var srv *api.Server
	eng, store := realEngine(t, engine.Config{
		ContextLength: 256, Log: log, Heartbeat: 100 * time.Millisecond, HungAfter: 2 * time.Second,
		OnWorkerExit: func(model string, _ error) { srv.ObserveWorkerRestart(model) },
	}, models)
	if _, err := eng.Load(context.Background(), "stories260k", engine.LoadOptions{}, nil); err != nil {
		sharedtest.Skipf(t, "the engine cannot load stories260K here (llama.cpp libraries missing?): %v", err)
	}
	history, err := chats.Open(context.Background(), filepath.Join(t.TempDir(), "chats.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { history.Close() })
	srv = api.New(api.Config{APIKey: "e2e-key", Version: "0.1.0", Logger: log}, api.Deps{Engine: eng, Library: storeadapter.New(store), Chats: history})
	base := serveOn(t, srv)
	return compat.Target{BaseURL: base, Model: "stories260k", APIKey: "e2e-key"}, eng
}

func pidOf(t *testing.T, eng *engine.Engine, model string) int {
	t.Helper()
	for _, st := range eng.Loaded() {
		if st.Name == model {
			return st.PID
		}
	}
	t.Fatalf("%s is not loaded", model)
	return 0
}

// TestHostileNULPromptHTTP: a NUL byte (JSON "\u0000") in a prompt, a system prompt, a chat
// message, an embedding input or a tokenize text, on every route family, gets a 200 with an
// answer, and the model's worker is the same process afterwards (it used to abort, failing
// every other client's answer on that model).
func TestHostileNULPromptHTTP(t *testing.T) {
	tg, eng := hostileStack(t)
	pid := pidOf(t, eng, tg.Model)
	m := `"model":"` + tg.Model + `"`
	cases := []struct{ name, path, body, want string }{
		{"openai chat", "/v1/chat/completions", `{` + m + `,"max_tokens":8,"messages":[{"role":"system","content":"be\u0000kind"},{"role":"user","content":"a\u0000b"}]}`, `"completion_tokens":`},
		{"openai chat stream", "/v1/chat/completions", `{` + m + `,"max_tokens":8,"stream":true,"messages":[{"role":"user","content":"\u0000"}]}`, `[DONE]`},
		{"openai completions", "/v1/completions", `{` + m + `,"max_tokens":8,"prompt":"Once upon\u0000 a time"}`, `"completion_tokens":8`},
		{"ollama generate", "/api/generate", `{` + m + `,"stream":false,"system":"s\u0000","prompt":"a\u0000b","options":{"num_predict":8}}`, `"done":true`},
		{"ollama generate raw", "/api/generate", `{` + m + `,"stream":false,"raw":true,"prompt":"a\u0000b","options":{"num_predict":8}}`, `"done":true`},
		{"ollama chat", "/api/chat", `{` + m + `,"stream":false,"messages":[{"role":"system","content":"\u0000"},{"role":"user","content":"a\u0000b"}],"options":{"num_predict":8}}`, `"done":true`},
		{"openai embeddings", "/v1/embeddings", `{` + m + `,"input":["a\u0000b","\u0000"]}`, `"embedding":`},
		{"ollama embed", "/api/embed", `{` + m + `,"input":"a\u0000b"}`, `"embeddings":`},
		{"perch tokenize", "/perch/tokenize", `{` + m + `,"text":"a\u0000b"}`, `"piece":"\u0000"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, body := send(t, tg, "POST", c.path, c.body)
			if code != http.StatusOK || !strings.Contains(body, c.want) {
				t.Fatalf("%d %s; want 200 with %s", code, body, c.want)
			}
		})
	}
	// A UI chat with a NUL in its system prompt and messages answers every turn (it used to
	// crash the worker on each later message too).
	code, body := send(t, tg, "POST", "/perch/chats", `{`+m+`,"system":"be\u0000kind","params":{"max_tokens":8}}`)
	var created struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal([]byte(body), &created); code != http.StatusCreated || err != nil {
		t.Fatalf("create chat: %d %s", code, body)
	}
	for turn, content := range []string{`a\u0000b`, `and\u0000 then?`} {
		code, body := send(t, tg, "POST", fmt.Sprintf("/perch/chats/%d/messages", created.ID), `{"content":"`+content+`"}`)
		if code != http.StatusOK || !strings.Contains(body, `"type":"done"`) || strings.Contains(body, `"type":"error"`) {
			t.Fatalf("chat turn %d: %d %s", turn, code, body)
		}
	}
	// The same worker still answers sanely.
	code, body = send(t, tg, "POST", "/v1/completions", `{`+m+`,"max_tokens":16,"temperature":0,"prompt":"Once upon a time"}`)
	if code != http.StatusOK || !strings.Contains(body, "there was a little girl named Lily") {
		t.Fatalf("after the NUL prompts: %d %s", code, body)
	}
	if now := pidOf(t, eng, tg.Model); now != pid || eng.Restarts() != 0 {
		t.Fatalf("worker pid %d → %d after %d restarts; want the same worker", pid, now, eng.Restarts())
	}
}

// TestBadInputNumPredictHTTP: Ollama's num_predict absent, -1, -2 or -5 ends the answer when
// the context is full (it used to shift the context and never stop): stories260K's greedy
// answer to this prompt never says EOS, so it runs to the context's end.
func TestBadInputNumPredictHTTP(t *testing.T) {
	tg, _ := hostileStack(t)
	for _, opt := range []string{``, `"num_predict":-1,`, `"num_predict":-2,`, `"num_predict":-5,`} {
		t.Run("options "+opt, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			body := `{"model":"` + tg.Model + `","prompt":"Once upon a time","raw":true,"options":{` + opt + `"temperature":0,"num_ctx":256}}`
			req, _ := http.NewRequestWithContext(ctx, "POST", tg.BaseURL+"/api/generate", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+tg.APIKey)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			dec := json.NewDecoder(io.LimitReader(resp.Body, 1<<20))
			lines := 0
			for {
				var line struct {
					Done            bool   `json:"done"`
					DoneReason      string `json:"done_reason"`
					EvalCount       int    `json:"eval_count"`
					PromptEvalCount int    `json:"prompt_eval_count"`
				}
				if err := dec.Decode(&line); err != nil {
					t.Fatalf("after %d lines: %v (an answer that never ends?)", lines, err)
				}
				if lines++; lines > 2000 {
					t.Fatalf("%d lines in a 256-token context: the answer does not stop", lines)
				}
				if line.Done {
					t.Logf("%d prompt + %d generated tokens, %s", line.PromptEvalCount, line.EvalCount, line.DoneReason)
					if total := line.EvalCount + line.PromptEvalCount; total > 257 {
						t.Errorf("%d prompt + %d generated tokens in a 256-token context (%s)", line.PromptEvalCount, line.EvalCount, line.DoneReason)
					}
					return
				}
			}
		})
	}
}

// TestFaultHungWorkerHTTP: a stopped worker (SIGSTOP) gets the waiting client a 503 with
// Retry-After within seconds (it used to wait, without headers, for as long as the client
// would), and the model answers again afterwards from a new worker.
func TestFaultHungWorkerHTTP(t *testing.T) {
	tg, eng := hostileStack(t)
	pid := pidOf(t, eng, tg.Model)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	stopped := time.Now()
	req, _ := http.NewRequest("POST", tg.BaseURL+"/v1/chat/completions",
		strings.NewReader(`{"model":"`+tg.Model+`","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("Authorization", "Bearer "+tg.APIKey)
	c := http.Client{Timeout: 20 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("no answer %s after SIGSTOP: %v", time.Since(stopped).Round(time.Millisecond), err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), "worker_unresponsive") {
		t.Fatalf("%d (Retry-After %q) %s; want a 503 worker_unresponsive with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	t.Logf("answered %s after SIGSTOP: %d Retry-After %s %s", time.Since(stopped).Round(time.Millisecond), resp.StatusCode, resp.Header.Get("Retry-After"), body)
	code, out := send(t, tg, "POST", "/v1/completions", `{"model":"`+tg.Model+`","max_tokens":8,"temperature":0,"prompt":"Once upon a time"}`)
	if code != http.StatusOK || pidOf(t, eng, tg.Model) == pid {
		t.Fatalf("after the restart: %d %s", code, out)
	}
}

// streamCompletion streams /v1/completions and returns the text and finish reason; with
// cancelAfter ≥ 0 it leaves after that many chunks (0: as soon as the headers come).
func streamCompletion(ctx context.Context, tg compat.Target, prompt string, maxTokens, cancelAfter int) (status int, text, finish string, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	b, _ := json.Marshal(map[string]any{"model": tg.Model, "prompt": prompt, "max_tokens": maxTokens, "temperature": 0, "stream": true})
	req, _ := http.NewRequestWithContext(ctx, "POST", tg.BaseURL+"/v1/completions", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+tg.APIKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), "", nil
	}
	sc := bufio.NewScanner(resp.Body)
	var sb strings.Builder
	for n := 0; sc.Scan(); {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		if data == "[DONE]" {
			return resp.StatusCode, sb.String(), finish, nil
		}
		if n == cancelAfter {
			return resp.StatusCode, sb.String(), "cancelled", nil
		}
		n++
		var chunk struct {
			Choices []struct {
				Text         string  `json:"text"`
				FinishReason *string `json:"finish_reason"`
			} `json:"choices"`
		}
		if err := json.Unmarshal([]byte(data), &chunk); err != nil {
			return resp.StatusCode, sb.String(), "", fmt.Errorf("chunk %q: %w", data, err)
		}
		for _, c := range chunk.Choices {
			sb.WriteString(c.Text)
			if c.FinishReason != nil {
				finish = *c.FinishReason
			}
		}
	}
	return resp.StatusCode, sb.String(), finish, fmt.Errorf("the stream ended without [DONE]: %v", sc.Err())
}

// TestHostileConcurrentStreams: while 16 streams run on one model, a NUL-byte prompt, a
// 1 MB prompt and 50 clients that leave mid-stream change nothing for the others: each of
// the 16 completes in full, the worker keeps its PID, and the watchdog (on short timings)
// never mistakes the load for a hang.
func TestHostileConcurrentStreams(t *testing.T) {
	tg, eng := hostileStack(t)
	pid := pidOf(t, eng, tg.Model)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	run := func(f func()) {
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}
	const maxTokens = 48
	prompts := []string{"Once upon a time", "The little dog", "Lily and Ben went to the park", "One day"}
	for i := range 16 {
		run(func() {
			code, text, finish, err := streamCompletion(ctx, tg, prompts[i%len(prompts)], maxTokens, -1)
			if err != nil || code != http.StatusOK || finish != "length" || text == "" {
				t.Errorf("stream %d: %d %q finish %q: %v", i, code, text, finish, err)
			}
		})
	}
	run(func() {
		code, text, finish, err := streamCompletion(ctx, tg, "Once upon\x00 a time\x00", maxTokens, -1)
		if err != nil || code != http.StatusOK || finish == "" {
			t.Errorf("NUL prompt: %d %q finish %q: %v", code, text, finish, err)
		}
	})
	run(func() {
		big := strings.Repeat("Once upon a time there was a dog. ", 1<<20/34)
		code, body, _, err := streamCompletion(ctx, tg, big, maxTokens, -1)
		if err != nil || code != http.StatusBadRequest || !strings.Contains(body, "context") {
			t.Errorf("1 MB prompt: %d %.200s: %v; want a 400 about the context", code, body, err)
		}
	})
	for i := range 50 {
		run(func() {
			if _, _, _, err := streamCompletion(ctx, tg, prompts[i%len(prompts)], 1000, i%4); err != nil {
				t.Errorf("cancelled stream %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if now := pidOf(t, eng, tg.Model); now != pid || eng.Restarts() != 0 {
		t.Fatalf("worker pid %d → %d after %d restarts; want the same worker", pid, now, eng.Restarts())
	}
}
