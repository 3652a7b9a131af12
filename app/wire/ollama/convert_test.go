package ollama

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
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

func TestOllamaOptions(t *testing.T) {
	raw := map[string]json.RawMessage{
		"temperature": []byte(`0`), "top_k": []byte(`20`), "top_p": []byte(`0.5`), "min_p": []byte(`0.05`), "typical_p": []byte(`0.7`),
		"repeat_penalty": []byte(`1.2`), "repeat_last_n": []byte(`33`), "presence_penalty": []byte(`1.5`), "frequency_penalty": []byte(`1`),
		"seed": []byte(`42`), "num_predict": []byte(`100`), "num_ctx": []byte(`1024`), "num_batch": []byte(`2`), "num_thread": []byte(`8`),
		"num_gpu": []byte(`1`), "num_keep": []byte(`5`), "stop": []byte(`["\n","user:"]`), "use_mmap": []byte(`true`), "brand_new": []byte(`"x"`),
	}
	got, err := RunOptions(raw)
	if err != nil {
		t.Fatal(err)
	}
	convGolden(t, "ollama_options", got)

	def, err := RunOptions(nil)
	if err != nil || !reflect.DeepEqual(def.Sampling, engine.DefaultSampling()) || def.MaxTokens != 0 {
		t.Fatalf("defaults %+v, %v", def, err)
	}
	inf, _ := RunOptions(map[string]json.RawMessage{"num_predict": []byte(`-1`), "num_gpu": []byte(`-1`)})
	if inf.MaxTokens != 0 || inf.Load.GPULayers != nil {
		t.Fatalf("num_predict -1 / num_gpu -1: %+v", inf)
	}
	for _, bad := range []map[string]json.RawMessage{
		{"temperature": []byte(`"hot"`)}, {"num_ctx": []byte(`1.5`)}, {"num_ctx": []byte(`-5`)}, {"stop": []byte(`5`)}, {"seed": []byte(`{}`)},
	} {
		if _, err := RunOptions(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestOllamaThink(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want *bool
		err  bool
	}{{`true`, ptr(true), false}, {`false`, ptr(false), false}, {`"high"`, ptr(true), false}, {`null`, nil, false}, {`"extreme"`, nil, true}, {`1`, nil, true}} {
		got, err := ParseThink(json.RawMessage(tc.in))
		if (err != nil) != tc.err || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("think %s: %v, %v", tc.in, got, err)
		}
	}
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
		got, isGo, err := RenderGoTemplate(tc.tmpl, "sys", "hi")
		if got != tc.want || isGo != tc.isGo || (err != nil) != tc.err {
			t.Errorf("%q: %q, go=%v, err=%v", tc.tmpl, got, isGo, err)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestResultGolden(t *testing.T) {
	res := &engine.ChatResult{
		Message: chat.Message{Role: "assistant", Reasoning: "thinking", ToolCalls: []chat.ToolCall{
			{ID: "call_1", Type: "function", Function: chat.FunctionCall{Name: "get_weather", Arguments: json.RawMessage(`{ "city" : "Tokyo" }`)}},
			{Type: "function", Function: chat.FunctionCall{Name: "noop", Arguments: json.RawMessage(`"{\"a\":1}"`)}},
		}},
		FinishReason: engine.FinishStop, Usage: engine.Usage{PromptTokens: 10, CachedTokens: 4, CompletionTokens: 5},
	}

	calls := ToolCallsToOllama(res.Message.ToolCalls)
	convGolden(t, "ollama_tool_calls", calls)
	convGolden(t, "ollama_metrics", MetricsFromEngine(res.Usage, engine.Timings{LoadMs: 1.5, PromptMs: 2, PredictMs: 30}, 40*time.Millisecond))

}
