package chat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// parseToolCalls reads the tool calls in a held region of output. It returns the calls and the
// text around them that is content. No calls means the region was not a tool call; the caller
// then keeps the region as content.
func parseToolCalls(f Family, region string) ([]ToolCall, string) {
	var calls []ToolCall
	var text string
	switch f {
	case FamilyHermes:
		calls, text = parseTagged(region, "<tool_call>", "</tool_call>")
		if len(calls) == 0 {
			calls, text = parseFunctionTags(region)
		}
	case FamilyLlama3:
		calls, text = parsePythonTag(region)
	case FamilyMistral:
		calls, text = parseMistral(region)
	case FamilyDeepSeekR1:
		calls, text = parseDeepSeek(region)
	case FamilyFunctionary:
		calls, text = parseFunctionary(region)
	case FamilyFunctionaryV31:
		calls, text = parseFunctionTags(region)
		if len(calls) == 0 {
			calls, text = parsePythonTag(region)
		}
	case FamilyFireFunction:
		calls, text = parsePrefixedArray(region, "functools")
	case FamilyCommandR:
		calls, text = parseCommandRPlus(region)
	case FamilyCommandR7B:
		calls, text = parseBetween(region, "<|START_ACTION|>", "<|END_ACTION|>")
	}
	if len(calls) == 0 {
		calls, text = parseGenericJSON(region)
	}
	for i := range calls {
		if calls[i].ID == "" {
			calls[i].ID = NewCallID()
		}
		calls[i].Type = "function"
	}
	return calls, text
}

// rawCall is a tool call written as a JSON object, in any of the common spellings.
type rawCall struct {
	Name       string          `json:"name"`
	ToolName   string          `json:"tool_name"`
	Arguments  json.RawMessage `json:"arguments"`
	Parameters json.RawMessage `json:"parameters"`
	ID         string          `json:"id"`
	Function   *rawCall        `json:"function"`
}

var errNotCall = errors.New("not a tool call")

// toolCall checks and converts the call. strict (a bare JSON answer, no tag around it) also
// wants the arguments key, so an answer such as {"name": "Bob", "age": 3} stays content.
func (r rawCall) toolCall(strict bool) (ToolCall, error) {
	if r.Function != nil {
		inner := *r.Function
		if inner.ID == "" {
			inner.ID = r.ID
		}
		return inner.toolCall(strict)
	}
	if strict && len(r.Arguments) == 0 && len(r.Parameters) == 0 {
		return ToolCall{}, errNotCall
	}
	name := r.Name
	if name == "" {
		name = r.ToolName
	}
	if !isFuncName(name) {
		return ToolCall{}, errNotCall
	}
	raw := r.Arguments
	if len(raw) == 0 {
		raw = r.Parameters
	}
	args, err := normalizeArguments(raw)
	if err != nil {
		return ToolCall{}, err
	}
	return ToolCall{ID: r.ID, Type: "function", Function: FunctionCall{Name: name, Arguments: args}}, nil
}

// decodeArguments decodes tool-call arguments, which clients and models write either as JSON or
// as a JSON string holding JSON (as OpenAI sends them); empty arguments and null mean none.
// text is the JSON v was decoded from.
func decodeArguments(raw []byte) (v any, text string, err error) {
	text = strings.TrimSpace(string(raw))
	if text == "" || text == "null" {
		return newObject(), "{}", nil
	}
	if v, err = decodeOrdered([]byte(text)); err != nil {
		return nil, "", err
	}
	if s, ok := v.(string); ok {
		if s = strings.TrimSpace(s); s == "" {
			return newObject(), "{}", nil
		}
		if inner, err := decodeOrdered([]byte(s)); err == nil {
			return inner, s, nil
		}
	}
	return v, text, nil
}

// normalizeArguments returns the arguments as a compact JSON object, whether the model wrote an
// object or a string holding one.
func normalizeArguments(raw json.RawMessage) (json.RawMessage, error) {
	v, text, err := decodeArguments(raw)
	if err != nil {
		return nil, fmt.Errorf("tool-call arguments: %w", err)
	}
	if _, ok := v.(*object); !ok {
		return nil, errors.New("tool-call arguments are not a JSON object")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(text)); err != nil {
		return nil, err
	}
	return json.RawMessage(buf.Bytes()), nil
}

// jsonPrefix splits s (after leading white space) into one JSON value and the rest.
func jsonPrefix(s string) (json.RawMessage, string, bool) {
	t := strings.TrimLeft(s, " \t\r\n")
	if t == "" || (t[0] != '{' && t[0] != '[') {
		return nil, s, false
	}
	dec := json.NewDecoder(strings.NewReader(t))
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return nil, s, false
	}
	return raw, t[dec.InputOffset():], true
}

// callsFromJSON reads one call object or an array of them.
func callsFromJSON(raw json.RawMessage, strict bool) ([]ToolCall, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, false
	}
	var list []rawCall
	if raw[0] == '[' {
		if err := json.Unmarshal(raw, &list); err != nil || len(list) == 0 {
			return nil, false
		}
	} else {
		var one rawCall
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, false
		}
		list = []rawCall{one}
	}
	calls := make([]ToolCall, 0, len(list))
	for _, r := range list {
		c, err := r.toolCall(strict)
		if err != nil {
			return nil, false
		}
		calls = append(calls, c)
	}
	return calls, true
}

// parseTagged reads <open>{json}</close> blocks (Hermes). A block that does not parse stays in
// the text as written.
func parseTagged(s, open, close string) ([]ToolCall, string) {
	var calls []ToolCall
	var text strings.Builder
	for {
		i := strings.Index(s, open)
		if i < 0 {
			text.WriteString(s)
			break
		}
		text.WriteString(s[:i])
		body := s[i+len(open):]
		end := strings.Index(body, close)
		inner, after := body, ""
		if end >= 0 {
			inner, after = body[:end], body[end+len(close):]
		}
		raw, rest, ok := jsonPrefix(inner)
		var cs []ToolCall
		if ok && strings.TrimSpace(rest) == "" {
			cs, ok = callsFromJSON(raw, false)
		} else {
			ok = false
		}
		if !ok {
			if end < 0 {
				text.WriteString(s[i:])
				break
			}
			text.WriteString(s[i : i+len(open)+end+len(close)])
		} else {
			calls = append(calls, cs...)
		}
		if end < 0 {
			break
		}
		s = after
	}
	return calls, strings.TrimSpace(text.String())
}

// parseBetween reads a JSON array or object between two tags (Command R7B's action block).
func parseBetween(s, open, close string) ([]ToolCall, string) {
	i := strings.Index(s, open)
	if i < 0 {
		return nil, s
	}
	body := s[i+len(open):]
	after := ""
	if j := strings.Index(body, close); j >= 0 {
		body, after = body[:j], body[j+len(close):]
	}
	raw, rest, ok := jsonPrefix(body)
	if !ok || strings.TrimSpace(rest) != "" {
		return nil, s
	}
	calls, ok := callsFromJSON(raw, false)
	if !ok {
		return nil, s
	}
	return calls, strings.TrimSpace(s[:i] + after)
}

var funcTagRE = regexp.MustCompile(`<function=([A-Za-z0-9_.\-]+)>`)

// parseFunctionTags reads <function=name>{json}</function> (functionary v3.1, some Qwen).
func parseFunctionTags(s string) ([]ToolCall, string) {
	var calls []ToolCall
	var text strings.Builder
	for {
		loc := funcTagRE.FindStringSubmatchIndex(s)
		if loc == nil {
			text.WriteString(s)
			break
		}
		name := s[loc[2]:loc[3]]
		raw, rest, ok := jsonPrefix(s[loc[1]:])
		if !ok {
			text.WriteString(s)
			break
		}
		args, err := normalizeArguments(raw)
		if err != nil {
			text.WriteString(s)
			break
		}
		text.WriteString(s[:loc[0]])
		calls = append(calls, ToolCall{Type: "function", Function: FunctionCall{Name: name, Arguments: args}})
		rest = strings.TrimPrefix(strings.TrimLeft(rest, " \t\r\n"), "</function>")
		s = rest
	}
	return calls, strings.TrimSpace(text.String())
}

var builtinCallRE = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)\.call\((.*)\)\s*$`)

// parsePythonTag reads Llama 3.x output: {"name":..,"parameters":..} at the start (several may
// follow each other, separated by ";"), or <|python_tag|> with JSON, a built-in tool call
// name.call(k="v") or Python code.
func parsePythonTag(s string) ([]ToolCall, string) {
	const tag = "<|python_tag|>"
	i := strings.Index(s, tag)
	if i < 0 {
		return nil, s
	}
	before, body := s[:i], strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s[i+len(tag):]), "<|eom_id|>"))
	if calls, text := parseJSONSequence(body, false); len(calls) > 0 && text == "" {
		return calls, strings.TrimSpace(before)
	}
	if m := builtinCallRE.FindStringSubmatch(body); m != nil {
		if args, ok := pythonKwargs(m[2]); ok {
			return []ToolCall{{Type: "function", Function: FunctionCall{Name: m[1], Arguments: args}}}, strings.TrimSpace(before)
		}
	}
	if body == "" {
		return nil, s
	}
	code, _ := json.Marshal(map[string]string{"code": body})
	return []ToolCall{{Type: "function", Function: FunctionCall{Name: "python", Arguments: code}}}, strings.TrimSpace(before)
}

// parseJSONSequence reads call objects one after another (separated by ";" or white space).
func parseJSONSequence(s string, strict bool) ([]ToolCall, string) {
	var calls []ToolCall
	rest := s
	for {
		rest = strings.TrimLeft(rest, " \t\r\n;")
		if rest == "" {
			return calls, ""
		}
		raw, r, ok := jsonPrefix(rest)
		if !ok {
			return calls, rest
		}
		cs, ok := callsFromJSON(raw, strict)
		if !ok {
			return calls, rest
		}
		calls = append(calls, cs...)
		rest = r
	}
}

// pythonKwargs reads k="v", n=1 into a JSON object.
func pythonKwargs(s string) (json.RawMessage, bool) {
	o := newObject()
	s = strings.TrimSpace(s)
	for s != "" {
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return nil, false
		}
		key := strings.TrimSpace(s[:eq])
		if !isFuncName(key) {
			return nil, false
		}
		s = strings.TrimSpace(s[eq+1:])
		var val any
		if s != "" && (s[0] == '"' || s[0] == '\'') {
			q := s[0]
			end := 1
			for end < len(s) && s[end] != q {
				if s[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(s) {
				return nil, false
			}
			lit := s[1:end]
			if q == '"' {
				if u, err := strconv.Unquote(s[:end+1]); err == nil {
					lit = u
				}
			}
			val, s = lit, s[end+1:]
		} else {
			end := strings.IndexByte(s, ',')
			if end < 0 {
				end = len(s)
			}
			lit := strings.TrimSpace(s[:end])
			if f, err := strconv.ParseFloat(lit, 64); err == nil {
				val = json.Number(strconv.FormatFloat(f, 'g', -1, 64))
			} else {
				val = lit
			}
			s = s[end:]
		}
		o.set(key, val)
		s = strings.TrimLeft(strings.TrimSpace(s), ",")
		s = strings.TrimSpace(s)
	}
	b, err := json.Marshal(orderedJSON{o})
	if err != nil {
		return nil, false
	}
	return b, true
}

// orderedJSON marshals an ordered object with its keys in order.
type orderedJSON struct{ o *object }

func (oj orderedJSON) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, k := range oj.o.keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		buf.Write(kb)
		buf.WriteByte(':')
		v := oj.o.vals[k]
		if inner, ok := v.(*object); ok {
			v = orderedJSON{inner}
		}
		vb, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		buf.Write(vb)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// parseMistral reads [TOOL_CALLS][{...}, ...] and the newer [TOOL_CALLS]name[ARGS]{...}
// (optionally name[CALL_ID]id[ARGS]{...}), repeated.
func parseMistral(s string) ([]ToolCall, string) {
	const tag = "[TOOL_CALLS]"
	i := strings.Index(s, tag)
	if i < 0 {
		return nil, s
	}
	before := s[:i]
	var calls []ToolCall
	rest := s[i+len(tag):]
	for {
		rest = strings.TrimLeft(rest, " \t\r\n")
		rest = strings.TrimPrefix(rest, tag)
		rest = strings.TrimLeft(rest, " \t\r\n")
		if rest == "" {
			break
		}
		if rest[0] == '[' || rest[0] == '{' {
			raw, r, ok := jsonPrefix(rest)
			if !ok {
				return nil, s
			}
			cs, ok := callsFromJSON(raw, false)
			if !ok {
				return nil, s
			}
			calls, rest = append(calls, cs...), r
			continue
		}
		a := strings.Index(rest, "[ARGS]")
		if a <= 0 {
			break
		}
		name, id := rest[:a], ""
		if n, cid, ok := strings.Cut(name, "[CALL_ID]"); ok {
			name, id = n, cid
		}
		name = strings.TrimSpace(name)
		if !isFuncName(name) {
			return nil, s
		}
		raw, r, ok := jsonPrefix(rest[a+len("[ARGS]"):])
		if !ok {
			return nil, s
		}
		args, err := normalizeArguments(raw)
		if err != nil {
			return nil, s
		}
		calls = append(calls, ToolCall{ID: strings.TrimSpace(id), Type: "function", Function: FunctionCall{Name: name, Arguments: args}})
		rest = r
	}
	if len(calls) == 0 {
		return nil, s
	}
	return calls, strings.TrimSpace(before + rest)
}

// parseDeepSeek reads DeepSeek's call blocks:
// <｜tool▁call▁begin｜>function<｜tool▁sep｜>name\n```json\n{...}\n```<｜tool▁call▁end｜>, or the
// later name<｜tool▁sep｜>{...}, inside <｜tool▁calls▁begin｜>…<｜tool▁calls▁end｜>.
func parseDeepSeek(s string) ([]ToolCall, string) {
	start := strings.Index(s, dsCallBegin)
	if start < 0 {
		return nil, s
	}
	before := s[:start]
	if j := strings.Index(s, dsCallsBegin); j >= 0 && j < start {
		before = s[:j]
	}
	var calls []ToolCall
	rest := s[start:]
	for {
		rest = strings.TrimLeft(rest, " \t\r\n")
		if !strings.HasPrefix(rest, dsCallBegin) {
			break
		}
		body := rest[len(dsCallBegin):]
		end := strings.Index(body, dsCallEnd)
		after := ""
		if end >= 0 {
			body, after = body[:end], body[end+len(dsCallEnd):]
		}
		head, tail, ok := strings.Cut(body, dsSep)
		if !ok {
			return nil, s
		}
		name := strings.TrimSpace(head)
		argText := tail
		if nl := strings.IndexByte(tail, '\n'); nl >= 0 && (name == "function" || name == "") {
			name, argText = strings.TrimSpace(tail[:nl]), tail[nl+1:]
		} else if name == "function" {
			return nil, s
		}
		argText = strings.TrimSpace(argText)
		argText = strings.TrimPrefix(argText, "```json")
		argText = strings.TrimPrefix(argText, "```")
		argText = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(argText), "```"))
		args, err := normalizeArguments(json.RawMessage(argText))
		if err != nil || !isFuncName(name) {
			return nil, s
		}
		calls = append(calls, ToolCall{Type: "function", Function: FunctionCall{Name: name, Arguments: args}})
		if end < 0 {
			rest = ""
			break
		}
		rest = after
	}
	rest = strings.TrimLeft(rest, " \t\r\n")
	rest = strings.TrimPrefix(rest, dsCallsEnd)
	rest = strings.TrimPrefix(strings.TrimSpace(rest), dsEndOfSent)
	return calls, strings.TrimSpace(before + rest)
}

// parseFunctionary reads functionary v3.2: segments ">>>recipient\ncontent", the first one
// without ">>>" (the prompt wrote it). The recipient "all" is text for the user.
func parseFunctionary(s string) ([]ToolCall, string) {
	var calls []ToolCall
	var text strings.Builder
	for _, seg := range strings.Split(s, ">>>") {
		if strings.TrimSpace(seg) == "" {
			continue
		}
		name, body, ok := strings.Cut(seg, "\n")
		name = strings.TrimSpace(name)
		if !ok || !isFuncName(name) {
			text.WriteString(seg)
			continue
		}
		if name == "all" {
			text.WriteString(body)
			continue
		}
		body = strings.TrimSpace(body)
		if name == "python" && !strings.HasPrefix(body, "{") {
			code, _ := json.Marshal(map[string]string{"code": body})
			calls = append(calls, ToolCall{Type: "function", Function: FunctionCall{Name: name, Arguments: code}})
			continue
		}
		args, err := normalizeArguments(json.RawMessage(body))
		if err != nil {
			return nil, s
		}
		calls = append(calls, ToolCall{Type: "function", Function: FunctionCall{Name: name, Arguments: args}})
	}
	return calls, strings.TrimSpace(text.String())
}

// parsePrefixedArray reads prefix[{...}, ...] (firefunction's functools[...]).
func parsePrefixedArray(s, prefix string) ([]ToolCall, string) {
	i := strings.Index(s, prefix+"[")
	if i < 0 {
		return nil, s
	}
	raw, rest, ok := jsonPrefix(s[i+len(prefix):])
	if !ok {
		return nil, s
	}
	calls, ok := callsFromJSON(raw, false)
	if !ok {
		return nil, s
	}
	return calls, strings.TrimSpace(s[:i] + rest)
}

// parseCommandRPlus reads Action: ```json [{"tool_name": ..., "parameters": ...}] ```.
func parseCommandRPlus(s string) ([]ToolCall, string) {
	i := strings.Index(s, "Action:")
	if i < 0 {
		return nil, s
	}
	body := strings.TrimSpace(s[i+len("Action:"):])
	body = strings.TrimPrefix(body, "```json")
	raw, rest, ok := jsonPrefix(body)
	if !ok {
		return nil, s
	}
	calls, ok := callsFromJSON(raw, false)
	if !ok {
		return nil, s
	}
	rest = strings.TrimPrefix(strings.TrimSpace(rest), "```")
	return calls, strings.TrimSpace(s[:i] + rest)
}

// parseGenericJSON reads an answer that is a JSON object (or ```json block) holding
// {"tool_calls": [...]}, {"tool_call": {...}}, a call object or an array of calls.
func parseGenericJSON(s string) ([]ToolCall, string) {
	body := strings.TrimSpace(s)
	fenced := strings.HasPrefix(body, "```json")
	if fenced {
		body = strings.TrimSpace(strings.TrimPrefix(body, "```json"))
	}
	raw, rest, ok := jsonPrefix(body)
	if !ok {
		return nil, s
	}
	rest = strings.TrimSpace(rest)
	if fenced {
		rest = strings.TrimSpace(strings.TrimPrefix(rest, "```"))
	}
	var wrapper struct {
		ToolCalls json.RawMessage `json:"tool_calls"`
		ToolCall  json.RawMessage `json:"tool_call"`
		Content   *string         `json:"content"`
	}
	if raw[0] == '{' && json.Unmarshal(raw, &wrapper) == nil && (wrapper.ToolCalls != nil || wrapper.ToolCall != nil) {
		inner := wrapper.ToolCalls
		if inner == nil {
			inner = wrapper.ToolCall
		}
		calls, ok := callsFromJSON(inner, false)
		if !ok {
			return nil, s
		}
		text := rest
		if wrapper.Content != nil {
			text = strings.TrimSpace(*wrapper.Content + "\n" + rest)
		}
		return calls, text
	}
	if calls, text := parseJSONSequence(body, true); len(calls) > 0 {
		if fenced {
			text = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(text), "```"))
		}
		return calls, text
	}
	return nil, s
}
