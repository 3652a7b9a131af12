package chat

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ardanlabs/jinja"
)

// ChatML is the template used when a model ships none: ChatML turns, with tools, tool calls and
// tool results in the Hermes layout (<tools>, <tool_call>, <tool_response>) that ChatML models
// tuned for tools know.
const ChatML = `{%- if tools %}
{{- '<|im_start|>system\n' }}
{%- if messages and messages[0].role == 'system' %}{{ messages[0].content + '\n\n' }}{% endif %}
{{- '# Tools\n\nYou can call these functions (signatures inside <tools></tools>):\n<tools>' }}
{%- for tool in tools %}{{ '\n' }}{{ tool | tojson }}{% endfor %}
{{- '\n</tools>\n\nTo call a function, answer with one JSON object per call inside <tool_call></tool_call> tags:\n<tool_call>\n{"name": <function-name>, "arguments": <args-json-object>}\n</tool_call><|im_end|>\n' }}
{%- elif messages and messages[0].role == 'system' %}
{{- '<|im_start|>system\n' + messages[0].content + '<|im_end|>\n' }}
{%- endif %}
{%- for message in messages %}
{%- if message.role == 'system' and loop.first %}
{%- elif message.role == 'assistant' and message.tool_calls %}
{{- '<|im_start|>assistant' }}
{%- if message.content %}{{ '\n' + message.content }}{% endif %}
{%- for tc in message.tool_calls %}
{{- '\n<tool_call>\n{"name": "' + tc.function.name + '", "arguments": ' }}{{ tc.function.arguments | tojson }}{{ '}\n</tool_call>' }}
{%- endfor %}
{{- '<|im_end|>\n' }}
{%- elif message.role == 'tool' %}
{%- if loop.first or messages[loop.index0 - 1].role != 'tool' %}{{ '<|im_start|>user' }}{% endif %}
{{- '\n<tool_response>\n' + message.content + '\n</tool_response>' }}
{%- if loop.last or messages[loop.index0 + 1].role != 'tool' %}{{ '<|im_end|>\n' }}{% endif %}
{%- else %}
{{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>\n' }}
{%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}`

// RenderOptions are the variables a chat template sees besides the messages.
type RenderOptions struct {
	// Tools offered to the model; nil renders "tools" as none.
	Tools []Tool
	// AddGenerationPrompt ends the prompt with the assistant's header.
	AddGenerationPrompt bool
	// EnableThinking switches a reasoning model's thinking on or off; nil leaves the variable
	// undefined (the template's default).
	EnableThinking *bool
	// Now is the time strftime_now reports; zero means the clock.
	Now time.Time
	// Extra are further template variables (custom_tools, builtin_tools, documents, ...).
	// They cannot replace messages, tools or the tokens.
	Extra map[string]any
}

// Capabilities are what a template renders by itself, found by rendering probe conversations
// when it is compiled. What it lacks is filled in by Render (system prompt merged into the first
// user turn, tools described in a system message, tool calls and results written as JSON).
type Capabilities struct {
	SystemRole    bool `json:"system_role"`
	Tools         bool `json:"tools"`
	ToolCalls     bool `json:"tool_calls"`
	ToolResponses bool `json:"tool_responses"`
	// StringArguments: the template prints tool-call arguments as they are, so it needs them
	// as JSON text rather than a mapping.
	StringArguments bool `json:"string_arguments"`
}

// Template is a compiled chat template. It is safe for concurrent use.
type Template struct {
	src       string
	bos, eos  string
	tmpl      *jinja.Template
	family    Family
	reasoning bool
	caps      Capabilities
}

// ErrTemplate marks errors raised by the template itself (raise_exception).
var ErrTemplate = errors.New("chat template refused the conversation")

// NewTemplate compiles a Jinja chat template (src "" means ChatML). bos and eos are the model's
// BOS and EOS token texts, given to the template as bos_token and eos_token.
func NewTemplate(src, bos, eos string) (t *Template, err error) {
	defer func() {
		if r := recover(); r != nil {
			t, err = nil, fmt.Errorf("compile chat template: the template engine failed: %v", r)
		}
	}()
	body := src
	if strings.TrimSpace(body) == "" {
		body = ChatML
	}
	compiled, err := jinja.Compile(rewriteFilters(body))
	if err != nil {
		return nil, fmt.Errorf("compile chat template: %w (the model's tokenizer.chat_template is not valid Jinja; pass a template override)", err)
	}
	t = &Template{src: src, bos: bos, eos: eos, tmpl: compiled, family: DetectFamily(src), reasoning: detectReasoning(src)}
	t.caps = t.probe()
	return t, nil
}

// Family is the tool-call family detected from the template source.
func (t *Template) Family() Family { return t.family }

// Reasoning reports whether the template knows a thinking block (<think> and the like).
func (t *Template) Reasoning() bool { return t.reasoning }

// Capabilities reports what the template renders natively.
func (t *Template) Capabilities() Capabilities { return t.caps }

// Render turns the conversation into the prompt text.
func (t *Template) Render(msgs []Message, opts RenderOptions) (out string, err error) {
	if len(msgs) == 0 && !opts.AddGenerationPrompt {
		return "", errors.New("render chat template: no messages")
	}
	for i, m := range msgs {
		switch m.Role {
		case "system", "user", "assistant", "tool", "developer":
		case "":
			return "", fmt.Errorf("render chat template: message %d has no role (use system, user, assistant or tool)", i)
		default:
			return "", fmt.Errorf("render chat template: message %d has role %q (use system, user, assistant or tool)", i, m.Role)
		}
		for j, tc := range m.ToolCalls {
			if tc.Function.Name == "" {
				return "", fmt.Errorf("render chat template: message %d, tool call %d has no function name", i, j)
			}
		}
	}
	tools, err := toolsValue(opts.Tools)
	if err != nil {
		return "", fmt.Errorf("render chat template: %w", err)
	}
	msgs = t.polyfill(msgs, opts.Tools)
	return t.render(t.messagesValue(msgs), tools, opts)
}

func (t *Template) render(messages, tools jinja.Value, opts RenderOptions) (out string, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = "", fmt.Errorf("render chat template: the template engine failed: %v", r)
		}
	}()
	data := make(map[string]jinja.Value, 12+len(opts.Extra))
	for k, v := range opts.Extra {
		ov, err := toOrdered(v)
		if err != nil {
			return "", fmt.Errorf("render chat template: variable %q: %w", k, err)
		}
		data[k] = jinjaValue(ov)
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	data["messages"] = messages
	data["tools"] = tools
	data["bos_token"] = jinja.NewString(t.bos)
	data["eos_token"] = jinja.NewString(t.eos)
	data["add_generation_prompt"] = jinja.NewBool(opts.AddGenerationPrompt)
	if opts.EnableThinking != nil {
		data["enable_thinking"] = jinja.NewBool(*opts.EnableThinking)
	}
	data["raise_exception"] = jinja.NewCallable("raise_exception", raiseException)
	data["strftime_now"] = jinja.NewCallable("strftime_now", func(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
		format := "%Y-%m-%d"
		if len(args) > 0 && args[0].IsString() {
			format = args[0].AsString()
		}
		return jinja.NewString(strftime(now, format)), nil
	})
	data[perchToJSON] = jinja.NewCallable("tojson", filterToJSON)
	data["range"] = jinja.NewCallable("range", boundedRange)
	s, err := t.tmpl.RenderValues(data)
	if err != nil {
		if errors.Is(err, ErrTemplate) {
			return "", err
		}
		return "", fmt.Errorf("render chat template: %w", err)
	}
	return s, nil
}

func raiseException(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
	msg := "raise_exception called"
	if len(args) > 0 && args[0].IsString() {
		msg = args[0].AsString()
	}
	return jinja.Undefined(), fmt.Errorf("%w: %s", ErrTemplate, msg)
}

// maxRange bounds range(): a template from a downloaded model must not make a list that
// exhausts memory.
const maxRange = 1 << 16

func boundedRange(args []jinja.Value, _ map[string]jinja.Value) (jinja.Value, error) {
	var start, stop, step int64 = 0, 0, 1
	ints := make([]int64, len(args))
	for i, a := range args {
		if !a.IsInt() {
			return jinja.Undefined(), fmt.Errorf("%w: range() takes whole numbers, got %s", ErrTemplate, a.String())
		}
		ints[i] = a.AsInt()
	}
	switch len(ints) {
	case 1:
		stop = ints[0]
	case 2:
		start, stop = ints[0], ints[1]
	case 3:
		start, stop, step = ints[0], ints[1], ints[2]
	default:
		return jinja.Undefined(), fmt.Errorf("%w: range() takes 1 to 3 arguments", ErrTemplate)
	}
	if step == 0 {
		return jinja.Undefined(), fmt.Errorf("%w: range() step must not be zero", ErrTemplate)
	}
	var items []jinja.Value
	for i := start; (step > 0 && i < stop) || (step < 0 && i > stop); i += step {
		if len(items) == maxRange {
			return jinja.Undefined(), fmt.Errorf("%w: range() of more than %d numbers", ErrTemplate, maxRange)
		}
		items = append(items, jinja.NewInt(i))
	}
	return jinja.NewList(items), nil
}

// StripBOS removes one leading BOS text from a rendered prompt. Templates write bos_token
// themselves, and a tokenizer that also adds BOS would then start the prompt with two; llama.cpp
// strips it the same way.
func StripBOS(rendered, bos string) string {
	if bos == "" {
		return rendered
	}
	return strings.TrimPrefix(rendered, bos)
}

// StripEOS removes one trailing EOS text, for vocabularies that append EOS themselves.
func StripEOS(rendered, eos string) string {
	if eos == "" {
		return rendered
	}
	return strings.TrimSuffix(rendered, eos)
}

// PromptOpensThinking reports whether a rendered prompt ends inside an open <think> block, so
// the model's output starts with reasoning (DeepSeek-R1 and Qwen3 templates do this).
func PromptOpensThinking(prompt string) bool {
	p := strings.TrimRight(prompt, " \t\r\n")
	return strings.HasSuffix(p, "<think>")
}

// ParserOptions returns the options to parse the output of a prompt rendered with this
// template.
func (t *Template) ParserOptions(prompt string, toolsOffered bool) ParserOptions {
	return ParserOptions{
		Family:          t.family,
		Tools:           toolsOffered,
		Reasoning:       t.reasoning || PromptOpensThinking(prompt),
		ThinkingStarted: PromptOpensThinking(prompt),
	}
}

// ---- conversion of messages and tools into template values

func toolsValue(tools []Tool) (jinja.Value, error) {
	if len(tools) == 0 {
		return jinja.None(), nil
	}
	items := make([]jinja.Value, 0, len(tools))
	for i, tl := range tools {
		if tl.Function.Name == "" {
			return jinja.Undefined(), fmt.Errorf("tool %d has no function name", i)
		}
		typ := tl.Type
		if typ == "" {
			typ = "function"
		}
		fn := newObject()
		fn.set("name", tl.Function.Name)
		if tl.Function.Description != "" {
			fn.set("description", tl.Function.Description)
		}
		params := any(objectOf("type", "object", "properties", newObject()))
		if len(tl.Function.Parameters) > 0 && string(tl.Function.Parameters) != "null" {
			p, err := decodeOrdered(tl.Function.Parameters)
			if err != nil {
				return jinja.Undefined(), fmt.Errorf("tool %q: parameters are not valid JSON: %w", tl.Function.Name, err)
			}
			params = p
		}
		fn.set("parameters", params)
		items = append(items, jinjaValue(objectOf("type", typ, "function", fn)))
	}
	return jinja.NewList(items), nil
}

func objectOf(kv ...any) *object {
	o := newObject()
	for i := 0; i+1 < len(kv); i += 2 {
		o.set(kv[i].(string), kv[i+1])
	}
	return o
}

// jinjaValue converts an ordered JSON value into a template value.
func jinjaValue(v any) jinja.Value {
	switch x := v.(type) {
	case nil:
		return jinja.None()
	case bool:
		return jinja.NewBool(x)
	case string:
		return jinja.NewString(x)
	case json.Number:
		s := string(x)
		if !strings.ContainsAny(s, ".eE") {
			if i, err := x.Int64(); err == nil {
				return jinja.NewInt(i)
			}
		}
		f, _ := x.Float64()
		return jinja.NewFloat(f)
	case int:
		return jinja.NewInt(int64(x))
	case float64:
		return jinja.NewFloat(x)
	case []any:
		items := make([]jinja.Value, len(x))
		for i, it := range x {
			items[i] = jinjaValue(it)
		}
		return jinja.NewList(items)
	case *object:
		d := jinja.NewDict()
		dd := d.AsDict()
		for _, k := range x.keys {
			dd.Set(k, jinjaValue(x.vals[k]))
		}
		return d
	case jinja.Value:
		return x
	}
	return jinja.Undefined()
}

func (t *Template) messagesValue(msgs []Message) jinja.Value {
	ids := t.idMap(msgs)
	items := make([]jinja.Value, 0, len(msgs))
	for _, m := range msgs {
		o := newObject()
		o.set("role", m.Role)
		if m.Content == "" && len(m.ToolCalls) > 0 {
			o.set("content", nil) // as OpenAI clients send it; templates test "content is none"
		} else {
			o.set("content", m.Content)
		}
		if m.Name != "" {
			o.set("name", m.Name)
		}
		if len(m.ToolCalls) > 0 {
			calls := make([]any, 0, len(m.ToolCalls))
			for _, tc := range m.ToolCalls {
				fn := objectOf("name", tc.Function.Name, "arguments", t.argumentsValue(tc.Function.Arguments))
				c := newObject()
				if tc.ID != "" {
					c.set("id", ids(tc.ID))
				}
				c.set("type", "function")
				c.set("function", fn)
				calls = append(calls, c)
			}
			o.set("tool_calls", calls)
		}
		if m.ToolCallID != "" {
			o.set("tool_call_id", ids(m.ToolCallID))
		}
		if m.Reasoning != "" {
			o.set("reasoning_content", m.Reasoning)
		}
		items = append(items, jinjaValue(o))
	}
	return jinja.NewList(items)
}

// argumentsValue gives a template the arguments the way it prints them: a mapping for templates
// that apply tojson, the JSON text for templates that concatenate it.
func (t *Template) argumentsValue(raw json.RawMessage) any {
	v, text, err := decodeArguments(raw)
	if err != nil {
		return strings.TrimSpace(string(raw)) // not JSON: only text makes sense
	}
	if t.caps.StringArguments {
		if s, err := compactValue(v); err == nil {
			return s
		}
		return text
	}
	return v
}

// idMap returns how tool-call ids are shown to the template. Mistral's templates refuse any id
// that is not 9 alphanumerics, so for them each id is mapped to a stable 9-character one.
func (t *Template) idMap(msgs []Message) func(string) string {
	if t.family != FamilyMistral {
		return func(s string) string { return s }
	}
	return func(s string) string {
		if len(s) == 9 && isAlnum(s) {
			return s
		}
		sum := sha256.Sum256([]byte(s))
		const alpha = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
		b := make([]byte, 9)
		for i := range b {
			b[i] = alpha[int(sum[i])%len(alpha)]
		}
		return string(b)
	}
}

func isAlnum(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
