package api

import (
	"encoding/json"
	"regexp"
	"testing"

	"github.com/perchapp/perch/app/api/internal/oaschema"
	openaiwire "github.com/perchapp/perch/app/wire/openai"
	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/chat"
)

// The request conversions are tested in app/wire/openai; the output is checked here against
// OpenAI's schema, which lives under app/api/internal.

// TestResponsesOutputGolden: a finished answer as Response output (ids masked).
func TestResponsesOutputGolden(t *testing.T) {
	res := &engine.ChatResult{
		Message: chat.Message{Role: "assistant", Content: "Checking.", Reasoning: "The user asks.", ToolCalls: []chat.ToolCall{
			{ID: "call_1", Type: "function", Function: chat.FunctionCall{Name: "get_weather", Arguments: json.RawMessage(`{ "city" : "Seoul" }`)}},
		}},
		FinishReason: engine.FinishToolCalls, Usage: engine.Usage{PromptTokens: 10, CachedTokens: 4, CompletionTokens: 5},
	}
	var req openaiwire.RespRequest
	decodeJSON([]byte(`{"model":"m","input":"x","instructions":"Be brief.","max_output_tokens":64,"metadata":{"k":"v"},"tools":[{"type":"function","name":"get_weather","parameters":{"type":"object"}}]}`), &req)
	creq, _, err := openaiwire.RespRequestToChat(req, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := openaiwire.RespShell("resp_1", 1700000000, req, creq)
	openaiwire.RespFinish(&r, res, openaiwire.RespOutput(res), 1700000001)
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
	r = openaiwire.RespShell("resp_2", 1700000000, req, creq)
	openaiwire.RespFinish(&r, res, openaiwire.RespOutput(res), 1700000001)
	if r.Status != "incomplete" || r.IncompleteDetails == nil || r.IncompleteDetails.Reason != "max_output_tokens" || r.CompletedAt != nil {
		t.Errorf("a cut answer: status %s, details %+v", r.Status, r.IncompleteDetails)
	}
}
