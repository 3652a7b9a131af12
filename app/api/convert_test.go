package api

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/chat"
)

var updateGolden = flag.Bool("update", false, "rewrite the conversion golden files in testdata/")

// convGolden compares v, as indented JSON, with testdata/convert_<name>.golden.
func convGolden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "convert_"+name+".golden")
	if *updateGolden {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Fatalf("%s differs from the golden file:\n%s", name, got)
	}
}

func TestParseKeepAlive(t *testing.T) {
	d := func(x time.Duration) *time.Duration { return &x }
	tests := []struct {
		in   string
		want *time.Duration
		err  bool
	}{
		{``, nil, false}, {`null`, nil, false},
		{`"5m"`, d(5 * time.Minute), false}, {`"1h30m"`, d(90 * time.Minute), false},
		{`300`, d(300 * time.Second), false}, {`"300"`, d(300 * time.Second), false}, {`1.5`, d(1500 * time.Millisecond), false},
		{`0`, d(0), false}, {`"0"`, d(0), false}, {`"0s"`, d(0), false},
		{`-1`, d(-1), false}, {`"-1"`, d(-1), false}, {`"-5m"`, d(-1), false}, {`1e300`, d(-1), false},
		{`"soon"`, nil, true}, {`true`, nil, true}, {`[1]`, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseKeepAlive(json.RawMessage(tc.in), "keep_alive")
			if (err != nil) != tc.err {
				t.Fatalf("err %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, want %v", deref(got), deref(tc.want))
			}
		})
	}
}

func deref(d *time.Duration) any {
	if d == nil {
		return nil
	}
	return *d
}

func TestValidateModelName(t *testing.T) {
	for _, ok := range []string{"tiny", "llama3.2:3b", "hf.co/bartowski/Qwen2.5-7B-Instruct-GGUF:Q4_K_M", "127.0.0.1:8080/library/x:latest", "org/name@sha256:abc", "a+b"} {
		if err := validateModelName("model", ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "../x", "a/../b", "a//b", "/etc/passwd", "~/x", "a b", "a\\b", "x\x00", "a/./b", "é", strings.Repeat("a", 300), "trailing/"} {
		if err := validateModelName("model", bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if validatePullRef("model", "https://example.com/x.gguf") != nil || validatePullRef("model", "https://x/a b") == nil {
		t.Error("pull URLs")
	}
}

func TestOllamaOptions(t *testing.T) {
	raw := map[string]json.RawMessage{
		"temperature": []byte(`0`), "top_k": []byte(`20`), "top_p": []byte(`0.5`), "min_p": []byte(`0.05`), "typical_p": []byte(`0.7`),
		"repeat_penalty": []byte(`1.2`), "repeat_last_n": []byte(`33`), "presence_penalty": []byte(`1.5`), "frequency_penalty": []byte(`1`),
		"seed": []byte(`42`), "num_predict": []byte(`100`), "num_ctx": []byte(`1024`), "num_batch": []byte(`2`), "num_thread": []byte(`8`),
		"num_gpu": []byte(`1`), "num_keep": []byte(`5`), "stop": []byte(`["\n","user:"]`), "use_mmap": []byte(`true`), "brand_new": []byte(`"x"`),
	}
	got, err := ollamaOptions(raw)
	if err != nil {
		t.Fatal(err)
	}
	convGolden(t, "ollama_options", got)

	def, err := ollamaOptions(nil)
	if err != nil || !reflect.DeepEqual(def.Sampling, engine.DefaultSampling()) || def.MaxTokens != 0 {
		t.Fatalf("defaults %+v, %v", def, err)
	}
	inf, _ := ollamaOptions(map[string]json.RawMessage{"num_predict": []byte(`-1`), "num_gpu": []byte(`-1`)})
	if inf.MaxTokens != 0 || inf.Load.GPULayers != nil {
		t.Fatalf("num_predict -1 / num_gpu -1: %+v", inf)
	}
	for _, bad := range []map[string]json.RawMessage{
		{"temperature": []byte(`"hot"`)}, {"num_ctx": []byte(`1.5`)}, {"num_ctx": []byte(`-5`)}, {"stop": []byte(`5`)}, {"seed": []byte(`{}`)},
	} {
		if _, err := ollamaOptions(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// TestOpenAIDefaults pins what the engine gets when an OpenAI request says nothing.
func TestOpenAIDefaults(t *testing.T) {
	req := oaiChatRequest{Model: "m", Messages: []oaiMessage{{Role: "developer", Content: json.RawMessage(`"be brief"`)},
		{Role: "user", Content: json.RawMessage(`[{"type":"text","text":"a"},{"type":"text","text":"b"}]`)}}}
	cr, n, err := chatRequestFromOpenAI(req)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 || cr.MaxTokens != 0 || cr.Format != nil || cr.ToolChoice.Mode != "auto" || cr.Think != nil || cr.KeepAlive != nil {
		t.Fatalf("request %+v", cr)
	}
	want := engine.Sampling{Temperature: 1, TopP: 1, RepeatPenalty: 1, RepeatLastN: -1, Seed: -1}
	if !reflect.DeepEqual(cr.Sampling, want) {
		t.Fatalf("sampling %+v, want %+v", cr.Sampling, want)
	}
	if cr.Messages[0].Role != "system" || cr.Messages[1].Content != "a\nb" {
		t.Fatalf("messages %+v", cr.Messages)
	}
	two := 7
	req.MaxTokens, req.MaxCompletionTokens = &two, nil
	if cr, _, _ = chatRequestFromOpenAI(req); cr.MaxTokens != 7 {
		t.Fatalf("max_tokens %d", cr.MaxTokens)
	}
	three := 3
	req.MaxCompletionTokens = &three
	if cr, _, _ = chatRequestFromOpenAI(req); cr.MaxTokens != 3 {
		t.Fatalf("max_completion_tokens wins over max_tokens: %d", cr.MaxTokens)
	}
}

func TestOpenAIUnions(t *testing.T) {
	tools := []chat.Tool{{Type: "function", Function: chat.Function{Name: "f"}}}
	for _, tc := range []struct {
		in   string
		want chat.ToolChoice
		err  bool
	}{
		{``, chat.ToolChoice{Mode: "auto"}, false}, {`"none"`, chat.ToolChoice{Mode: "none"}, false},
		{`"required"`, chat.ToolChoice{Mode: "required"}, false},
		{`{"type":"function","function":{"name":"f"}}`, chat.ToolChoice{Mode: "function", Function: "f"}, false},
		{`"sometimes"`, chat.ToolChoice{}, true}, {`{"type":"function"}`, chat.ToolChoice{}, true}, {`5`, chat.ToolChoice{}, true},
	} {
		got, err := toolChoiceFromOpenAI(json.RawMessage(tc.in), tools)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("tool_choice %s: %+v, %v", tc.in, got, err)
		}
	}
	for _, tc := range []struct {
		in   string
		want *engine.Format
		err  bool
	}{
		{`{"type":"text"}`, nil, false},
		{`{"type":"json_object"}`, &engine.Format{Type: "json_object"}, false},
		{`{"type":"json_object","schema":{"type":"object"}}`, &engine.Format{Type: "json_schema", Schema: json.RawMessage(`{"type":"object"}`)}, false},
		{`{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object"}}}`, &engine.Format{Type: "json_schema", Schema: json.RawMessage(`{"type":"object"}`)}, false},
		{`{"type":"json_schema","json_schema":{"name":"x","strict":true,"schema":{"type":"object"}}}`, &engine.Format{Type: "json_schema", Schema: json.RawMessage(`{"type":"object"}`), Strict: true}, false},
		{`{"type":"json_schema"}`, nil, true}, {`"json"`, nil, true}, {`{}`, nil, true},
	} {
		got, err := responseFormat(json.RawMessage(tc.in))
		if (err != nil) != tc.err || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("response_format %s: %+v, %v", tc.in, got, err)
		}
	}
	for _, tc := range []struct {
		in   string
		want []completionPrompt
		err  bool
	}{
		{`"hi"`, []completionPrompt{{Text: "hi"}}, false},
		{`["a","b"]`, []completionPrompt{{Text: "a"}, {Text: "b"}}, false},
		{`[1,2,3]`, []completionPrompt{{Tokens: []int32{1, 2, 3}}}, false},
		{`[[1],[2,3]]`, []completionPrompt{{Tokens: []int32{1}}, {Tokens: []int32{2, 3}}}, false},
		{`["a",[7]]`, []completionPrompt{{Text: "a"}, {Tokens: []int32{7}}}, false},
		{`[]`, nil, true}, {`[[]]`, nil, true}, {`{"a":1}`, nil, true}, {`[true]`, nil, true}, {`[3000000000]`, nil, true},
	} {
		got, err := promptsFromOpenAI(json.RawMessage(tc.in))
		if (err != nil) != tc.err || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("prompt %s: %+v, %v", tc.in, got, err)
		}
	}
	for _, tc := range []struct {
		in   string
		want *bool
		err  bool
	}{{`true`, ptr(true), false}, {`false`, ptr(false), false}, {`"high"`, ptr(true), false}, {`null`, nil, false}, {`"extreme"`, nil, true}, {`1`, nil, true}} {
		got, err := parseThink(json.RawMessage(tc.in))
		if (err != nil) != tc.err || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("think %s: %v, %v", tc.in, got, err)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func sampleLogprobs() []engine.Logprob {
	return []engine.Logprob{
		{ID: 5, Token: "Once", Bytes: []byte("Once"), Logprob: -0.1, Top: []engine.TopLogprob{{ID: 5, Token: "Once", Logprob: -0.1}, {ID: 9, Token: "The", Logprob: -2.5}}},
		{ID: 6, Token: " upon", Logprob: -0.2},
	}
}

func TestResponseGolden(t *testing.T) {
	res := &engine.ChatResult{
		Message: chat.Message{Role: "assistant", Reasoning: "thinking", ToolCalls: []chat.ToolCall{
			{ID: "call_1", Type: "function", Function: chat.FunctionCall{Name: "get_weather", Arguments: json.RawMessage(`{ "city" : "Tokyo" }`)}},
			{Type: "function", Function: chat.FunctionCall{Name: "noop", Arguments: json.RawMessage(`"{\"a\":1}"`)}},
		}},
		FinishReason: engine.FinishStop, Usage: engine.Usage{PromptTokens: 10, CachedTokens: 4, CompletionTokens: 5},
		Logprobs: sampleLogprobs(),
	}
	choice := chatChoiceFromResult(0, res, true)
	choice.Message.ToolCalls[1].ID = "call_generated" // random otherwise
	convGolden(t, "openai_chat_choice", choice)
	convGolden(t, "openai_usage", usageToOpenAI(res.Usage))
	convGolden(t, "openai_legacy_logprobs", legacyLogprobs(sampleLogprobs(), 3))

	calls := toolCallsToOllama(res.Message.ToolCalls)
	convGolden(t, "ollama_tool_calls", calls)
	convGolden(t, "ollama_metrics", metricsFromEngine(res.Usage, engine.Timings{LoadMs: 1.5, PromptMs: 2, PredictMs: 30}, 40*time.Millisecond))

	m := LibraryModel{
		Name: "llama3.2:3b", Digest: "sha256:a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72", Size: 2019393189,
		Path: "/data/perch/models/blobs/sha256-a80c", Architecture: "llama", ParameterCount: 3_212_749_888, Quantization: "Q4_K_M",
		ContextLength: 131072, EmbeddingSize: 3072, ModifiedAt: time.Date(2025, 5, 4, 17, 37, 44, 0, time.UTC),
		Template: "{{- if .Tools }}tools{{ end }}", System: "You are helpful.", License: "LLAMA 3.2 COMMUNITY LICENSE",
		Params:   map[string]any{"stop": []any{"<|eot_id|>", "<|start_header_id|>"}, "temperature": 0.6},
		Metadata: map[string]any{"llama.block_count": 28, "general.architecture": "llama"},
	}
	convGolden(t, "ollama_show", showResponseOf(m))
	convGolden(t, "ollama_tags_entry", listModelToOllama(m))
	st := engine.Status{Name: "llama3.2:3b", ExpiresAt: time.Date(2025, 6, 4, 14, 38, 31, 0, time.UTC),
		Memory: engine.MemoryUsage{WeightsBytes: 2 << 30, KVBytes: 1 << 28, ComputeBytes: 1 << 26, Device: "Metal"}, Options: engine.LoadOptions{ContextLength: 8192}}
	convGolden(t, "ollama_ps_entry", processModelOf(st, m))
}

func TestRenderGoTemplate(t *testing.T) {
	for _, tc := range []struct {
		tmpl, want string
		isGo, err  bool
	}{
		{"{{ .System }} USER: {{ .Prompt }} ASSISTANT:", "sys USER: hi ASSISTANT:", true, false},
		{"{{ if .System }}<s>{{ .System }}</s>{{ end }}{{ .Prompt }}", "<s>sys</s>hi", true, false},
		{"{% for m in messages %}{{ m.content }}{% endfor %}", "", false, false},
		{"{{ bos_token }}{{ messages[0].content }}", "", false, false},
		{"{{ .Prompt.Missing }}", "", true, true},
	} {
		got, isGo, err := renderGoTemplate(tc.tmpl, "sys", "hi")
		if got != tc.want || isGo != tc.isGo || (err != nil) != tc.err {
			t.Errorf("%q: %q, go=%v, err=%v", tc.tmpl, got, isGo, err)
		}
	}
}

// Unit length (the worker normalises) is checked by compat's embedding cases.
func TestEmbeddingEncoding(t *testing.T) {
	if got := encodeEmbedding([]float32{1, -2}, "base64"); got != "AACAPwAAAMA=" {
		t.Fatalf("base64: %v", got)
	}
}
