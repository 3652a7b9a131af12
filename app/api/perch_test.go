package api

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perchapp/perch/app/chats/answer"
	"github.com/perchapp/perch/app/library/pulls"
	"github.com/perchapp/perch/app/library/uploads"
	perchwire "github.com/perchapp/perch/app/wire/perch"
	"github.com/perchapp/perch/engine"
)

var perchUpdate = flag.Bool("perch-update", false, "rewrite the /perch golden files")

// perchGolden compares got with testdata/name, after blanking times that change per run.
func perchGolden(t *testing.T, name, got string) {
	t.Helper()
	got = regexp.MustCompile(`"(created_at|updated_at|sampled_at|started_at)":"[^"]*"`).ReplaceAllString(got, `"$1":"…"`)
	got = regexp.MustCompile(`"(total_ms|ttft_ms)":[0-9.e+-]+`).ReplaceAllString(got, `"$1":0`)
	path := filepath.Join("testdata", name)
	if *perchUpdate {
		os.MkdirAll("testdata", 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -perch-update to create it)", err, t.Name())
	}
	if string(want) != got {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// sseEvents reads an SSE body into its data payloads.
func sseEvents(t *testing.T, r io.Reader) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			out = append(out, d)
		}
	}
	return out
}

func decodeEvent(t *testing.T, s string) chatEvent {
	t.Helper()
	var ev chatEvent
	if err := json.Unmarshal([]byte(s), &ev); err != nil {
		t.Fatalf("event %q: %v", s, err)
	}
	return ev
}

func newChat(t *testing.T, env *perchEnv, body string) int64 {
	t.Helper()
	code, out := env.do(t, "POST", "/perch/chats", body)
	if code != http.StatusCreated {
		t.Fatalf("create chat: %d %s", code, out)
	}
	var c chatView
	json.Unmarshal([]byte(out), &c)
	return c.ID
}

func TestPerchChatStreamAndHistory(t *testing.T) {
	env := newPerchEnv(t, Config{})
	env.eng.think = "Let me think."
	id := newChat(t, env, `{"system":"Be brief.","params":{"temperature":0.3,"max_tokens":64}}`)

	resp := env.req(t, context.Background(), "POST", fmt.Sprintf("/perch/chats/%d/messages", id), `{"content":"Tell me a story, 이야기"}`)
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	events := sseEvents(t, resp.Body)
	resp.Body.Close()
	perchGolden(t, "perch_chat_stream.golden", strings.Join(events, "\n")+"\n")

	req := env.eng.lastChat
	if req.Model != "stories260k" || len(req.Messages) != 2 || req.Messages[0].Role != "system" || req.Sampling.Temperature != 0.3 || req.MaxTokens != 64 {
		t.Errorf("engine request = %+v", req)
	}

	code, body := env.do(t, "GET", fmt.Sprintf("/perch/chats/%d", id), "")
	if code != 200 {
		t.Fatalf("get: %d %s", code, body)
	}
	perchGolden(t, "perch_chat_get.golden", body)

	// A second turn sends the history back without the reasoning.
	env.do(t, "POST", fmt.Sprintf("/perch/chats/%d/messages", id), `{"content":"More"}`)
	if n := len(env.eng.lastChat.Messages); n != 4 {
		t.Errorf("second turn sent %d messages, want 4", n)
	}
	code, body = env.do(t, "GET", "/perch/chats?q=%EC%9D%B4%EC%95%BC%EA%B8%B0", "") // 이야기
	if code != 200 || !strings.Contains(body, `"title":"Tell me a story, 이야기"`) {
		t.Errorf("search: %d %s", code, body)
	}
}

func TestPerchStopSavesPartialAnswer(t *testing.T) {
	for _, how := range []string{"stop endpoint", "client disconnect"} {
		t.Run(how, func(t *testing.T) {
			env := newPerchEnv(t, Config{})
			env.eng.gate = make(chan struct{}) // holds the answer after "Once"
			id := newChat(t, env, `{}`)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			resp := env.req(t, ctx, "POST", fmt.Sprintf("/perch/chats/%d/messages", id), `{"content":"hi"}`)
			br := bufio.NewReader(resp.Body)
			// Read until the first delta arrives.
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(line, `"type":"delta"`) {
					break
				}
			}
			// While it runs, a second answer in the same chat is refused.
			if code, body := env.do(t, "POST", fmt.Sprintf("/perch/chats/%d/regenerate", id), ""); code != http.StatusConflict {
				t.Errorf("second answer: %d %s", code, body)
			}
			if how == "stop endpoint" {
				code, body := env.do(t, "POST", fmt.Sprintf("/perch/chats/%d/stop", id), "")
				if code != 200 || !strings.Contains(body, `"stopped":true`) {
					t.Fatalf("stop: %d %s", code, body)
				}
				rest := sseEvents(t, br)
				last := decodeEvent(t, rest[len(rest)-1])
				if last.Type != "done" || last.Message == nil || !last.Message.Stopped || last.Message.Content != "Once" {
					t.Fatalf("last event %s", rest[len(rest)-1])
				}
			} else {
				cancel()
			}
			resp.Body.Close()
			// The stopped answer is in the history either way.
			deadline := time.Now().Add(5 * time.Second)
			for {
				c, err := env.store.Get(context.Background(), id)
				if err != nil {
					t.Fatal(err)
				}
				if len(c.Messages) == 2 {
					a := c.Messages[1]
					if !a.Stopped || a.Content != "Once" || a.FinishReason != "cancelled" {
						t.Fatalf("saved answer %+v", a)
					}
					// The prompt still counts toward the context meter ("hi" is 2 tokens).
					if a.Stats == nil || a.Stats.PromptTokens < 2 {
						t.Fatalf("stopped answer's stats %+v: prompt_tokens missing", a.Stats)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("answer not saved: %+v", c.Messages)
				}
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
}

func TestPerchRegenerateAndEdit(t *testing.T) {
	env := newPerchEnv(t, Config{})
	id := newChat(t, env, `{"model":"tiny"}`)
	env.do(t, "POST", fmt.Sprintf("/perch/chats/%d/messages", id), `{"content":"one"}`)
	env.do(t, "POST", fmt.Sprintf("/perch/chats/%d/messages", id), `{"content":"two"}`)

	env.eng.words = []string{"again"}
	code, body := env.do(t, "POST", fmt.Sprintf("/perch/chats/%d/regenerate", id), "")
	if code != 200 || !strings.Contains(body, `"type":"done"`) {
		t.Fatalf("regenerate: %d %s", code, body)
	}
	c, _ := env.store.Get(context.Background(), id)
	if len(c.Messages) != 4 || c.Messages[3].Content != "again" || c.Messages[3].Model != "tiny" {
		t.Fatalf("after regenerate: %+v", c.Messages)
	}

	env.eng.words = []string{"edited"}
	first := c.Messages[0].ID
	code, body = env.do(t, "POST", fmt.Sprintf("/perch/chats/%d/messages/%d/edit", id, first), `{"content":"uno"}`)
	if code != 200 || !strings.Contains(body, `"type":"done"`) {
		t.Fatalf("edit: %d %s", code, body)
	}
	c, _ = env.store.Get(context.Background(), id)
	if len(c.Messages) != 2 || c.Messages[0].Content != "uno" || c.Messages[1].Content != "edited" {
		t.Fatalf("after edit: %+v", c.Messages)
	}
}

func TestPerchEngineErrorMidStream(t *testing.T) {
	env := newPerchEnv(t, Config{})
	id := newChat(t, env, `{}`)
	env.eng.failWith = fmt.Errorf("model %q: %w", "stories260k", errPerchBoom)
	code, body := env.do(t, "POST", fmt.Sprintf("/perch/chats/%d/messages", id), `{"content":"hi"}`)
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	events := sseEvents(t, strings.NewReader(body))
	last := decodeEvent(t, events[len(events)-1])
	if last.Type != "error" || last.Error == nil || !strings.Contains(last.Error.Message, "boom") {
		t.Fatalf("events %v", events)
	}
	// The user's message stays; nothing half-written joins it.
	c, _ := env.store.Get(context.Background(), id)
	if len(c.Messages) != 1 {
		t.Fatalf("messages %+v", c.Messages)
	}
}

var errPerchBoom = fmt.Errorf("boom")

func TestPerchBadInput(t *testing.T) {
	env := newPerchEnv(t, Config{})
	id := newChat(t, env, `{}`)
	env.settings.cur.DefaultModel = ""
	noModel := newChat(t, env, `{}`)
	tests := []struct {
		name, method, path, body string
		code                     int
		want                     string
	}{
		{"bad chat id", "GET", "/perch/chats/abc", "", 400, "not a valid id"},
		{"unknown chat", "GET", "/perch/chats/9999", "", 404, "not found"},
		{"malformed json", "POST", fmt.Sprintf("/perch/chats/%d/messages", id), `{"content":`, 400, "malformed JSON"},
		{"wrong type", "POST", fmt.Sprintf("/perch/chats/%d/messages", id), `{"content":5}`, 400, "wrong type"},
		{"empty message", "POST", fmt.Sprintf("/perch/chats/%d/messages", id), `{"content":"  "}`, 400, "empty"},
		{"no body", "POST", fmt.Sprintf("/perch/chats/%d/messages", id), ``, 400, "empty"},
		{"send to unknown chat", "POST", "/perch/chats/9999/messages", `{"content":"hi"}`, 404, "not found"},
		{"regenerate empty chat", "POST", fmt.Sprintf("/perch/chats/%d/regenerate", id), ``, 400, "no message to answer"},
		{"edit unknown message", "POST", fmt.Sprintf("/perch/chats/%d/messages/777/edit", id), `{"content":"x"}`, 404, "not found"},
		{"chat without model", "POST", fmt.Sprintf("/perch/chats/%d/messages", noModel), `{"content":"x"}`, 400, "no model"},
		{"bad title", "PATCH", fmt.Sprintf("/perch/chats/%d", id), `{"title":"` + strings.Repeat("x", 300) + `"}`, 400, "limit is 200"},
		{"bad param", "PATCH", fmt.Sprintf("/perch/chats/%d", id), `{"params":{"top_p":3}}`, 400, "top_p"},
		{"bad model name", "PATCH", fmt.Sprintf("/perch/chats/%d", id), `{"model":"../../etc"}`, 400, "segment"},
		{"bad limit", "GET", "/perch/chats?limit=0", "", 400, "limit"},
		{"load unknown", "POST", "/perch/models/load", `{"name":"missing"}`, 404, "missing"},
		{"load no name", "POST", "/perch/models/load", `{}`, 400, "required"},
		{"default unknown", "POST", "/perch/models/default", `{"name":"missing"}`, 404, "not found"},
		{"delete unknown", "POST", "/perch/models/delete", `{"name":"missing"}`, 404, "not found"},
		{"tokenize unknown", "POST", "/perch/tokenize", `{"model":"missing","text":"x"}`, 404, "missing"},
		{"tokenize huge", "POST", "/perch/tokenize", `{"model":"tiny","text":"` + strings.Repeat("x", 70000) + `"}`, 400, "limit"},
		{"fit both", "POST", "/perch/fit", `{"model":"a","ref":"b"}`, 400, "not both"},
		{"fit none", "POST", "/perch/fit", `{}`, 400, "give model"},
		{"fit kv", "POST", "/perch/fit", `{"model":"a","kv_type":"q2"}`, 400, "kv_type"},
		{"fit ctx below 256", "POST", "/perch/fit", `{"model":"a","num_ctx":100}`, 400, "num_ctx"},
		{"fit slots", "POST", "/perch/fit", `{"model":"a","slots":65}`, 400, "slots"},
		{"load ctx below 256", "POST", "/perch/models/load", `{"name":"stories260k","num_ctx":100}`, 400, "num_ctx"},
		{"search empty", "GET", "/perch/search?q=", "", 400, "search"},
		{"inspect unknown", "POST", "/perch/inspect", `{"ref":"hf.co/nope/x"}`, 404, "nope"},
		{"pull bad ref", "POST", "/perch/pulls", `{"ref":"../x"}`, 400, "segment"},
		{"pause unknown", "POST", "/perch/pulls/zzz/pause", ``, 404, "no such download"},
		{"settings bad theme", "PUT", "/perch/settings", `{"theme":"pink"}`, 400, "theme"},
		{"settings bad address", "PUT", "/perch/settings", `{"address":"nope"}`, 400, "host:port"},
		{"import relative path", "POST", "/perch/models/import", `{"path":"model.gguf"}`, 400, "absolute"},
		{"import missing file", "POST", "/perch/models/import", `{"path":"/nonexistent/x.gguf"}`, 400, "no readable GGUF model file"},
		{"import not gguf", "POST", "/perch/models/import", `{"path":"` + os.Args[0] + `"}`, 400, "not a GGUF"},
		{"upload not gguf name", "POST", "/perch/uploads", `{"filename":"x.bin","size":10}`, 400, ".gguf"},
		{"upload unknown", "PUT", "/perch/uploads/nope?offset=0", `GGUF`, 404, "no upload"},
		{"unknown route", "GET", "/perch/nothing", "", 404, "no endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := env.do(t, tt.method, tt.path, tt.body)
			if code != tt.code {
				t.Fatalf("status %d, want %d: %s", code, tt.code, body)
			}
			var e struct {
				Error struct{ Message string } `json:"error"`
			}
			if err := json.Unmarshal([]byte(body), &e); err != nil || !strings.Contains(e.Error.Message, tt.want) {
				t.Fatalf("body %s does not say %q", body, tt.want)
			}
		})
	}
}

func TestPerchMissingDependencies(t *testing.T) {
	s := New(Config{}, Deps{Engine: newPerchEngine()})
	for _, p := range []struct{ method, path, body string }{
		{"GET", "/perch/chats", ""},
		{"GET", "/perch/settings", ""},
		{"GET", "/perch/catalog", ""},
		{"POST", "/perch/fit", `{"model":"x"}`},
		{"POST", "/perch/pulls", `{"ref":"x"}`},
		{"POST", "/perch/uploads", `{"filename":"x.gguf","size":10}`},
	} {
		rec := perchRecorder(s, p.method, p.path, p.body)
		if rec.code != http.StatusNotImplemented {
			t.Errorf("%s %s: %d %s", p.method, p.path, rec.code, rec.body)
		}
	}
	rec := perchRecorder(s, "GET", "/perch/status", "")
	if !strings.Contains(rec.body, `"chats":false`) || !strings.Contains(rec.body, `"library":false`) {
		t.Errorf("status %s", rec.body)
	}
}

func TestPerchAPIKeyRequired(t *testing.T) {
	env := newPerchEnv(t, Config{APIKey: "secret"})
	env.key = ""
	code, body := env.do(t, "GET", "/perch/status", "")
	if code != http.StatusUnauthorized || !strings.Contains(body, "API key") {
		t.Fatalf("without key: %d %s", code, body)
	}
	env.key = "secret"
	if code, body := env.do(t, "GET", "/perch/status", ""); code != 200 || !strings.Contains(body, `"api_key_required":true`) {
		t.Fatalf("with key: %d %s", code, body)
	}
}

func TestPerchModels(t *testing.T) {
	env := newPerchEnv(t, Config{})
	id := newChat(t, env, `{"model":"tiny"}`)
	env.do(t, "POST", fmt.Sprintf("/perch/chats/%d/messages", id), `{"content":"hi"}`) // tiny: used and loaded
	code, body := env.do(t, "POST", "/perch/models/load", `{"name":"stories260k","num_ctx":512}`)
	if code != 200 || !strings.Contains(body, `"slot_ctx":512`) {
		t.Fatalf("load: %d %s", code, body)
	}
	code, body = env.do(t, "GET", "/perch/models", "")
	if code != 200 {
		t.Fatal(body)
	}
	var list struct {
		Models  []perchwire.Model `json:"models"`
		Default string            `json:"default_model"`
	}
	json.Unmarshal([]byte(body), &list)
	if len(list.Models) != 2 || list.Default != "stories260k" {
		t.Fatalf("list %s", body)
	}
	st, tiny := list.Models[0], list.Models[1]
	if st.Name != "stories260k" || !st.Default || st.Loaded == nil || st.LastUsed != nil {
		t.Errorf("stories260k: %+v", st)
	}
	if tiny.Name != "tiny" || tiny.Default || tiny.Loaded == nil || tiny.LastUsed == nil {
		t.Errorf("tiny: %+v", tiny)
	}

	if code, body := env.do(t, "POST", "/perch/models/unload", `{"name":"stories260k"}`); code != 200 {
		t.Fatalf("unload: %d %s", code, body)
	}
	if code, body := env.do(t, "POST", "/perch/models/default", `{"name":"tiny"}`); code != 200 {
		t.Fatalf("default: %d %s", code, body)
	}
	if env.settings.Get().DefaultModel != "tiny" {
		t.Error("default not saved")
	}
	if code, body := env.do(t, "POST", "/perch/models/delete", `{"name":"tiny"}`); code != http.StatusNoContent {
		t.Fatalf("delete: %d %s", code, body)
	}
	if env.settings.Get().DefaultModel != "" {
		t.Error("the deleted model is still the default")
	}
	if len(env.eng.Loaded()) != 0 {
		t.Errorf("deleted model still loaded: %+v", env.eng.Loaded())
	}
	if _, ok := env.lib.models["tiny"]; ok {
		t.Error("deleted model still in the library")
	}
}

func TestPerchContextMeter(t *testing.T) {
	env := newPerchEnv(t, Config{})
	id := newChat(t, env, `{}`)
	_, sent := env.do(t, "POST", fmt.Sprintf("/perch/chats/%d/messages", id), `{"content":"hi"}`)
	_, body := env.do(t, "GET", fmt.Sprintf("/perch/chats/%d", id), "")
	var c chatView
	json.Unmarshal([]byte(body), &c)
	// 10 prompt + 4 completion tokens; 256000 KV bytes over 256 cells.
	want := answer.Meter{Model: "stories260k", UsedTokens: 14, ContextTokens: 256, KVBytesPerToken: 1000, KVBytes: 14000, Loaded: true}
	if c.Context == nil || *c.Context != want {
		t.Fatalf("meter %+v, want %+v", c.Context, want)
	}
	// The answer's done event carries the same meter.
	events := sseEvents(t, strings.NewReader(sent))
	if len(events) == 0 {
		t.Fatalf("no events in %q", sent)
	}
	if done := decodeEvent(t, events[len(events)-1]); done.Type != "done" || done.Context == nil || *done.Context != want {
		t.Fatalf("done event %+v, want the meter %+v", done, want)
	}
}

func TestPerchPulls(t *testing.T) {
	env := newPerchEnv(t, Config{})
	env.lib.pullStep, env.lib.pullSize = 20*time.Millisecond, 10000
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	evResp := env.req(t, ctx, "GET", "/perch/pulls/events", "")
	defer evResp.Body.Close()
	events := make(chan []pulls.View, 100)
	go func() {
		sc := bufio.NewScanner(evResp.Body)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var v struct{ Pulls []pulls.View }
				json.Unmarshal([]byte(d), &v)
				events <- v.Pulls
			}
		}
		close(events)
	}()
	waitFor := func(what string, ok func([]pulls.View) bool) []pulls.View {
		t.Helper()
		timeout := time.After(5 * time.Second)
		for {
			select {
			case ps := <-events:
				if ok(ps) {
					return ps
				}
			case <-timeout:
				t.Fatalf("no event with %s", what)
			}
		}
	}
	waitFor("the empty list", func(ps []pulls.View) bool { return len(ps) == 0 })

	code, body := env.do(t, "POST", "/perch/pulls", `{"ref":"127.0.0.1:9/library/tiny:latest"}`)
	if code != http.StatusAccepted {
		t.Fatalf("start: %d %s", code, body)
	}
	var v pulls.View
	json.Unmarshal([]byte(body), &v)
	ps := waitFor("progress", func(ps []pulls.View) bool { return len(ps) == 1 && ps[0].Completed > 0 && ps[0].Total == 10000 })
	// The library's rate and time left are shown as they are.
	if want := 100 / 0.02; ps[0].RateBps != want || math.Abs(ps[0].ETASecs-float64(10000-ps[0].Completed)/want) > 1e-6 {
		t.Errorf("rate %v B/s, %v s left; want %v B/s and the rest at that rate", ps[0].RateBps, ps[0].ETASecs, want)
	}

	// Starting the same reference again joins the running download.
	_, body2 := env.do(t, "POST", "/perch/pulls", `{"ref":"127.0.0.1:9/library/tiny:latest"}`)
	if !strings.Contains(body2, v.ID) {
		t.Errorf("second start made another download: %s", body2)
	}

	code, body = env.do(t, "POST", "/perch/pulls/"+v.ID+"/pause", "")
	if code != 200 || !strings.Contains(body, `"state":"paused"`) {
		t.Fatalf("pause: %d %s", code, body)
	}
	env.lib.mu.Lock()
	paused := env.lib.pulled["127.0.0.1:9/library/tiny:latest"]
	env.lib.chunk = 10000 // the rest arrives at once
	env.lib.mu.Unlock()
	code, body = env.do(t, "POST", "/perch/pulls/"+v.ID+"/resume", "")
	if code != 200 {
		t.Fatalf("resume: %d %s", code, body)
	}
	ps = waitFor("done", func(ps []pulls.View) bool { return len(ps) == 1 && ps[0].State == pulls.Done })
	if ps[0].Completed != 10000 || paused == 0 || paused == 10000 {
		t.Errorf("done at %d bytes (paused at %d)", ps[0].Completed, paused)
	}
	if _, ok := env.lib.models["127.0.0.1:9/library/tiny:latest"]; !ok {
		t.Error("pulled model not in the library")
	}

	// Cancel deletes the partial file.
	env.lib.mu.Lock()
	env.lib.pullStep = time.Second
	env.lib.mu.Unlock()
	_, body = env.do(t, "POST", "/perch/pulls", `{"ref":"other:1b"}`)
	json.Unmarshal([]byte(body), &v)
	code, body = env.do(t, "POST", "/perch/pulls/"+v.ID+"/cancel", "")
	if code != 200 || !strings.Contains(body, `"state":"cancelled"`) || !slices.Contains(env.lib.discarded, "other:1b") {
		t.Fatalf("cancel: %d %s, discarded %v", code, body, env.lib.discarded)
	}
	if code, body := env.do(t, "POST", "/perch/pulls/"+v.ID+"/pause", ""); code != http.StatusConflict {
		t.Errorf("pause after cancel: %d %s", code, body)
	}

	// A failing pull reports the library's error.
	_, body = env.do(t, "POST", "/perch/pulls", `{"ref":"broken:1b"}`)
	json.Unmarshal([]byte(body), &v)
	ps = waitFor("error", func(ps []pulls.View) bool {
		i := slices.IndexFunc(ps, func(p pulls.View) bool { return p.ID == v.ID })
		return i >= 0 && ps[i].State == pulls.Failed
	})
	if i := slices.IndexFunc(ps, func(p pulls.View) bool { return p.ID == v.ID }); !strings.Contains(ps[i].Error, "no such model") {
		t.Errorf("error %q", ps[i].Error)
	}
	if code, _ := env.do(t, "DELETE", "/perch/pulls/"+v.ID, ""); code != http.StatusNoContent {
		t.Errorf("dismiss: %d", code)
	}
}

func TestPerchUpload(t *testing.T) {
	env := newPerchEnv(t, Config{})
	file := append([]byte("GGUF"), make([]byte, 96)...)
	code, body := env.do(t, "POST", "/perch/uploads", `{"filename":"My Model Q4.gguf","size":100}`)
	if code != http.StatusCreated {
		t.Fatalf("start: %d %s", code, body)
	}
	var up uploads.Upload
	json.Unmarshal([]byte(body), &up)
	if up.Name != "my-model-q4" {
		t.Errorf("name %q", up.Name)
	}
	put := func(off int, chunk []byte) (int, string) {
		return env.do(t, "PUT", fmt.Sprintf("/perch/uploads/%s?offset=%d", up.ID, off), string(chunk))
	}
	if code, body := put(0, file[:60]); code != 200 || !strings.Contains(body, `"received":60`) {
		t.Fatalf("chunk 1: %d %s", code, body)
	}
	if code, body := env.do(t, "POST", "/perch/uploads/"+up.ID+"/finish", ""); code != http.StatusConflict || !strings.Contains(body, "60 of 100") {
		t.Fatalf("early finish: %d %s", code, body)
	}
	if code, body := put(0, file[:60]); code != http.StatusConflict || !strings.Contains(body, "byte 60") {
		t.Fatalf("repeated chunk: %d %s", code, body)
	}
	if code, body := put(60, append(file[60:], 'x')); code != 400 || !strings.Contains(body, "too large") {
		t.Fatalf("overlong chunk: %d %s", code, body)
	}
	if code, body := put(60, file[60:]); code != 200 {
		t.Fatalf("chunk 2: %d %s", code, body)
	}
	if code, body := env.do(t, "POST", "/perch/uploads/"+up.ID+"/finish", ""); code != http.StatusCreated {
		t.Fatalf("finish: %d %s", code, body)
	}
	if got := env.lib.imported["my-model-q4"]; string(got) != string(file) {
		t.Fatalf("imported %d bytes", len(got))
	}
	if code, _ := put(0, file); code != http.StatusNotFound {
		t.Errorf("upload still open after finish: %d", code)
	}

	// Not a GGUF: refused at the first chunk.
	_, body = env.do(t, "POST", "/perch/uploads", `{"filename":"fake.gguf","size":10}`)
	json.Unmarshal([]byte(body), &up)
	if code, body := env.do(t, "PUT", "/perch/uploads/"+up.ID+"?offset=0", "PK\x03\x04zipzip"); code != 400 || !strings.Contains(body, "not a GGUF") {
		t.Fatalf("zip upload: %d %s", code, body)
	}
	if code, _ := env.do(t, "DELETE", "/perch/uploads/"+up.ID, ""); code != http.StatusNoContent {
		t.Errorf("discard: %d", code)
	}
}

func TestPerchMemoryStream(t *testing.T) {
	env := newPerchEnv(t, Config{})
	env.eng.Load(context.Background(), "stories260k", engine.LoadOptions{}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	resp := env.req(t, ctx, "GET", "/perch/memory/events", "")
	sc := bufio.NewScanner(resp.Body)
	var got []perchwire.MemoryView
	for sc.Scan() && len(got) < 3 {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			var v perchwire.MemoryView
			if err := json.Unmarshal([]byte(d), &v); err != nil {
				t.Fatal(err)
			}
			got = append(got, v)
		}
	}
	cancel()
	resp.Body.Close()
	if len(got) != 3 || got[0].System == nil || got[0].System.Pressure != "normal" || len(got[0].Models) != 1 || got[0].Models[0].KVBytes != 256000 {
		t.Fatalf("samples %+v", got)
	}
}

func TestPerchSettings(t *testing.T) {
	env := newPerchEnv(t, Config{})
	code, body := env.do(t, "PUT", "/perch/settings", `{"theme":"dark","language":"ko"}`)
	if code != 200 || !strings.Contains(body, `"theme":"dark"`) || !strings.Contains(body, `"restart_needed":[]`) {
		t.Fatalf("put: %d %s", code, body)
	}
	if s := env.settings.Get(); s.Language != "ko" || s.KeepAlive != "5m" || s.Address != "127.0.0.1:11435" {
		t.Errorf("merged settings %+v", s)
	}
	code, body = env.do(t, "PUT", "/perch/settings", `{"lan":true}`)
	if code != 200 || !strings.Contains(body, `"lan":true`) || !strings.Contains(body, `"address"`) {
		t.Fatalf("lan: %d %s", code, body)
	}
	s := env.settings.Get()
	if s.Address != "0.0.0.0:11435" || !strings.HasPrefix(s.APIKey, "perch-") {
		t.Errorf("LAN settings %+v", s)
	}
	// The key applies at once; this server is not listening (a bare handler), so the new
	// address waits (TestSettingsApplyLive covers a listening one).
	if !strings.Contains(body, `"restart_needed":["address"]`) {
		t.Errorf("restart_needed: %s", body)
	}
	key := s.APIKey
	env.key = key // the key applies at once: tools need it now
	env.do(t, "PUT", "/perch/settings", `{"lan":false,"new_api_key":true}`)
	if s := env.settings.Get(); s.Address != "127.0.0.1:11435" || s.APIKey == key {
		t.Errorf("after LAN off and new key: %+v", s)
	}
}

func TestPerchCatalogAndRecommended(t *testing.T) {
	env := newPerchEnv(t, Config{})
	code, body := env.do(t, "GET", "/perch/recommended", "")
	if code != 200 || !strings.Contains(body, `"ref":"hf.co/x/qwen:Q4_K_M"`) {
		t.Fatalf("recommended: %d %s", code, body)
	}
	code, body = env.do(t, "GET", "/perch/recommended?lang=ko", "")
	if code != 200 || !strings.Contains(body, `"ref":"hf.co/x/exaone:Q5_K_M"`) {
		t.Fatalf("recommended ko: %d %s", code, body)
	}
	if code, body := env.do(t, "GET", "/perch/catalog?q=qwen", ""); code != 200 || strings.Count(body, `"id"`) != 1 {
		t.Fatalf("catalog: %d %s", code, body)
	}
	if code, body := env.do(t, "POST", "/perch/inspect", `{"ref":"hf.co/x/qwen:Q4_K_M"}`); code != 200 || !strings.Contains(body, `"verdict":"fits"`) {
		t.Fatalf("inspect: %d %s", code, body)
	}
	if code, body := env.do(t, "POST", "/perch/fit", `{"ref":"hf.co/x/huge:Q8_0","num_ctx":8192}`); code != 200 || !strings.Contains(body, `"verdict":"too_large"`) {
		t.Fatalf("fit: %d %s", code, body)
	}
}

func TestPerchTokenize(t *testing.T) {
	env := newPerchEnv(t, Config{})
	code, body := env.do(t, "POST", "/perch/tokenize", `{"model":"tiny","text":"a한"}`)
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	perchGolden(t, "perch_tokenize.golden", body)
	code, body = env.do(t, "POST", "/perch/tokenize", `{"model":"tiny","text":""}`)
	if code != 200 || !strings.Contains(body, `"count":0`) {
		t.Fatalf("empty: %d %s", code, body)
	}
}

type perchRec struct {
	code int
	body string
}

func perchRecorder(s *Server, method, path, body string) perchRec {
	r := httptest.NewRequest(method, "http://127.0.0.1:11435"+path, strings.NewReader(body))
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	return perchRec{code: w.Code, body: w.Body.String()}
}

// A chat that outgrows the context drops its oldest turns, says so, and keeps answering.
func TestPerchLongChatDropsOldestTurns(t *testing.T) {
	env := newPerchEnv(t, Config{})
	id := newChat(t, env, `{"system":"Be brief."}`)
	long := strings.Repeat("x", 300)
	for i := 0; i < 4; i++ {
		if code, body := env.do(t, "POST", fmt.Sprintf("/perch/chats/%d/messages", id), `{"content":"`+long+`"}`); code != 200 || !strings.Contains(body, `"type":"done"`) {
			t.Fatalf("turn %d: %d %s", i, code, body)
		}
	}
	env.eng.mu.Lock()
	env.eng.ctxLimit = 1000 // holds about three of the questions
	env.eng.mu.Unlock()
	for i := 0; i < 3; i++ {
		code, body := env.do(t, "POST", fmt.Sprintf("/perch/chats/%d/messages", id), `{"content":"`+long+`"}`)
		if code != 200 || !strings.Contains(body, `"type":"done"`) || !strings.Contains(body, `"type":"trimmed"`) {
			t.Fatalf("turn after the context filled (%d): %d %s", i, code, body)
		}
	}
	req := env.eng.lastChat
	if req.Messages[0].Role != "system" || req.Messages[1].Role != "user" || req.Messages[len(req.Messages)-1].Content != long {
		t.Errorf("trimmed request: %+v", req.Messages)
	}
	c, _ := env.store.Get(context.Background(), id)
	last := c.Messages[len(c.Messages)-1]
	if last.Dropped == 0 || last.Dropped%2 != 0 {
		t.Errorf("saved answer dropped = %d, want an even count of earlier messages", last.Dropped)
	}
	// A single question over the context still fails clearly.
	huge := strings.Repeat("y", 1200)
	code, body := env.do(t, "POST", fmt.Sprintf("/perch/chats/%d/messages", id), `{"content":"`+huge+`"}`)
	if code != 200 || !strings.Contains(body, `"type":"error"`) || !strings.Contains(body, "context holds 1000") {
		t.Errorf("question over the context: %d %s", code, body)
	}
}

// An answer cut by the token limit can be continued; the text joins the same message.
func TestPerchContinueLengthCutAnswer(t *testing.T) {
	env := newPerchEnv(t, Config{})
	id := newChat(t, env, `{}`)
	env.eng.mu.Lock()
	env.eng.finish = engine.FinishLength
	env.eng.mu.Unlock()
	env.do(t, "POST", fmt.Sprintf("/perch/chats/%d/messages", id), `{"content":"tell"}`)
	c, _ := env.store.Get(context.Background(), id)
	cut := c.Messages[1]
	if cut.FinishReason != "length" {
		t.Fatalf("finish = %q", cut.FinishReason)
	}
	env.eng.mu.Lock()
	env.eng.finish, env.eng.words = "", []string{" and", " more"}
	env.eng.mu.Unlock()
	code, body := env.do(t, "POST", fmt.Sprintf("/perch/chats/%d/messages/%d/continue", id, cut.ID), "")
	if code != 200 || !strings.Contains(body, `"type":"done"`) {
		t.Fatalf("continue: %d %s", code, body)
	}
	req := env.eng.lastChat
	if !req.Continue || req.Messages[len(req.Messages)-1].Role != "assistant" || req.Messages[len(req.Messages)-1].Content != "Once upon a time" {
		t.Errorf("continue request: %+v", req)
	}
	c, _ = env.store.Get(context.Background(), id)
	if len(c.Messages) != 2 || c.Messages[1].Content != "Once upon a time and more" || c.Messages[1].FinishReason != "stop" {
		t.Fatalf("after continue: %+v", c.Messages)
	}
	// Only the last answer can be continued.
	if code, _ := env.do(t, "POST", fmt.Sprintf("/perch/chats/%d/messages/%d/continue", id, c.Messages[0].ID), ""); code != http.StatusBadRequest {
		t.Errorf("continue a question: %d", code)
	}
}

// Regenerate keeps the earlier answer; select shows it again.
func TestPerchAnswerVersions(t *testing.T) {
	env := newPerchEnv(t, Config{})
	id := newChat(t, env, `{}`)
	env.do(t, "POST", fmt.Sprintf("/perch/chats/%d/messages", id), `{"content":"q"}`)
	env.eng.mu.Lock()
	env.eng.words = []string{"second"}
	env.eng.mu.Unlock()
	env.do(t, "POST", fmt.Sprintf("/perch/chats/%d/regenerate", id), "")
	code, body := env.do(t, "GET", fmt.Sprintf("/perch/chats/%d", id), "")
	var v chatView
	json.Unmarshal([]byte(body), &v)
	if code != 200 || len(v.Messages) != 2 || len(v.Messages[1].Versions) != 2 || v.Messages[1].Content != "second" {
		t.Fatalf("after regenerate: %d %s", code, body)
	}
	code, body = env.do(t, "POST", fmt.Sprintf("/perch/chats/%d/messages/%d/select", id, v.Messages[1].Versions[0]), "")
	if code != 200 || !strings.Contains(body, `"content":"Once upon a time"`) {
		t.Fatalf("select: %d %s", code, body)
	}
}

func TestPerchChatImport(t *testing.T) {
	env := newPerchEnv(t, Config{})
	code, body := env.do(t, "POST", "/perch/chats/import", `{"format":"perch.chat","version":1,"title":"Old","model":"tiny","messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}`)
	if code != http.StatusCreated || !strings.Contains(body, `"title":"Old"`) || !strings.Contains(body, `"content":"hello"`) {
		t.Fatalf("import: %d %s", code, body)
	}
	for _, bad := range []string{`{"messages":[{"role":"user","content":"hi"}]}`, `{"format":"perch.chat","version":1,"messages":[]}`, `[1,2]`} {
		code, body := env.do(t, "POST", "/perch/chats/import", bad)
		if code != http.StatusBadRequest {
			t.Errorf("import %s: %d %s", bad, code, body)
		}
	}
	_, list := env.do(t, "GET", "/perch/chats", "")
	if n := strings.Count(list, `"id":`); n != 1 {
		t.Errorf("after bad imports the history has %d chats, want 1: %s", n, list)
	}
}
