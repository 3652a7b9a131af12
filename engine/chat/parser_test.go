package chat

import (
	"encoding/json"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
)

type parserCase struct {
	name   string
	opts   ParserOptions
	output string
}

var parserCases = []parserCase{
	{"plain", ParserOptions{}, "Once upon a time, there was a little girl.\n"},
	{"plain-tools-offered", ParserOptions{Family: FamilyHermes, Tools: true}, "The weather in Paris is mild today. "},
	{"reasoning", ParserOptions{Family: FamilyHermes, Reasoning: true}, "<think>\nTwo plus two.\nThat is four.\n</think>\n\nThe answer is 4."},
	{"reasoning-started-in-prompt", ParserOptions{Family: FamilyDeepSeekR1, ThinkingStarted: true}, "I should add them.\n</think>\n\n4"},
	{"reasoning-unclosed", ParserOptions{Family: FamilyHermes, Reasoning: true}, "<think>Let me see, the user wants"},
	{"reasoning-absent", ParserOptions{Family: FamilyHermes, Reasoning: true}, "Just an answer <b>bold</b>."},
	{"hermes-one", ParserOptions{Family: FamilyHermes, Tools: true}, "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"unit\": \"celsius\"}}\n</tool_call>"},
	{"hermes-two-with-text", ParserOptions{Family: FamilyHermes, Tools: true}, "Let me check both.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}\n</tool_call>"},
	{"hermes-string-arguments", ParserOptions{Family: FamilyHermes, Tools: true}, "<tool_call>{\"name\": \"get_weather\", \"arguments\": \"{\\\"city\\\": \\\"Paris\\\"}\"}</tool_call>"},
	{"hermes-malformed", ParserOptions{Family: FamilyHermes, Tools: true}, "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Par\n</tool_call>"},
	{"hermes-cut-short", ParserOptions{Family: FamilyHermes, Tools: true, ToolForced: true}, "<tool_call> { \"name\" : \"f\" , \"argum"},
	{"generic-forced-cut-short", ParserOptions{Family: FamilyGeneric, Tools: true, ToolForced: true}, "{\"tool_calls\":[{\"name\":\"get_weather\",\"argu"},
	{"hermes-forced-cut-in-tag", ParserOptions{Family: FamilyHermes, Tools: true, ToolForced: true}, "<tool_"},
	{"hermes-cut-in-closing-tag", ParserOptions{Family: FamilyHermes, Tools: true, ToolForced: true}, "<tool_call>{\"name\":\"record\",\"arguments\":{\"value\":\"x\"}}</tool_"},
	{"hermes-unclosed", ParserOptions{Family: FamilyHermes, Tools: true}, "<tool_call>\n{\"name\": \"get_time\", \"arguments\": {}}"},
	{"hermes-reasoning-then-call", ParserOptions{Family: FamilyHermes, Tools: true, Reasoning: true}, "<think>\nThe user wants the weather.\n</think>\n\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>"},
	{"hermes-tools-not-offered", ParserOptions{Family: FamilyHermes}, "<tool_call>{\"name\": \"x\", \"arguments\": {}}</tool_call>"},
	{"hermes-partial-tag-at-end", ParserOptions{Family: FamilyHermes, Tools: true}, "Hello <tool"},
	{"qwen-function-tag", ParserOptions{Family: FamilyHermes, Tools: true}, "<function=get_weather>{\"city\": \"Paris\"}</function>"},
	{"llama3-json", ParserOptions{Family: FamilyLlama3, Tools: true}, "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}"},
	{"llama3-python-tag-json", ParserOptions{Family: FamilyLlama3, Tools: true}, "<|python_tag|>{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}"},
	{"llama3-builtin", ParserOptions{Family: FamilyLlama3, Tools: true}, "<|python_tag|>brave_search.call(query=\"weather in Paris\", count=3)"},
	{"llama3-code", ParserOptions{Family: FamilyLlama3, Tools: true}, "<|python_tag|>print(2 + 2)"},
	{"llama3-json-answer-not-a-call", ParserOptions{Family: FamilyLlama3, Tools: true}, "{\"name\": \"Bob\", \"age\": 3}"},
	{"llama3-two-calls", ParserOptions{Family: FamilyLlama3, Tools: true}, "{\"name\": \"a\", \"parameters\": {}}; {\"name\": \"b\", \"parameters\": {\"x\": 1}}"},
	{"mistral-array", ParserOptions{Family: FamilyMistral, Tools: true}, "[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}, \"id\": \"a1b2c3d4e\"}, {\"name\": \"get_time\", \"arguments\": {}}]"},
	{"mistral-args", ParserOptions{Family: FamilyMistral, Tools: true}, "[TOOL_CALLS]get_weather[ARGS]{\"city\": \"Paris\"}[TOOL_CALLS]get_time[ARGS]{}"},
	{"mistral-call-id", ParserOptions{Family: FamilyMistral, Tools: true}, "[TOOL_CALLS]get_weather[CALL_ID]x9y8z7w6v[ARGS]{\"city\": \"Paris\"}"},
	{"mistral-malformed", ParserOptions{Family: FamilyMistral, Tools: true}, "[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"city\": }]"},
	{"deepseek-r1", ParserOptions{Family: FamilyDeepSeekR1, Tools: true, ThinkingStarted: true}, "The user asks for weather.\n</think>\n\n" + dsCallsBegin + dsCallBegin + "function" + dsSep + "get_weather\n```json\n{\"city\": \"Paris\"}\n```" + dsCallEnd + "\n" + dsCallBegin + "function" + dsSep + "get_time\n```json\n{}\n```" + dsCallEnd + dsCallsEnd},
	{"deepseek-v3-style", ParserOptions{Family: FamilyDeepSeekR1, Tools: true}, dsCallsBegin + dsCallBegin + "get_weather" + dsSep + "{\"city\": \"Paris\"}" + dsCallEnd + dsCallsEnd},
	{"functionary-v32-call", ParserOptions{Family: FamilyFunctionary, Tools: true}, "get_weather\n{\"city\": \"Paris\"}"},
	{"functionary-v32-text", ParserOptions{Family: FamilyFunctionary, Tools: true}, "all\nHello! How can I help?"},
	{"functionary-v32-text-then-call", ParserOptions{Family: FamilyFunctionary, Tools: true}, "all\nLet me look.>>>get_weather\n{\"city\": \"Paris\"}"},
	{"functionary-v31", ParserOptions{Family: FamilyFunctionaryV31, Tools: true}, "<function=get_weather>{\"city\": \"Paris\"}</function>"},
	{"firefunction", ParserOptions{Family: FamilyFireFunction, Tools: true}, " functools[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}]"},
	{"command-r7b-action", ParserOptions{Family: FamilyCommandR7B, Tools: true, Reasoning: true}, "<|START_THINKING|>I will look up the weather.<|END_THINKING|><|START_ACTION|>[\n    {\"tool_call_id\": \"0\", \"tool_name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}\n]<|END_ACTION|>"},
	{"command-r7b-response", ParserOptions{Family: FamilyCommandR7B, Tools: true, Reasoning: true}, "<|START_RESPONSE|>It is sunny in Paris.<|END_RESPONSE|>"},
	{"command-r-plus", ParserOptions{Family: FamilyCommandR, Tools: true}, "Action: ```json\n[\n    {\n        \"tool_name\": \"get_weather\",\n        \"parameters\": {\"city\": \"Paris\"}\n    }\n]\n```"},
	{"generic-tool-calls", ParserOptions{Family: FamilyGemma, Tools: true}, "{\"tool_calls\": [{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}]}"},
	{"generic-fenced", ParserOptions{Family: FamilyPhi, Tools: true}, "```json\n{\"tool_call\": {\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}}\n```"},
	{"generic-text", ParserOptions{Family: FamilyGeneric, Tools: true}, "I cannot check the weather, sorry."},
	{"generic-code-fence-not-json", ParserOptions{Family: FamilyGeneric, Tools: true}, "```python\nprint(1)\n```"},
	{"utf8", ParserOptions{Family: FamilyHermes, Tools: true, Reasoning: true}, "<think>Grüße 🌍</think>Привет, 世界 🌍"},
}

// feed runs the parser over output cut into chunks and checks that what was streamed plus what
// was held equals the final answer.
func feed(t *testing.T, opts ParserOptions, chunks []string) Result {
	t.Helper()
	p := NewParser(opts)
	var c, r strings.Builder
	for _, ch := range chunks {
		dc, dr := p.Feed(ch)
		c.WriteString(dc)
		r.WriteString(dr)
	}
	res := p.Finish()
	if got := c.String() + res.UnsentContent; got != res.Content {
		t.Errorf("streamed content %q + unsent %q != content %q", c.String(), res.UnsentContent, res.Content)
	}
	if got := r.String() + res.UnsentReasoning; got != res.Reasoning {
		t.Errorf("streamed reasoning %q + unsent %q != reasoning %q", r.String(), res.UnsentReasoning, res.Reasoning)
	}
	return res
}

func TestParser(t *testing.T) {
	for _, tc := range parserCases {
		t.Run(tc.name, func(t *testing.T) {
			whole := feed(t, tc.opts, []string{tc.output})
			for i := range whole.ToolCalls {
				if !strings.HasPrefix(whole.ToolCalls[i].ID, "call_") || whole.ToolCalls[i].Type != "function" {
					if whole.ToolCalls[i].ID == "" || whole.ToolCalls[i].Type != "function" {
						t.Errorf("tool call %d has id %q type %q", i, whole.ToolCalls[i].ID, whole.ToolCalls[i].Type)
					}
				}
				if !json.Valid(whole.ToolCalls[i].Function.Arguments) || whole.ToolCalls[i].Function.Arguments[0] != '{' {
					t.Errorf("tool call %d arguments are not a JSON object: %s", i, whole.ToolCalls[i].Function.Arguments)
				}
			}
			// The same answer in one-byte pieces and in random pieces parses the same.
			var bytes []string
			for i := range len(tc.output) {
				bytes = append(bytes, tc.output[i:i+1])
			}
			rng := rand.New(rand.NewPCG(1, uint64(len(tc.name))))
			var random []string
			for s := tc.output; s != ""; {
				n := min(len(s), 1+rng.IntN(6))
				random, s = append(random, s[:n]), s[n:]
			}
			for _, chunks := range [][]string{bytes, random} {
				got := feed(t, tc.opts, chunks)
				if got.Content != whole.Content || got.Reasoning != whole.Reasoning || len(got.ToolCalls) != len(whole.ToolCalls) || got.PartialToolCall != whole.PartialToolCall {
					t.Errorf("streaming changed the result:\n got %+v\nwant %+v", got, whole)
				}
			}
			golden(t, filepath.Join("parser", tc.name+".json"), resultGolden(whole))
		})
	}
}

// resultGolden renders a result with the random ids masked.
func resultGolden(r Result) string {
	type call struct {
		ID        string          `json:"id"`
		Name      string          `json:"name"`
		Arguments json.RawMessage `json:"arguments"`
	}
	out := struct {
		Content   string `json:"content"`
		Reasoning string `json:"reasoning"`
		ToolCalls []call `json:"tool_calls"`
		Partial   string `json:"partial_tool_call,omitempty"`
	}{Content: r.Content, Reasoning: r.Reasoning, ToolCalls: []call{}, Partial: r.PartialToolCall}
	for _, c := range r.ToolCalls {
		id := c.ID
		if strings.HasPrefix(id, "call_") && len(id) == 29 {
			id = "call_<random>"
		}
		out.ToolCalls = append(out.ToolCalls, call{id, c.Function.Name, c.Function.Arguments})
	}
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(out)
	return sb.String()
}

func TestParserNeverPanics(t *testing.T) {
	inputs := []string{"", "<", "<tool_call>", "<tool_call>{", "[TOOL_CALLS]", "[TOOL_CALLS][", "[TOOL_CALLS]x[ARGS]",
		"{", "{\"name\": 1}", "<|python_tag|>", dsCallBegin, dsCallBegin + dsSep, ">>>", "functools[", "Action:",
		"<|START_ACTION|>", "\xff\xfe", "<think>", "</think>", "```json", "{\"tool_calls\": 5}", "{\"tool_calls\": [{\"name\": \"x\", \"arguments\": [1]}]}"}
	fams := []Family{FamilyGeneric, FamilyHermes, FamilyLlama3, FamilyMistral, FamilyDeepSeekR1, FamilyFunctionary,
		FamilyFunctionaryV31, FamilyFireFunction, FamilyCommandR, FamilyCommandR7B, FamilyGemma, FamilyPhi}
	for _, f := range fams {
		for _, in := range inputs {
			for _, opts := range []ParserOptions{{Family: f, Tools: true}, {Family: f, Tools: true, Reasoning: true}, {Family: f, ThinkingStarted: true}} {
				res := feed(t, opts, []string{in})
				if len(res.ToolCalls) > 0 && !json.Valid(res.ToolCalls[0].Function.Arguments) {
					t.Errorf("%s %q: invalid arguments %s", f, in, res.ToolCalls[0].Function.Arguments)
				}
			}
		}
	}
}

// TestParserStreamsEarly checks that text is released as soon as it cannot be a tag.
func TestParserStreamsEarly(t *testing.T) {
	type step struct{ in, content, reasoning string }
	for _, tc := range []struct {
		name  string
		opts  ParserOptions
		steps []step
	}{
		{"plain", ParserOptions{}, []step{{"Once", "Once", ""}, {" upon", " upon", ""}}},
		{"hermes-text", ParserOptions{Family: FamilyHermes, Tools: true}, []step{{"The", "The", ""}, {" weather <", " weather", ""}, {"b>", " <b>", ""}}},
		{"hermes-call-held", ParserOptions{Family: FamilyHermes, Tools: true}, []step{{"Sure.", "Sure.", ""}, {" <tool_", "", ""}, {"call>{\"name\"", "", ""}}},
		{"reasoning", ParserOptions{Reasoning: true}, []step{{"<thi", "", ""}, {"nk>\nHmm", "", "Hmm"}, {", yes</th", "", ", yes"}, {"ink>\n\nFour", "Four", ""}}},
		{"llama3-json-held", ParserOptions{Family: FamilyLlama3, Tools: true}, []step{{"{\"name\"", "", ""}, {": \"x\"", "", ""}}},
		{"llama3-text", ParserOptions{Family: FamilyLlama3, Tools: true}, []step{{"Hello", "Hello", ""}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := NewParser(tc.opts)
			for i, s := range tc.steps {
				c, r := p.Feed(s.in)
				if c != s.content || r != s.reasoning {
					t.Errorf("step %d Feed(%q) = (%q, %q), want (%q, %q)", i, s.in, c, r, s.content, s.reasoning)
				}
			}
		})
	}
}

// The parser runs once per token; a long answer must not make each token dearer.
func BenchmarkParserLongAnswer(b *testing.B) {
	toks := strings.Fields(strings.Repeat("Once upon a time there was a <b>little</b> girl named Lily. ", 200))
	b.ReportAllocs()
	for range b.N {
		p := NewParser(ParserOptions{Family: FamilyHermes, Tools: true, Reasoning: true})
		for _, tk := range toks {
			p.Feed(tk + " ")
		}
		p.Finish()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(toks)), "ns/token")
}

// Tool-call arguments arrive as JSON or as a JSON string holding JSON; rendering, the polyfill
// and the parsers all read them through decodeArguments.
func TestDecodeArguments(t *testing.T) {
	for _, tc := range []struct{ raw, text, compact string }{
		{`{"city": "Paris"}`, `{"city": "Paris"}`, `{"city": "Paris"}`},
		{`"{\"city\":\"Paris\"}"`, `{"city":"Paris"}`, `{"city": "Paris"}`},
		{` "  " `, `{}`, `{}`},
		{``, `{}`, `{}`},
		{`null`, `{}`, `{}`},
		{`"not json"`, `"not json"`, `"not json"`},
		{`[1, 2]`, `[1, 2]`, `[1, 2]`},
	} {
		v, text, err := decodeArguments([]byte(tc.raw))
		if err != nil {
			t.Errorf("%s: %v", tc.raw, err)
			continue
		}
		compact, err := compactValue(v)
		if text != tc.text || err != nil || compact != tc.compact {
			t.Errorf("%s: text %s, value %s (%v); want %s, %s", tc.raw, text, compact, err, tc.text, tc.compact)
		}
	}
	if _, _, err := decodeArguments([]byte(`{"city": `)); err == nil {
		t.Error("truncated JSON decoded")
	}
	for raw, want := range map[string]string{`"{ \"a\" : [1, 2] }"`: `{"a":[1,2]}`, `null`: `{}`} {
		if got, err := normalizeArguments(json.RawMessage(raw)); err != nil || string(got) != want {
			t.Errorf("normalizeArguments(%s) = %s, %v; want %s", raw, got, err, want)
		}
	}
	for _, raw := range []string{`[1]`, `"not json"`, `"[1]"`, `{"a":`} {
		if got, err := normalizeArguments(json.RawMessage(raw)); err == nil {
			t.Errorf("normalizeArguments(%s) = %s, want an error", raw, got)
		}
	}
}
