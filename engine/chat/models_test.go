package chat

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/perchapp/perch/engine/sharedtest"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata/")

// golden compares got with testdata/name, or writes it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("golden file missing (run go test -update): %v", err)
		return
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file\n got: %q\nwant: %q", name, got, want)
	}
}

var weatherTool = Tool{Type: "function", Function: Function{
	Name:        "get_weather",
	Description: "Get the current weather in a city",
	Parameters:  json.RawMessage(`{"type":"object","properties":{"city":{"type":"string","description":"City name"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["city"]}`),
}}

func modelTemplates(t *testing.T) map[string]string {
	t.Helper()
	dir := filepath.Join(sharedDir(t), "chat_templates", "llama.cpp-models-templates")
	files, err := filepath.Glob(filepath.Join(dir, "*.jinja"))
	if err != nil || len(files) == 0 {
		sharedtest.Skipf(t, "no templates in %s", dir)
	}
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".jinja")] = string(b)
	}
	return out
}

// tokensFor guesses the BOS/EOS texts a model of this template family uses.
func tokensFor(name string) (bos, eos string) {
	switch {
	case strings.Contains(name, "Llama-3") || strings.Contains(name, "llama-3") || strings.Contains(name, "functionary") || strings.Contains(name, "Hermes"):
		return "<|begin_of_text|>", "<|eot_id|>"
	case strings.Contains(name, "deepseek") || strings.Contains(name, "DeepSeek"):
		return "<｜begin▁of▁sentence｜>", dsEndOfSent
	case strings.Contains(name, "Qwen"):
		return "", "<|im_end|>"
	case strings.Contains(name, "gemma"):
		return "<bos>", "<eos>"
	case strings.Contains(name, "Cohere"):
		return "<BOS_TOKEN>", "<|END_OF_TURN_TOKEN|>"
	}
	return "<s>", "</s>"
}

func TestModelTemplates(t *testing.T) {
	tmpls := modelTemplates(t)
	names := make([]string, 0, len(tmpls))
	for n := range tmpls {
		names = append(names, n)
	}
	sort.Strings(names)
	now := time.Date(2025, 3, 14, 9, 26, 0, 0, time.UTC)
	toolsConv := []Message{
		{Role: "system", Content: "You are a helpful assistant."},
		{Role: "user", Content: "What is the weather in Paris?"},
	}
	callConv := append(append([]Message(nil), toolsConv...),
		Message{Role: "assistant", ToolCalls: []ToolCall{{ID: "call_k3Jd9aLq2", Type: "function",
			Function: FunctionCall{Name: "get_weather", Arguments: json.RawMessage(`{"city": "Paris", "unit": "celsius"}`)}}}},
		Message{Role: "tool", ToolCallID: "call_k3Jd9aLq2", Content: `{"temperature": 18, "sky": "cloudy"}`},
	)
	passTools, passCall := 0, 0
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			bos, eos := tokensFor(name)
			tmpl, err := NewTemplate(tmpls[name], bos, eos)
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			t.Logf("family %s, reasoning %v, capabilities %+v", tmpl.Family(), tmpl.Reasoning(), tmpl.Capabilities())
			opts := RenderOptions{Tools: []Tool{weatherTool}, AddGenerationPrompt: true, Now: now}
			out, err := tmpl.Render(toolsConv, opts)
			switch {
			case err != nil:
				t.Errorf("render with tools: %v", err)
			case !strings.Contains(out, "get_weather") || !strings.Contains(out, "What is the weather in Paris?"):
				t.Errorf("render with tools lost the tool or the question:\n%s", out)
			default:
				passTools++
				golden(t, filepath.Join("templates", name+".tools.txt"), out)
			}
			out, err = tmpl.Render(callConv, opts)
			switch {
			case err != nil:
				t.Errorf("render with a tool call: %v", err)
			case !strings.Contains(out, "Paris") || !strings.Contains(out, "cloudy") || strings.Count(out, "get_weather") < 2:
				t.Errorf("render with a tool call lost the call or its result:\n%s", out)
			default:
				passCall++
				golden(t, filepath.Join("templates", name+".toolcall.txt"), out)
			}
		})
	}
	t.Logf("model templates: %d/%d render with tools offered, %d/%d with a tool call and its result", passTools, len(names), passCall, len(names))
}
