package chat

import (
	"encoding/json"
	"strings"
)

// Probe values: unlikely strings whose presence in a probe rendering shows that the template
// printed that part of the conversation.
const (
	probeSystem = "perch-probe-system-text"
	probeUser   = "perch-probe-user-text"
	probeTool   = "perch_probe_tool"
	probeValue  = "perch-probe-value"
	probeResult = "perch-probe-result-text"
	probeID     = "a1b2c3d4e"
)

// probe renders small conversations to learn what the template supports natively.
func (t *Template) probe() Capabilities {
	var c Capabilities
	try := func(msgs []Message, tools []Tool, stringArgs bool) string {
		saved := t.caps
		t.caps = Capabilities{StringArguments: stringArgs}
		defer func() { t.caps = saved }()
		tv, err := toolsValue(tools)
		if err != nil {
			return ""
		}
		out, err := t.render(t.messagesValue(msgs), tv, RenderOptions{})
		if err != nil {
			return ""
		}
		return out
	}
	user := Message{Role: "user", Content: probeUser}
	c.SystemRole = strings.Contains(try([]Message{{Role: "system", Content: probeSystem}, user}, nil, false), probeSystem)

	tools := []Tool{{Type: "function", Function: Function{Name: probeTool, Description: "probe",
		Parameters: json.RawMessage(`{"type":"object","properties":{"arg":{"type":"string"}},"required":["arg"]}`)}}}
	c.Tools = strings.Contains(try([]Message{user}, tools, false), probeTool)

	args := json.RawMessage(`{"arg": "` + probeValue + `"}`)
	call := Message{Role: "assistant", ToolCalls: []ToolCall{{ID: probeID, Type: "function",
		Function: FunctionCall{Name: probeTool, Arguments: args}}}}
	result := Message{Role: "tool", Name: probeTool, ToolCallID: probeID, Content: probeResult}
	after := Message{Role: "user", Content: probeUser}
	asJSON := func(out string) bool {
		return strings.Contains(out, `"arg": "`+probeValue+`"`) || strings.Contains(out, `"arg":"`+probeValue+`"`)
	}
	for _, conv := range [][]Message{{user, call}, {user, call, result}, {user, call, result, after}} {
		objOut := try(conv, tools, false)
		strOut := try(conv, tools, true)
		switch {
		case strings.Contains(objOut, probeTool) && asJSON(objOut):
			c.ToolCalls = true
		case strings.Contains(strOut, probeTool) && asJSON(strOut):
			c.ToolCalls, c.StringArguments = true, true
		case strings.Contains(objOut, probeTool):
			c.ToolCalls = true
		}
		if c.ToolCalls {
			break
		}
	}
	for _, conv := range [][]Message{{user, call, result}, {user, call, result, after}} {
		if strings.Contains(try(conv, tools, c.StringArguments), probeResult) {
			c.ToolResponses = true
			break
		}
	}
	return c
}

// ToolFamily is the family whose syntax tool calls take with this template: Family(), or
// Generic when the template cannot show tools and Render describes them in a system message
// with the generic JSON format.
func (t *Template) ToolFamily() Family {
	if !t.caps.Tools {
		return FamilyGeneric
	}
	return t.family
}

// polyfill rewrites the conversation into what the template can render: it is the same
// conversation, told in the template's own terms.
func (t *Template) polyfill(msgs []Message, tools []Tool) []Message {
	c := t.caps
	needs := (!c.SystemRole && hasRole(msgs, "system")) || (len(tools) > 0 && !c.Tools)
	for _, m := range msgs {
		needs = needs || (len(m.ToolCalls) > 0 && !c.ToolCalls) || (m.Role == "tool" && !c.ToolResponses)
	}
	if !needs {
		return msgs
	}
	out := make([]Message, 0, len(msgs)+1)
	if len(tools) > 0 && !c.Tools {
		// Into the system message the user gave, if any: some templates keep only one.
		if len(msgs) > 0 && msgs[0].Role == "system" {
			sys := msgs[0]
			sys.Content = strings.TrimRight(sys.Content, "\n") + "\n\n" + genericToolPrompt(tools)
			out = append(out, sys)
			msgs = msgs[1:]
		} else {
			out = append(out, Message{Role: "system", Content: genericToolPrompt(tools)})
		}
	}
	names := map[string]string{}
	for _, m := range msgs {
		for _, tc := range m.ToolCalls {
			names[tc.ID] = tc.Function.Name
		}
		switch {
		case len(m.ToolCalls) > 0 && !c.ToolCalls:
			calls := make([]any, 0, len(m.ToolCalls))
			for _, tc := range m.ToolCalls {
				var args any = string(tc.Function.Arguments)
				if v, _, err := decodeArguments(tc.Function.Arguments); err == nil {
					args = v
				}
				o := objectOf("name", tc.Function.Name, "arguments", args)
				if tc.ID != "" {
					o.set("id", tc.ID)
				}
				calls = append(calls, o)
			}
			body := objectOf("tool_calls", calls)
			if m.Content != "" {
				body.set("content", m.Content)
			}
			text, _ := compactValue(body) // fails only past 200 levels, which no template prints
			out = append(out, Message{Role: "assistant", Content: text, Reasoning: m.Reasoning})
		case m.Role == "tool" && !c.ToolResponses:
			name := m.Name
			if name == "" {
				name = names[m.ToolCallID]
			}
			resp := newObject()
			if name != "" {
				resp.set("tool", name)
			}
			if m.ToolCallID != "" {
				resp.set("tool_call_id", m.ToolCallID)
			}
			var content any = m.Content
			if v, err := decodeOrdered([]byte(m.Content)); err == nil {
				if _, isObj := v.(*object); isObj {
					content = v
				}
			}
			resp.set("content", content)
			text, _ := compactValue(objectOf("tool_response", resp))
			// Several results in a row become one user turn, so templates that insist on
			// alternating roles still render.
			if n := len(out); n > 0 && out[n-1].Role == "user" && strings.HasPrefix(out[n-1].Content, `{"tool_response"`) {
				out[n-1].Content += "\n" + text
				continue
			}
			out = append(out, Message{Role: "user", Content: text})
		default:
			out = append(out, m)
		}
	}
	if !c.SystemRole {
		out = mergeSystem(out)
	}
	return out
}

// mergeSystem folds system messages into the user turn that follows them, one per line (as
// llama.cpp does, so prompts match its tests).
func mergeSystem(msgs []Message) []Message {
	out := make([]Message, 0, len(msgs))
	var pending []string
	for _, m := range msgs {
		if m.Role == "system" {
			pending = append(pending, m.Content)
			continue
		}
		if len(pending) > 0 && m.Role == "user" {
			m.Content = strings.Join(append(pending, m.Content), "\n")
			pending = nil
		}
		out = append(out, m)
	}
	if len(pending) > 0 {
		out = append(out, Message{Role: "user", Content: strings.Join(pending, "\n\n")})
	}
	return out
}

func hasRole(msgs []Message, role string) bool {
	for _, m := range msgs {
		if m.Role == role {
			return true
		}
	}
	return false
}

// genericToolPrompt describes tools to a model whose template has no place for them, asking for
// the JSON answer the generic parser reads.
func genericToolPrompt(tools []Tool) string {
	list := make([]any, 0, len(tools))
	for _, tl := range tools {
		fn := objectOf("name", tl.Function.Name)
		if tl.Function.Description != "" {
			fn.set("description", tl.Function.Description)
		}
		if v, err := decodeOrdered(tl.Function.Parameters); err == nil {
			fn.set("parameters", v)
		}
		list = append(list, fn)
	}
	p := &pyJSON{indent: "  ", indented: true, itemSep: ",", keySep: ": "}
	_ = p.value(jinjaValue(list), 0)
	return "You can call these tools:\n" + p.sb.String() +
		"\n\nTo call tools, answer with only this JSON object and nothing else:\n" +
		`{"tool_calls": [{"name": "<tool name>", "arguments": {<arguments>}}]}` +
		"\nOtherwise answer normally."
}

// compactValue writes v on one line as Python's json.dumps does by default; it fails only on
// values nested too deep to write.
func compactValue(v any) (string, error) {
	p := &pyJSON{itemSep: ", ", keySep: ": "}
	if err := p.value(jinjaValue(v), 0); err != nil {
		return "", err
	}
	return p.sb.String(), nil
}

// perchToJSON is the name the tojson filter is renamed to in template sources: the engine's own
// tojson cannot be replaced, and Hugging Face's (indent, ensure_ascii, key order kept) is needed
// for byte-exact prompts.
const perchToJSON = "perch_tojson"

// rewriteFilters renames "| tojson" inside Jinja tags (not in text, comments or string literals)
// to the filter Perch supplies.
func rewriteFilters(src string) string {
	var sb strings.Builder
	sb.Grow(len(src) + 64)
	i := 0
	for i < len(src) {
		j := strings.IndexByte(src[i:], '{')
		if j < 0 || i+j+1 >= len(src) {
			sb.WriteString(src[i:])
			break
		}
		j += i
		next := src[j+1]
		if next == '#' {
			end := strings.Index(src[j+2:], "#}")
			if end < 0 {
				sb.WriteString(src[i:])
				break
			}
			end += j + 4
			sb.WriteString(src[i:end])
			i = end
			continue
		}
		if next != '{' && next != '%' {
			sb.WriteString(src[i : j+1])
			i = j + 1
			continue
		}
		closer := "}}"
		if next == '%' {
			closer = "%}"
		}
		sb.WriteString(src[i : j+2])
		k := j + 2
		var quote byte
		lastNonSpace := byte(0)
		for k < len(src) {
			c := src[k]
			if quote != 0 {
				sb.WriteByte(c)
				if c == '\\' && k+1 < len(src) {
					sb.WriteByte(src[k+1])
					k += 2
					continue
				}
				if c == quote {
					quote = 0
					lastNonSpace = c
				}
				k++
				continue
			}
			if strings.HasPrefix(src[k:], closer) {
				break
			}
			switch {
			case c == '\'' || c == '"':
				quote = c
				sb.WriteByte(c)
				k++
			case isIdentStart(c):
				e := k
				for e < len(src) && isIdentChar(src[e]) {
					e++
				}
				word := src[k:e]
				if word == "tojson" && lastNonSpace == '|' {
					word = perchToJSON
				}
				sb.WriteString(word)
				lastNonSpace = 'a'
				k = e
			default:
				sb.WriteByte(c)
				if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
					lastNonSpace = c
				}
				k++
			}
		}
		i = k
	}
	return sb.String()
}

func isIdentStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isIdentChar(c byte) bool  { return isIdentStart(c) || c >= '0' && c <= '9' }
