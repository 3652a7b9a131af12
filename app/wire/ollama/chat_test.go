package ollama

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/perchapp/perch/app/wire"
)

func TestChatRequestFromOllama(t *testing.T) {
	off := false
	cr, err := ChatRequestFromOllama(ChatRequest{Model: "qwen3", Messages: []Message{{Role: "system", Content: "be brief"}, {Role: "user", Content: "hi"}},
		Options: map[string]json.RawMessage{"temperature": json.RawMessage(`0.2`), "num_predict": json.RawMessage(`9`)},
		Think:   json.RawMessage(`true`), Format: json.RawMessage(`"json"`), Logprobs: true, TopLogprobs: 3, Shift: &off})
	if err != nil {
		t.Fatal(err)
	}
	if cr.Model != "qwen3" || len(cr.Messages) != 2 || cr.ToolChoice.Mode != "auto" || cr.Sampling.Temperature != 0.2 || cr.MaxTokens != 9 ||
		cr.Think == nil || !*cr.Think || cr.Format == nil || !cr.Logprobs || cr.TopLogprobs != 3 || cr.ContextShift {
		t.Errorf("%+v", cr)
	}
	if cr, _ := ChatRequestFromOllama(ChatRequest{Model: "m"}); !cr.ContextShift {
		t.Error("context shift is off by default; Ollama shifts")
	}
	for _, tt := range []struct {
		name  string
		req   ChatRequest
		param string
	}{
		{"top_logprobs over the limit", ChatRequest{Model: "m", TopLogprobs: 21}, "top_logprobs"},
		{"negative top_logprobs", ChatRequest{Model: "m", TopLogprobs: -1}, "top_logprobs"},
		{"bad think", ChatRequest{Model: "m", Think: json.RawMessage(`"hard"`)}, "think"},
	} {
		var pe *wire.ParamError
		if _, err := ChatRequestFromOllama(tt.req); !errors.As(err, &pe) || pe.Param != tt.param {
			t.Errorf("%s: %v, want a ParamError naming %s", tt.name, err, tt.param)
		}
	}
}
