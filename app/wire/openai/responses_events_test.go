package openai

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/chat"
)

// TestRespEvents: a streamed answer becomes the Responses API's events in the order the
// OpenAI SDKs expect, and the response's output matches what was streamed.
func TestRespEvents(t *testing.T) {
	call := chat.ToolCall{Function: chat.FunctionCall{Name: "weather", Arguments: json.RawMessage(`{"city":"Seoul"}`)}}
	for _, tt := range []struct {
		name   string
		events []engine.ChatEvent
		res    engine.ChatResult
		want   []string
		output []string // item type:status
	}{
		{"thinking then text",
			[]engine.ChatEvent{{Reasoning: "hmm"}, {Content: "Hel"}, {Content: "lo"}},
			engine.ChatResult{Message: chat.Message{Content: "Hello"}, FinishReason: engine.FinishStop},
			[]string{"response.created", "response.in_progress", "response.output_item.added", "response.output_item.done",
				"response.output_item.added", "response.content_part.added", "response.output_text.delta", "response.output_text.delta",
				"response.output_text.done", "response.content_part.done", "response.output_item.done", "response.completed"},
			[]string{"reasoning:", "message:completed"}},
		{"a tool call only",
			nil,
			engine.ChatResult{Message: chat.Message{ToolCalls: []chat.ToolCall{call}}, FinishReason: engine.FinishToolCalls},
			[]string{"response.created", "response.in_progress", "response.output_item.added", "response.function_call_arguments.delta",
				"response.function_call_arguments.done", "response.output_item.done", "response.completed"},
			[]string{"function_call:completed"}},
		{"cut by the token limit",
			[]engine.ChatEvent{{Content: "Once"}},
			engine.ChatResult{Message: chat.Message{Content: "Once"}, FinishReason: engine.FinishLength},
			[]string{"response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
				"response.output_text.delta", "response.output_text.done", "response.content_part.done", "response.output_item.done", "response.incomplete"},
			[]string{"message:incomplete"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			var last map[string]any
			st := &RespEvents{Resp: &Response{Status: "in_progress"}, Send: func(typ string, f map[string]any) error {
				got, last = append(got, typ), f
				return nil
			}}
			for _, ev := range tt.events {
				if err := st.Event(ev); err != nil {
					t.Fatal(err)
				}
			}
			if err := st.Finish(&tt.res, 1700000000); err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Errorf("events\n %v\nwant\n %v", got, tt.want)
			}
			var items []string
			for _, it := range st.Resp.Output {
				items = append(items, it.Type+":"+it.Status)
			}
			if strings.Join(items, " ") != strings.Join(tt.output, " ") {
				t.Errorf("output %v, want %v", items, tt.output)
			}
			if last["response"] != st.Resp || (st.Resp.Status == "completed") != (st.Resp.CompletedAt != nil) {
				t.Errorf("the last event does not carry the finished response: %v", last)
			}
		})
	}
}

// A failed send (the client is gone) stops the events at once.
func TestRespEventsSendFails(t *testing.T) {
	gone := errors.New("gone")
	n := 0
	st := &RespEvents{Resp: &Response{}, Send: func(string, map[string]any) error { n++; return gone }}
	if err := st.Event(engine.ChatEvent{Content: "x"}); !errors.Is(err, gone) || n != 1 {
		t.Errorf("err %v after %d sends", err, n)
	}
}
