package chat

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func render(t *testing.T, src string, msgs []Message, opts RenderOptions) string {
	t.Helper()
	tmpl, err := NewTemplate(src, "<s>", "</s>")
	if err != nil {
		t.Fatalf("compile %q: %v", src, err)
	}
	out, err := tmpl.Render(msgs, opts)
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	return out
}

func TestToJSONFilter(t *testing.T) {
	extra := map[string]any{
		"x": json.RawMessage(`{"b": 1, "a": [1.0, 2.5e-7, 1e21, "é<>&\u2028", null, true], "c": {}, "d": [], "s": "a\"b\\c\nd\u0001\u001f\u007f"}`),
	}
	for _, tc := range []struct{ expr, want string }{
		{`{{ x | tojson }}`, `{"b": 1, "a": [1.0, 2.5e-07, 1e+21, "é<>&` + "\u2028" + `", null, true], "c": {}, "d": [], "s": "a\"b\\c\nd\u0001\u001f"}`},
		{`{{ x.a[3] | tojson(ensure_ascii=true) }}`, `"\u00e9<>&\u2028"`},
		{`{{ x | tojson(separators=(',', ':')) }}`, `{"b":1,"a":[1.0,2.5e-07,1e+21,"é<>&` + "\u2028" + `",null,true],"c":{},"d":[],"s":"a\"b\\c\nd\u0001\u001f"}`},
		{`{{ x | tojson(sort_keys=true) }}`, `{"a": [1.0, 2.5e-07, 1e+21, "é<>&` + "\u2028" + `", null, true], "b": 1, "c": {}, "d": [], "s": "a\"b\\c\nd\u0001\u001f"}`},
		{`{{ x.c | tojson(indent=2) }}|{{ {"k": [1, {"z": "q"}]} | tojson(indent=2) }}`, "{}|{\n  \"k\": [\n    1,\n    {\n      \"z\": \"q\"\n    }\n  ]\n}"},
		{`{{ x.s | tojson }}`, `"a\"b\\c\nd\u0001\u001f` + "\x7f\""}, // Python leaves DEL as it is
		{`{{ "tojson" }}{# | tojson #}!`, `tojson!`},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			got := render(t, tc.expr, []Message{{Role: "user", Content: "hi"}}, RenderOptions{Extra: extra})
			if got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestStrftime(t *testing.T) {
	now := time.Date(2024, 7, 6, 15, 4, 5, 123456000, time.UTC)
	for _, tc := range []struct{ format, want string }{
		{"%d %b %Y", "06 Jul 2024"},
		{"%-d %B %Y", "6 July 2024"},
		{"%A, %a %H:%M:%S %p %I", "Saturday, Sat 15:04:05 PM 03"},
		{"%Y-%m-%dT%H:%M:%S.%f%z", "2024-07-06T15:04:05.123456+0000"},
		{"%j %y %e %% %Q", "188 24  6 % %Q"},
	} {
		if got := strftime(now, tc.format); got != tc.want {
			t.Errorf("strftime(%q) = %q, want %q", tc.format, got, tc.want)
		}
	}
	got := render(t, `{{ strftime_now("%d %b %Y") }}`, []Message{{Role: "user", Content: "x"}}, RenderOptions{Now: now})
	if got != "06 Jul 2024" {
		t.Errorf("strftime_now in a template = %q", got)
	}
}

func TestRenderOptions(t *testing.T) {
	yes, no := true, false
	src := `{% if enable_thinking is defined %}{{ enable_thinking }}{% else %}undefined{% endif %}|{{ custom }}|{{ bos_token }}{{ eos_token }}|{{ tools is none }}|{{ add_generation_prompt }}|{{ messages | length }}`
	msgs := []Message{{Role: "user", Content: "hi"}}
	for _, tc := range []struct {
		name string
		opts RenderOptions
		want string
	}{
		{"defaults", RenderOptions{}, "undefined||<s></s>|True|False|1"},
		{"thinking on", RenderOptions{EnableThinking: &yes, AddGenerationPrompt: true}, "True||<s></s>|True|True|1"},
		{"thinking off", RenderOptions{EnableThinking: &no}, "False||<s></s>|True|False|1"},
		{"extra", RenderOptions{Extra: map[string]any{"custom": "v", "messages": "ignored"}}, "undefined|v|<s></s>|True|False|1"},
		{"tools", RenderOptions{Tools: []Tool{weatherTool}}, "undefined||<s></s>|False|False|1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := render(t, src, msgs, tc.opts); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestRenderErrors(t *testing.T) {
	good, err := NewTemplate("", "", "")
	if err != nil {
		t.Fatal(err)
	}
	raising, err := NewTemplate(`{{ raise_exception("Conversation roles must alternate") }}`, "", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		tmpl *Template
		msgs []Message
		opts RenderOptions
		want string
	}{
		{"no messages", good, nil, RenderOptions{}, "no messages"},
		{"no role", good, []Message{{Content: "x"}}, RenderOptions{}, "has no role"},
		{"bad role", good, []Message{{Role: "robot", Content: "x"}}, RenderOptions{}, `role "robot"`},
		{"unnamed call", good, []Message{{Role: "assistant", ToolCalls: []ToolCall{{}}}}, RenderOptions{}, "no function name"},
		{"unnamed tool", good, []Message{{Role: "user", Content: "x"}}, RenderOptions{Tools: []Tool{{}}}, "tool 0 has no function name"},
		{"bad parameters", good, []Message{{Role: "user", Content: "x"}}, RenderOptions{Tools: []Tool{{Function: Function{Name: "f", Parameters: json.RawMessage(`{`)}}}}, "not valid JSON"},
		{"huge range", mustTemplate(t, `{% for i in range(1000000000) %}{% endfor %}`), []Message{{Role: "user", Content: "x"}}, RenderOptions{}, "range() of more than"},
		{"template raises", raising, []Message{{Role: "user", Content: "x"}}, RenderOptions{}, "Conversation roles must alternate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.tmpl.Render(tc.msgs, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	if _, err := raising.Render([]Message{{Role: "user", Content: "x"}}, RenderOptions{}); !errors.Is(err, ErrTemplate) {
		t.Errorf("raise_exception error %v is not ErrTemplate", err)
	}
	for _, src := range []string{"{% if %}", "{{ x", "{% for x in y %}", "{% endif %}"} {
		if _, err := NewTemplate(src, "", ""); err == nil {
			t.Errorf("NewTemplate(%q) compiled", src)
		}
	}
}

func TestDetectFamily(t *testing.T) {
	want := map[string]Family{
		"CohereForAI-c4ai-command-r-plus-tool_use":      FamilyCommandR,
		"CohereForAI-c4ai-command-r7b-12-2024-tool_use": FamilyCommandR7B,
		"NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use": FamilyHermes,
		"NousResearch-Hermes-3-Llama-3.1-8B-tool_use":   FamilyHermes,
		"Qwen-Qwen2.5-7B-Instruct":                      FamilyHermes,
		"deepseek-ai-DeepSeek-R1-Distill-Llama-8B":      FamilyDeepSeekR1,
		"deepseek-ai-DeepSeek-R1-Distill-Qwen-32B":      FamilyDeepSeekR1,
		"fireworks-ai-llama-3-firefunction-v2":          FamilyFireFunction,
		"google-gemma-2-2b-it":                          FamilyGemma,
		"llama-cpp-deepseek-r1":                         FamilyDeepSeekR1,
		"meetkai-functionary-medium-v3.1":               FamilyFunctionaryV31,
		"meetkai-functionary-medium-v3.2":               FamilyFunctionary,
		"meta-llama-Llama-3.1-8B-Instruct":              FamilyLlama3,
		"meta-llama-Llama-3.2-3B-Instruct":              FamilyLlama3,
		"meta-llama-Llama-3.3-70B-Instruct":             FamilyLlama3,
		"microsoft-Phi-3.5-mini-instruct":               FamilyPhi,
		"mistralai-Mistral-Nemo-Instruct-2407":          FamilyMistral,
	}
	for name, src := range modelTemplates(t) {
		w, ok := want[name]
		if !ok {
			t.Errorf("no expectation for template %s", name)
			continue
		}
		if got := DetectFamily(src); got != w {
			t.Errorf("%s: family %s, want %s", name, got, w)
		}
	}
	if DetectFamily("") != FamilyHermes || DetectFamily("{{ messages }}") != FamilyGeneric {
		t.Error("ChatML and unknown templates are misdetected")
	}
}

// The built-in ChatML template renders tools, tool calls and results in the Hermes layout.
func TestChatMLDefault(t *testing.T) {
	msgs := []Message{
		{Role: "system", Content: "Be brief."},
		{Role: "user", Content: "Weather in Paris?"},
		{Role: "assistant", ToolCalls: []ToolCall{{ID: "call_1", Type: "function", Function: FunctionCall{Name: "get_weather", Arguments: json.RawMessage(`"{\"city\":\"Paris\"}"`)}}}},
		{Role: "tool", ToolCallID: "call_1", Content: "18C"},
		{Role: "tool", ToolCallID: "call_1", Content: "cloudy"},
	}
	tmpl, err := NewTemplate("", "", "<|im_end|>")
	if err != nil {
		t.Fatal(err)
	}
	if c := tmpl.Capabilities(); !c.SystemRole || !c.Tools || !c.ToolCalls || !c.ToolResponses || c.StringArguments {
		t.Errorf("ChatML capabilities %+v", c)
	}
	out, err := tmpl.Render(msgs, RenderOptions{Tools: []Tool{weatherTool}, AddGenerationPrompt: true})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("templates", "chatml-default.toolcall.txt"), out)
	plain, err := tmpl.Render(msgs[:2], RenderOptions{AddGenerationPrompt: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nWeather in Paris?<|im_end|>\n<|im_start|>assistant\n"; plain != want {
		t.Errorf("plain ChatML %q, want %q", plain, want)
	}
}

func TestParserOptionsFromTemplate(t *testing.T) {
	tmpls := modelTemplates(t)
	r1, err := NewTemplate(tmpls["llama-cpp-deepseek-r1"], "", "")
	if err != nil {
		t.Fatal(err)
	}
	prompt, err := r1.Render([]Message{{Role: "user", Content: "2+2?"}}, RenderOptions{AddGenerationPrompt: true})
	if err != nil {
		t.Fatal(err)
	}
	o := r1.ParserOptions(prompt, false)
	if !o.ThinkingStarted || !o.Reasoning || o.Family != FamilyDeepSeekR1 || o.Tools {
		t.Errorf("DeepSeek-R1 prompt %q gave %+v", prompt, o)
	}
	gemma, err := NewTemplate(tmpls["google-gemma-2-2b-it"], "<bos>", "<eos>")
	if err != nil {
		t.Fatal(err)
	}
	if gemma.ToolFamily() != FamilyGeneric || gemma.Reasoning() {
		t.Errorf("gemma: tool family %s, reasoning %v", gemma.ToolFamily(), gemma.Reasoning())
	}
}

func mustTemplate(t *testing.T, src string) *Template {
	t.Helper()
	tmpl, err := NewTemplate(src, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

func TestRange(t *testing.T) {
	got := render(t, `{% for i in range(3) %}{{ i }}{% endfor %}|{% for i in range(1, 7, 2) %}{{ i }}{% endfor %}|{% for i in range(3, 0, -1) %}{{ loop.index }}{{ i }}{% endfor %}`, []Message{{Role: "user", Content: "x"}}, RenderOptions{})
	if want := "012|135|132231"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
