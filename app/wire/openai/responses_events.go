package openai

import (
	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/chat"
)

// RespEvents turns one streamed answer into the Responses API's typed events, in order:
// response.created and in_progress with the first piece, a reasoning item before the message,
// the message's text deltas, then the message closed, the tool calls and the completed (or
// incomplete) response. Send writes one event; app/api numbers and frames them as SSE.
type RespEvents struct {
	Send func(typ string, fields map[string]any) error
	// Resp is the response being built; its Output grows with the items sent.
	Resp *Response

	begun     bool
	reasoning string // thinking so far, sent as one item before the message
	msgID     string
	msgIndex  int
	text      string
}

// Event handles one engine event: it is the engine's streaming callback.
func (st *RespEvents) Event(ev engine.ChatEvent) error {
	if err := st.begin(); err != nil {
		return err
	}
	st.reasoning += ev.Reasoning
	if ev.Content == "" {
		return nil
	}
	if err := st.openMessage(); err != nil {
		return err
	}
	st.text += ev.Content
	return st.Send("response.output_text.delta", map[string]any{"item_id": st.msgID, "output_index": st.msgIndex, "content_index": 0, "delta": ev.Content, "logprobs": []any{}})
}

func (st *RespEvents) begin() error {
	if st.begun {
		return nil
	}
	st.begun = true
	if err := st.Send("response.created", map[string]any{"response": st.Resp}); err != nil {
		return err
	}
	return st.Send("response.in_progress", map[string]any{"response": st.Resp})
}

// addItem sends a whole item (added, then done) and appends it to the output.
func (st *RespEvents) addItem(item OutputItem) error {
	i := len(st.Resp.Output)
	st.Resp.Output = append(st.Resp.Output, item)
	if err := st.Send("response.output_item.added", map[string]any{"output_index": i, "item": item}); err != nil {
		return err
	}
	return st.Send("response.output_item.done", map[string]any{"output_index": i, "item": item})
}

func (st *RespEvents) flushReasoning() error {
	if st.reasoning == "" {
		return nil
	}
	text := st.reasoning
	st.reasoning = ""
	return st.addItem(RespReasoningItem(NewID("rs_"), text))
}

func (st *RespEvents) openMessage() error {
	if st.msgID != "" {
		return nil
	}
	if err := st.flushReasoning(); err != nil {
		return err
	}
	st.msgID, st.msgIndex = NewID("msg_"), len(st.Resp.Output)
	item := RespMessageItem(st.msgID, "", "in_progress")
	st.Resp.Output = append(st.Resp.Output, item)
	if err := st.Send("response.output_item.added", map[string]any{"output_index": st.msgIndex, "item": item}); err != nil {
		return err
	}
	return st.Send("response.content_part.added", map[string]any{"item_id": st.msgID, "output_index": st.msgIndex, "content_index": 0, "part": RespTextPart("")})
}

// Finish closes the message, sends the tool calls and the completed response; now is the
// completion time (Unix seconds).
func (st *RespEvents) Finish(res *engine.ChatResult, now int64) error {
	if err := st.begin(); err != nil {
		return err
	}
	if err := st.flushReasoning(); err != nil {
		return err
	}
	calls := res.Message.ToolCalls
	if st.msgID == "" && len(calls) == 0 {
		if err := st.openMessage(); err != nil {
			return err
		}
	}
	if st.msgID != "" {
		if err := st.closeMessage(RespItemStatus(res)); err != nil {
			return err
		}
	}
	RespNameCalls(calls)
	for _, c := range calls {
		if err := st.sendCall(c); err != nil {
			return err
		}
	}
	RespFinish(st.Resp, res, st.Resp.Output, now)
	event := "response.completed"
	if st.Resp.Status == "incomplete" {
		event = "response.incomplete"
	}
	return st.Send(event, map[string]any{"response": st.Resp})
}

func (st *RespEvents) closeMessage(status string) error {
	part := RespTextPart(st.text)
	ids := map[string]any{"item_id": st.msgID, "output_index": st.msgIndex, "content_index": 0}
	if err := st.Send("response.output_text.done", with(ids, "text", st.text, "logprobs", []any{})); err != nil {
		return err
	}
	if err := st.Send("response.content_part.done", with(ids, "part", part)); err != nil {
		return err
	}
	item := RespMessageItem(st.msgID, st.text, status)
	st.Resp.Output[st.msgIndex] = item
	return st.Send("response.output_item.done", map[string]any{"output_index": st.msgIndex, "item": item})
}

func (st *RespEvents) sendCall(c chat.ToolCall) error {
	id, i := NewID("fc_"), len(st.Resp.Output)
	open := RespCallItem(id, c, "in_progress")
	st.Resp.Output = append(st.Resp.Output, open)
	if err := st.Send("response.output_item.added", map[string]any{"output_index": i, "item": open}); err != nil {
		return err
	}
	args := ArgumentsString(c.Function.Arguments)
	if err := st.Send("response.function_call_arguments.delta", map[string]any{"item_id": id, "output_index": i, "delta": args}); err != nil {
		return err
	}
	if err := st.Send("response.function_call_arguments.done", map[string]any{"item_id": id, "output_index": i, "name": c.Function.Name, "arguments": args}); err != nil {
		return err
	}
	done := RespCallItem(id, c, "completed")
	st.Resp.Output[i] = done
	return st.Send("response.output_item.done", map[string]any{"output_index": i, "item": done})
}

// with copies m and adds key/value pairs.
func with(m map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(m)+len(kv)/2)
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}
