package openai

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"testing"

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

// TestOpenAIDefaults pins what the engine gets when an OpenAI request says nothing.
func TestOpenAIDefaults(t *testing.T) {
	req := ChatRequest{Model: "m", Messages: []Message{{Role: "developer", Content: json.RawMessage(`"be brief"`)},
		{Role: "user", Content: json.RawMessage(`[{"type":"text","text":"a"},{"type":"text","text":"b"}]`)}}}
	cr, n, err := ChatRequestFromOpenAI(req)
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
	if cr, _, _ = ChatRequestFromOpenAI(req); cr.MaxTokens != 7 {
		t.Fatalf("max_tokens %d", cr.MaxTokens)
	}
	three := 3
	req.MaxCompletionTokens = &three
	if cr, _, _ = ChatRequestFromOpenAI(req); cr.MaxTokens != 3 {
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
		got, err := ToolChoiceFromOpenAI(json.RawMessage(tc.in), tools)
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
		got, err := ResponseFormat(json.RawMessage(tc.in))
		if (err != nil) != tc.err || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("response_format %s: %+v, %v", tc.in, got, err)
		}
	}
	for _, tc := range []struct {
		in   string
		want []CompletionPrompt
		err  bool
	}{
		{`"hi"`, []CompletionPrompt{{Text: "hi"}}, false},
		{`["a","b"]`, []CompletionPrompt{{Text: "a"}, {Text: "b"}}, false},
		{`[1,2,3]`, []CompletionPrompt{{Tokens: []int32{1, 2, 3}}}, false},
		{`[[1],[2,3]]`, []CompletionPrompt{{Tokens: []int32{1}}, {Tokens: []int32{2, 3}}}, false},
		{`["a",[7]]`, []CompletionPrompt{{Text: "a"}, {Tokens: []int32{7}}}, false},
		{`[]`, nil, true}, {`[[]]`, nil, true}, {`{"a":1}`, nil, true}, {`[true]`, nil, true}, {`[3000000000]`, nil, true},
	} {
		got, err := PromptsFromOpenAI(json.RawMessage(tc.in))
		if (err != nil) != tc.err || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("prompt %s: %+v, %v", tc.in, got, err)
		}
	}
}

func sampleLogprobs() []engine.Logprob {
	return []engine.Logprob{
		{ID: 5, Token: "Once", Bytes: []byte("Once"), Logprob: -0.1, Top: []engine.TopLogprob{{ID: 5, Token: "Once", Logprob: -0.1}, {ID: 9, Token: "The", Logprob: -2.5}}},
		{ID: 6, Token: " upon", Logprob: -0.2},
	}
}

// Unit length (the worker normalises) is checked by compat's embedding cases.
func TestEmbeddingEncoding(t *testing.T) {
	if got := EncodeEmbedding([]float32{1, -2}, "base64"); got != "AACAPwAAAMA=" {
		t.Fatalf("base64: %v", got)
	}
}

func TestChatGolden(t *testing.T) {
	res := &engine.ChatResult{
		Message: chat.Message{Role: "assistant", Reasoning: "thinking", ToolCalls: []chat.ToolCall{
			{ID: "call_1", Type: "function", Function: chat.FunctionCall{Name: "get_weather", Arguments: json.RawMessage(`{ "city" : "Tokyo" }`)}},
			{Type: "function", Function: chat.FunctionCall{Name: "noop", Arguments: json.RawMessage(`"{\"a\":1}"`)}},
		}},
		FinishReason: engine.FinishStop, Usage: engine.Usage{PromptTokens: 10, CachedTokens: 4, CompletionTokens: 5},
		Logprobs: sampleLogprobs(),
	}
	choice := ChatChoiceFromResult(0, res, true)
	choice.Message.ToolCalls[1].ID = "call_generated" // random otherwise
	convGolden(t, "openai_chat_choice", choice)
	convGolden(t, "openai_usage", UsageToOpenAI(res.Usage))
	convGolden(t, "openai_legacy_logprobs", LegacyLogprobsOf(sampleLogprobs(), 3))
}
