package chat

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

func nested(depth int) string {
	return strings.Repeat("[", depth) + strings.Repeat("]", depth)
}

// decodeOrdered refuses JSON nested deeper than encoding/json accepts, and accepts what it does.
func TestDecodeOrderedDepth(t *testing.T) {
	if _, err := decodeOrdered([]byte(nested(maxJSONDepth))); err != nil {
		t.Errorf("%d levels: %v", maxJSONDepth, err)
	}
	if !json.Valid([]byte(nested(maxJSONDepth))) {
		t.Errorf("encoding/json refuses %d levels; maxJSONDepth should match it", maxJSONDepth)
	}
	for _, s := range []string{nested(maxJSONDepth + 1), strings.Repeat(`{"a":`, maxJSONDepth+1) + "1" + strings.Repeat("}", maxJSONDepth+1)} {
		if _, err := decodeOrdered([]byte(s)); err == nil || !strings.Contains(err.Error(), "nested more than") {
			t.Errorf("%d bytes of nesting: error %v, want one about nesting", len(s), err)
		}
	}
}

// Tool-call arguments sent as a JSON string may hold JSON nested without limit (the request
// parser only bounds the outer document); rendering them must not overflow the stack.
func TestRenderDeeplyNestedArguments(t *testing.T) {
	args := json.RawMessage(strconv.Quote(nested(5_000_000)))
	msgs := []Message{
		{Role: "user", Content: "Hi"},
		{Role: "assistant", ToolCalls: []ToolCall{{ID: "call_1", Type: "function", Function: FunctionCall{Name: "f", Arguments: args}}}},
	}
	tmpl, err := NewTemplate("", "", "<|im_end|>")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tmpl.Render(msgs, RenderOptions{}); err != nil {
		t.Fatal(err)
	}
}
