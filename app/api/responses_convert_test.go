package api

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/perchapp/perch/app/api/internal/oaschema"
	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/chat"
)

// TestResponsesRequestGolden converts Responses requests into engine requests.
func TestResponsesRequestGolden(t *testing.T) {
	prev := respConversation{{Role: "user", Content: "Earlier question"}, {Role: "assistant", Content: "Earlier answer"}}
	cases := []struct {
		name string
		body string
		prev respConversation
	}{
		{"string-input", `{"model":"m","input":"Hi","instructions":"Be brief.","max_output_tokens":32,"temperature":0.5}`, nil},
		{"items", `{"model":"m","input":[
			{"role":"developer","content":"Rules"},
			{"type":"message","role":"user","content":[{"type":"input_text","text":"Weather in Seoul?"},{"type":"input_text","text":"And Busan?"}]},
			{"type":"message","role":"assistant","content":[{"type":"output_text","text":"Let me look."}]},
			{"type":"function_call","call_id":"c1","name":"get_weather","arguments":"{\"city\":\"Seoul\"}"},
			{"type":"function_call","call_id":"c2","name":"get_weather","arguments":"{\"city\":\"Busan\"}"},
			{"type":"function_call_output","call_id":"c1","output":"12C"},
			{"type":"function_call_output","call_id":"c2","output":[{"type":"input_text","text":"15C"}]},
			{"type":"reasoning","id":"rs_1","summary":[]}]}`, nil},
		{"tools-and-format", `{"model":"m","input":"x","tools":[{"type":"function","name":"get_weather","description":"d","strict":true,"parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}],
			"tool_choice":{"type":"function","name":"get_weather"},"text":{"format":{"type":"json_schema","name":"o","strict":true,"schema":{"type":"object"}}},"reasoning":{"effort":"low"}}`, nil},
		{"previous", `{"model":"m","input":"And now?","instructions":"New rules."}`, prev},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var req respRequest
			if err := decodeJSON([]byte(tc.body), &req); err != nil {
				t.Fatal(err)
			}
			got, conv, err := respRequestToChat(req, tc.prev)
			if err != nil {
				t.Fatal(err)
			}
			if len(conv)+boolInt(got.Messages[0].Role == "system" && !strings.Contains(tc.body, `"developer"`)) != len(got.Messages) {
				t.Errorf("the stored conversation %+v should be the messages less the instructions", conv)
			}
			convGolden(t, "responses_request_"+tc.name, got)
		})
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestResponsesRequestErrors(t *testing.T) {
	for _, tc := range []struct{ body, param, want string }{
		{`{"model":"m"}`, "input", "required"},
		{`{"model":"m","input":[{"role":"user","content":[{"type":"input_image","image_url":"x"}]}]}`, "input[0].content[0].type", `"input_image"`},
		{`{"model":"m","input":[{"role":"user","content":[{"type":"input_audio"}]}]}`, "input[0].content[0].type", `"input_audio"`},
		{`{"model":"m","input":[{"type":"web_search_call","id":"w"}]}`, "input[0].type", `"web_search_call"`},
		{`{"model":"m","input":"x","tools":[{"type":"file_search","vector_store_ids":["v"]}]}`, "tools[0].type", `"file_search"`},
		{`{"model":"m","input":"x","tools":[{"type":"function","name":"bad name"}]}`, "tools[0].name", "bad name"},
		{`{"model":"m","input":[{"role":"tool","content":"x"}]}`, "input[0].role", `"tool"`},
		{`{"model":"m","input":[{"type":"function_call","name":"f"}]}`, "input[0]", "call_id"},
		{`{"model":"m","input":"x","max_output_tokens":0}`, "max_output_tokens", "at least 1"},
		{`{"model":"m","input":"x","text":{"format":{"type":"yaml"}}}`, "text.format.type", `"yaml"`},
		{`{"model":"m","input":"x","tool_choice":{"type":"function","name":"nope"}}`, "tool_choice", "nope"},
		{`{"model":"m","input":42}`, "input", "a string or an array"},
	} {
		var req respRequest
		if err := decodeJSON([]byte(tc.body), &req); err != nil {
			t.Fatal(err)
		}
		_, _, err := respRequestToChat(req, nil)
		ae, ok := err.(*apiError)
		if !ok || ae.Status != 400 || ae.Param != tc.param || !strings.Contains(ae.Message, tc.want) {
			t.Errorf("%s: error %#v, want 400 on %s saying %s", tc.body, err, tc.param, tc.want)
		}
	}
}

// TestResponsesOutputGolden: a finished answer as Response output (ids masked).
func TestResponsesOutputGolden(t *testing.T) {
	res := &engine.ChatResult{
		Message: chat.Message{Role: "assistant", Content: "Checking.", Reasoning: "The user asks.", ToolCalls: []chat.ToolCall{
			{ID: "call_1", Type: "function", Function: chat.FunctionCall{Name: "get_weather", Arguments: json.RawMessage(`{ "city" : "Seoul" }`)}},
		}},
		FinishReason: engine.FinishToolCalls, Usage: engine.Usage{PromptTokens: 10, CachedTokens: 4, CompletionTokens: 5},
	}
	var req respRequest
	decodeJSON([]byte(`{"model":"m","input":"x","instructions":"Be brief.","max_output_tokens":64,"metadata":{"k":"v"},"tools":[{"type":"function","name":"get_weather","parameters":{"type":"object"}}]}`), &req)
	creq, _, err := respRequestToChat(req, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := respShell("resp_1", 1700000000, req, creq)
	respFinish(&r, res, respOutput(res), 1700000001)
	b, _ := json.Marshal(r)
	sv, err := oaschema.Load()
	if err != nil {
		t.Fatal(err)
	}
	if err := sv.Validate("Response", b); err != nil {
		t.Error(err)
	}
	masked := regexp.MustCompile(`"(rs|msg|fc)_[0-9a-f]{24}"`).ReplaceAll(b, []byte(`"${1}_<random>"`))
	var v any
	json.Unmarshal(masked, &v)
	convGolden(t, "responses_output", v)
	res.FinishReason, res.Message = engine.FinishLength, chat.Message{Role: "assistant", Content: "Once"}
	r = respShell("resp_2", 1700000000, req, creq)
	respFinish(&r, res, respOutput(res), 1700000001)
	if r.Status != "incomplete" || r.IncompleteDetails == nil || r.IncompleteDetails.Reason != "max_output_tokens" || r.CompletedAt != nil {
		t.Errorf("a cut answer: status %s, details %+v", r.Status, r.IncompleteDetails)
	}
}
