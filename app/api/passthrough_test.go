package api_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/perchapp/perch/app/api"
)

// TestPassThrough checks what reaches the engine: load options, keep-alive, sampling, and
// which path /api/generate takes.
func TestPassThrough(t *testing.T) {
	ts := newServer(t, api.Config{DefaultKeepAlive: 2 * time.Minute})
	post := func(path, body string) string {
		t.Helper()
		status, _, out := ts.do(t, "POST", path, body)
		if status != 200 {
			t.Fatalf("%s %s: %d %s", path, body, status, out)
		}
		return out
	}

	t.Run("ollama options and keep_alive", func(t *testing.T) {
		post("/api/generate", `{"model":"tiny","prompt":"Once","stream":false,"keep_alive":"10m","options":{"num_ctx":1024,"temperature":0,"seed":7,"num_predict":3,"stop":["x"]}}`)
		load, keep := ts.eng.LastLoad()
		if load.ContextLength != 1024 || keep == nil || *keep != 10*time.Minute {
			t.Fatalf("load %+v keep %v", load, keep)
		}
		c := ts.eng.LastComplete()
		if c.Sampling.Temperature != 0 || c.Sampling.Seed != 7 || c.Sampling.TopK != 40 || c.MaxTokens != 3 || c.Stop[0] != "x" || !c.ContextShift {
			t.Fatalf("completion %+v", c)
		}
	})
	t.Run("default keep-alive", func(t *testing.T) {
		post("/v1/chat/completions", `{"model":"tiny","messages":[{"role":"user","content":"hi"}]}`)
		if _, keep := ts.eng.LastLoad(); keep == nil || *keep != 2*time.Minute {
			t.Fatalf("keep %v", keep)
		}
		post("/v1/chat/completions", `{"model":"tiny","messages":[{"role":"user","content":"hi"}],"keep_alive":-1}`)
		if _, keep := ts.eng.LastLoad(); keep == nil || *keep >= 0 {
			t.Fatalf("keep_alive -1 gave %v", keep)
		}
	})
	t.Run("generate without a chat template is raw", func(t *testing.T) {
		post("/api/generate", `{"model":"tiny","prompt":"Once upon","system":"Stories.","stream":false}`)
		if p := ts.eng.LastComplete().Prompt; p != "Stories.\n\nOnce upon" {
			t.Fatalf("prompt %q", p)
		}
	})
	t.Run("generate with a chat template is a chat turn", func(t *testing.T) {
		post("/api/generate", `{"model":"tiny-think","prompt":"Hi","system":"Be kind.","stream":false}`)
		m := ts.eng.LastChat().Messages
		if len(m) != 2 || m[0].Role != "system" || m[0].Content != "Be kind." || m[1].Content != "Hi" {
			t.Fatalf("messages %+v", m)
		}
	})
	t.Run("go template override", func(t *testing.T) {
		post("/api/generate", `{"model":"tiny-think","prompt":"Hi","system":"S","template":"[{{ .System }}] {{ .Prompt }} =>","stream":false}`)
		if p := ts.eng.LastComplete().Prompt; p != "[S] Hi =>" {
			t.Fatalf("prompt %q", p)
		}
	})
	t.Run("jinja template override", func(t *testing.T) {
		post("/api/generate", `{"model":"tiny-think","prompt":"Hi","template":"{% for m in messages %}{{ m.content }}{% endfor %}!","stream":false}`)
		if tpl := ts.eng.LastChat().Template; !strings.HasSuffix(tpl, "!") {
			t.Fatalf("template %q", tpl)
		}
	})
	t.Run("raw prompt with format", func(t *testing.T) {
		out := post("/api/generate", `{"model":"tiny","prompt":"Give JSON","raw":true,"format":"json","stream":false}`)
		c := ts.eng.LastChat()
		if c.Format == nil || c.Format.Type != "json_object" || c.Template == "" || c.Messages[0].Content != "Give JSON" {
			t.Fatalf("chat %+v", c)
		}
		var r struct{ Response string }
		json.Unmarshal([]byte(out), &r)
		if !json.Valid([]byte(r.Response)) {
			t.Fatalf("response %q", r.Response)
		}
	})
	t.Run("suffix", func(t *testing.T) {
		out := post("/api/generate", `{"model":"fim","prompt":"def f(","suffix":"return 1","stream":false}`)
		if ts.eng.LastComplete().Suffix != "return 1" || !strings.Contains(out, `"done":true`) {
			t.Fatalf("suffix: %s", out)
		}
		out = post("/v1/completions", `{"model":"fim","prompt":"def f(","suffix":"return 1","max_tokens":2}`)
		if ts.eng.LastComplete().Suffix != "return 1" {
			t.Fatalf("suffix: %s", out)
		}
	})
	t.Run("load and unload", func(t *testing.T) {
		out := post("/api/chat", `{"model":"fim","messages":[]}`)
		if !strings.Contains(out, `"done_reason":"load"`) {
			t.Fatal(out)
		}
		out = post("/api/chat", `{"model":"fim","messages":[],"keep_alive":0}`)
		if !strings.Contains(out, `"done_reason":"unload"`) {
			t.Fatal(out)
		}
		_, _, ps := ts.do(t, "GET", "/api/ps", "")
		if strings.Contains(ps, `"fim"`) {
			t.Fatalf("still loaded: %s", ps)
		}
	})
	t.Run("thinking", func(t *testing.T) {
		out := post("/api/chat", `{"model":"tiny-think","think":true,"stream":false,"messages":[{"role":"user","content":"hi"}]}`)
		if !strings.Contains(out, `"thinking":"Let me think about a story."`) || *ts.eng.LastChat().Think != true {
			t.Fatal(out)
		}
		out = post("/v1/chat/completions", `{"model":"tiny-think","reasoning_effort":"high","messages":[{"role":"user","content":"hi"}]}`)
		if !strings.Contains(out, `"reasoning_content":"Let me think about a story."`) {
			t.Fatal(out)
		}
		out = post("/api/generate", `{"model":"tiny-think","think":false,"prompt":"hi","stream":false}`)
		if strings.Contains(out, "thinking") || *ts.eng.LastChat().Think != false {
			t.Fatal(out)
		}
	})
	t.Run("openai sampling fields", func(t *testing.T) {
		post("/v1/chat/completions", `{"model":"tiny","messages":[{"role":"user","content":"hi"}],"temperature":0.5,"top_p":0.9,"seed":3,
			"presence_penalty":0.5,"frequency_penalty":-0.5,"logit_bias":{"15":-100,"7":2},"stop":"END","max_completion_tokens":9,
			"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"tool_choice":"none"}`)
		c := ts.eng.LastChat()
		s := c.Sampling
		if s.Temperature != 0.5 || s.TopP != 0.9 || s.Seed != 3 || s.PresencePenalty != 0.5 || s.FrequencyPenalty != -0.5 ||
			s.LogitBias[15] != -100 || s.LogitBias[7] != 2 || c.Stop[0] != "END" || c.MaxTokens != 9 || c.ToolChoice.Mode != "none" || len(c.Tools) != 1 {
			t.Fatalf("chat %+v", c)
		}
	})
	t.Run("embeddings", func(t *testing.T) {
		out := post("/api/embed", `{"model":"embed","input":""}`)
		if !strings.Contains(out, `"embeddings":[]`) {
			t.Fatal(out)
		}
		post("/api/embeddings", `{"model":"embed","prompt":"hi"}`)
		if e := ts.eng.LastEmbed(); e.Normalize || e.Load.Embedding {
			t.Fatalf("legacy embeddings: %+v", e)
		}
		post("/v1/embeddings", `{"model":"embed","input":[[1,2],[3]]}`)
		if e := ts.eng.LastEmbed(); len(e.Tokens) != 2 || !e.Normalize || e.Truncate {
			t.Fatalf("token input: %+v", e)
		}
		post("/api/embed", `{"model":"embed","input":["a","b"],"truncate":false,"options":{"num_ctx":32}}`)
		if e := ts.eng.LastEmbed(); e.Truncate || e.Load.ContextLength != 32 || len(e.Inputs) != 2 {
			t.Fatalf("embed: %+v", e)
		}
	})
	t.Run("completions echo of token prompt", func(t *testing.T) {
		out := post("/v1/completions", `{"model":"tiny","prompt":[10],"echo":true,"max_tokens":1,"logprobs":2}`)
		var r struct {
			Choices []struct {
				Text     string
				Logprobs struct {
					Tokens      []string
					TextOffset  []int                `json:"text_offset"`
					TopLogprobs []map[string]float64 `json:"top_logprobs"`
				}
			}
		}
		json.Unmarshal([]byte(out), &r)
		ch := r.Choices[0]
		off := ch.Logprobs.TextOffset[0]
		if len(ch.Logprobs.Tokens) != 1 || off == 0 || ch.Text[off:] != ch.Logprobs.Tokens[0] || len(ch.Logprobs.TopLogprobs[0]) != 2 {
			t.Fatalf("echo: %s", out)
		}
	})
	t.Run("pull without streaming", func(t *testing.T) {
		out := post("/api/pull", `{"model":"x:pullable","stream":false}`)
		if strings.TrimSpace(out) != `{"status":"success"}` {
			t.Fatal(out)
		}
		_, h, out := ts.do(t, "POST", "/api/pull", `{"name":"y:pullable"}`)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if h.Get("Content-Type") != "application/x-ndjson" || lines[0] != `{"status":"pulling manifest"}` || lines[len(lines)-1] != `{"status":"success"}` ||
			!strings.Contains(out, `"status":"verifying sha256 digest"`) || !strings.Contains(out, `"status":"writing manifest"`) {
			t.Fatalf("progress %s", out)
		}
		_, _, tags := ts.do(t, "GET", "/api/tags", "")
		if !strings.Contains(tags, `"y:pullable"`) {
			t.Fatal(tags)
		}
	})
}

// TestPassThroughModelKeepAlive: a model's own keep-alive (Config.KeepAliveFor) comes before
// the server-wide one when a request names none, and a request's own wins over both.
func TestPassThroughModelKeepAlive(t *testing.T) {
	own := 30 * time.Minute
	ts := newServer(t, api.Config{DefaultKeepAlive: 2 * time.Minute, KeepAliveFor: func(m string) *time.Duration {
		if m == "tiny" {
			return &own
		}
		return nil
	}})
	cases := []struct {
		body string
		want time.Duration
	}{
		{`{"model":"tiny","messages":[{"role":"user","content":"hi"}]}`, own},
		{`{"model":"tiny","messages":[{"role":"user","content":"hi"}],"keep_alive":"1m"}`, time.Minute},
		{`{"model":"tiny-think","messages":[{"role":"user","content":"hi"}]}`, 2 * time.Minute},
	}
	for _, c := range cases {
		if status, _, out := ts.do(t, "POST", "/v1/chat/completions", c.body); status != 200 {
			t.Fatalf("%s: %d %s", c.body, status, out)
		}
		if _, keep := ts.eng.LastLoad(); keep == nil || *keep != c.want {
			t.Errorf("%s: keep-alive %v, want %s", c.body, keep, c.want)
		}
	}
}
