package chat

import (
	"crypto/rand"
	"strings"
)

// ParserOptions say how to read a model's output.
type ParserOptions struct {
	// Family is the tool-call syntax to look for.
	Family Family
	// Tools: tools were offered, so tool calls are parsed out of the text. Without tools the
	// whole answer is content.
	Tools bool
	// Reasoning splits a thinking block (<think>…</think>, or the family's own tags) into
	// Reasoning.
	Reasoning bool
	// ThinkingStarted: the prompt already opened the thinking block, so the output starts
	// inside it. Implies Reasoning.
	ThinkingStarted bool
	// ToolForced: a grammar forced a tool call, so the output is one even where it is cut
	// short and does not parse.
	ToolForced bool
}

// Result is a parsed answer.
type Result struct {
	// Content and Reasoning are the whole answer text and thinking text.
	Content   string
	Reasoning string
	ToolCalls []ToolCall
	// UnsentContent and UnsentReasoning are the parts that Feed had not returned yet (held back
	// as a possible tag or tool call); a streaming caller sends them last.
	UnsentContent   string
	UnsentReasoning string
	// PartialToolCall is a tool call that was begun but does not parse (cut short by the token
	// limit, say). It is kept out of Content: tool markup never reaches the user as text.
	PartialToolCall string
}

type parseState int

const (
	stStart      parseState = iota // nothing but white space seen yet
	stReasoning                    // inside the thinking block
	stAfterThink                   // just after the thinking block
	stContent
	stTool // a tool call (or what may be one) started: held until Finish
)

// Parser splits a model's output, fed token by token, into content, reasoning and tool calls.
// It returns at once whatever cannot be part of a tag or a tool call, and holds back the rest.
// A Parser is used by one goroutine.
type Parser struct {
	opts   ParserOptions
	syn    outputSyntax
	raw    []byte // all output so far (appended to: a string would be copied on every token)
	pos    int    // raw[:pos] has been classified
	state  parseState
	tool   int  // start of the held tool-call region in raw
	marked bool // the region began with the family's tool-call marker

	content, reasoning strings.Builder // everything classified so far
	sentC, sentR       int             // how much of content/reasoning Feed returned
}

// outputSyntax is what the parser looks for in one family's output.
type outputSyntax struct {
	thinkOpen, thinkClose string
	markers               []string // start a tool-call region anywhere in the content
	drop                  []string // wrapper tags removed from the content
	startJSON             bool     // a JSON value (or ```json) at the start may be a tool call
	functionary           bool     // v3.2: the answer starts with a recipient line
}

func syntaxFor(o ParserOptions) outputSyntax {
	s := outputSyntax{thinkOpen: "<think>", thinkClose: "</think>", startJSON: true}
	switch o.Family {
	case FamilyHermes:
		s.markers = []string{"<tool_call>", "<function="}
	case FamilyLlama3:
		s.markers = []string{"<|python_tag|>"}
	case FamilyMistral:
		s.markers = []string{"[TOOL_CALLS]"}
	case FamilyDeepSeekR1:
		s.markers = []string{dsCallsBegin, dsCallBegin}
	case FamilyFunctionary:
		s.markers = []string{">>>"}
		s.functionary = true
	case FamilyFunctionaryV31:
		s.markers = []string{"<function=", "<|python_tag|>"}
	case FamilyFireFunction:
		s.markers = []string{"functools["}
	case FamilyCommandR:
		s.markers = []string{"Action: ```json", "Action:\n```json"}
	case FamilyCommandR7B:
		s.thinkOpen, s.thinkClose = "<|START_THINKING|>", "<|END_THINKING|>"
		s.markers = []string{"<|START_ACTION|>"}
		s.drop = []string{"<|START_RESPONSE|>", "<|END_RESPONSE|>"}
	}
	if !o.Tools {
		s.markers, s.startJSON, s.functionary = nil, false, false
	}
	return s
}

// NewParser returns a parser for one answer.
func NewParser(opts ParserOptions) *Parser {
	if opts.ThinkingStarted {
		opts.Reasoning = true
	}
	p := &Parser{opts: opts, syn: syntaxFor(opts)}
	switch {
	case opts.ThinkingStarted:
		p.state = stReasoning
	case !opts.Tools && !opts.Reasoning:
		p.state = stContent // nothing to look for: text passes straight through
	}
	return p
}

// Feed adds the next piece of output and returns the content and reasoning that are safe to
// show now.
func (p *Parser) Feed(delta string) (content, reasoning string) {
	p.raw = append(p.raw, delta...)
	p.step(false)
	return p.unsent()
}

func (p *Parser) unsent() (string, string) {
	c, r := p.content.String()[p.sentC:], p.reasoning.String()[p.sentR:]
	p.sentC, p.sentR = p.content.Len(), p.reasoning.Len()
	return c, r
}

// step classifies as much of raw[pos:] as it can; final means no more output will come.
func (p *Parser) step(final bool) {
	for {
		if p.state == stTool { // held to the end: nothing to look at
			p.pos = len(p.raw)
			return
		}
		rest := string(p.raw[p.pos:]) // only the unclassified tail: short
		switch p.state {
		case stStart, stAfterThink:
			trimmed := strings.TrimLeft(rest, " \t\r\n")
			lead := len(rest) - len(trimmed)
			if p.state == stAfterThink || p.opts.Reasoning || p.opts.Tools {
				p.pos += lead // white space between the blocks is not content
				rest, lead = trimmed, 0
			}
			if trimmed == "" && !final {
				return
			}
			if p.state == stStart && p.opts.Reasoning && p.syn.thinkOpen != "" {
				if strings.HasPrefix(trimmed, p.syn.thinkOpen) {
					p.pos += lead + len(p.syn.thinkOpen)
					p.state = stReasoning
					continue
				}
				if strings.HasPrefix(p.syn.thinkOpen, trimmed) && !final {
					return
				}
			}
			if p.syn.functionary {
				line, _, ok := strings.Cut(trimmed, "\n")
				if !ok && !final {
					return
				}
				if line == "all" {
					p.pos += lead + len(line) + 1
					p.state = stContent
					continue
				}
				if isFuncName(line) && ok {
					p.tool, p.state = p.pos+lead, stTool
					continue
				}
			}
			if p.syn.startJSON {
				if strings.HasPrefix(trimmed, "{") || strings.HasPrefix(trimmed, "[") || strings.HasPrefix(trimmed, "```json") {
					p.tool, p.state = p.pos+lead, stTool
					continue
				}
				if strings.HasPrefix("```json", trimmed) && !final {
					return
				}
			}
			p.state = stContent
		case stReasoning:
			if p.reasoning.Len() == 0 { // reasoning is trimmed, also while it streams
				t := strings.TrimLeft(rest, " \t\r\n")
				p.pos += len(rest) - len(t)
				rest = t
			}
			if i := strings.Index(rest, p.syn.thinkClose); i >= 0 {
				p.reasoning.WriteString(strings.TrimRight(rest[:i], " \t\r\n"))
				p.pos += i + len(p.syn.thinkClose)
				p.state = stAfterThink
				continue
			}
			n := len(rest)
			if !final {
				n -= partialSuffix(rest, []string{p.syn.thinkClose})
				n = len(strings.TrimRight(rest[:n], " \t\r\n"))
			} else {
				n = len(strings.TrimRight(rest, " \t\r\n"))
			}
			p.reasoning.WriteString(rest[:n])
			p.pos += n
			if final {
				p.pos = len(p.raw)
			}
			return
		case stContent:
			i, tag := indexAny(rest, p.syn.markers, p.syn.drop)
			if i >= 0 {
				if tag.drop {
					p.content.WriteString(rest[:i])
					p.pos += i + len(tag.text)
					continue
				}
				// White space before a tool call is not content.
				p.content.WriteString(strings.TrimRight(rest[:i], " \t\r\n"))
				p.tool, p.state, p.marked = p.pos+i, stTool, true
				p.pos += i
				continue
			}
			n := len(rest)
			if k := partialSuffix(rest, p.syn.markers); final && p.opts.ToolForced && k > 0 {
				// A forced call cut short inside its marker.
				p.content.WriteString(strings.TrimRight(rest[:n-k], " \t\r\n"))
				p.tool, p.state, p.marked = p.pos+n-k, stTool, true
				p.pos = len(p.raw)
				return
			}
			if !final {
				n -= partialSuffix(rest, p.syn.markers, p.syn.drop)
				if p.opts.Tools {
					// White space before a tool call is trimmed from the content, so it
					// waits for the next visible character.
					n = len(strings.TrimRight(rest[:n], " \t\r\n"))
				}
			}
			p.content.WriteString(rest[:n])
			p.pos += n
			return
		case stTool:
			p.pos = len(p.raw)
			return
		}
	}
}

// Finish ends the answer and returns all of it, tool calls parsed.
func (p *Parser) Finish() Result {
	p.step(true)
	var calls []ToolCall
	partial := ""
	if p.state == stTool {
		region := string(p.raw[p.tool:])
		var text string
		calls, text = parseToolCalls(p.opts.Family, region)
		if k := partialSuffix(region, callClosers); len(calls) == 0 && k > 0 {
			// Cut short inside the closing tag: the call itself is whole.
			calls, text = parseToolCalls(p.opts.Family, region[:len(region)-k])
		}
		switch {
		case len(calls) > 0:
		case p.marked || p.opts.ToolForced:
			// Begun as a tool call and broken (or cut short): not content.
			text, partial = "", region
		default:
			text = region // not a tool call after all: it is content
		}
		if text != "" && p.content.Len() > 0 && len(calls) > 0 {
			p.content.WriteString("\n")
		}
		p.content.WriteString(text)
	}
	content := p.content.String()
	if p.opts.Tools {
		content = strings.TrimRight(content, " \t\r\n")
	}
	uc := ""
	if len(content) > p.sentC {
		uc = content[p.sentC:]
	}
	res := Result{
		Content:         content,
		Reasoning:       p.reasoning.String(),
		ToolCalls:       calls,
		UnsentContent:   uc,
		UnsentReasoning: p.reasoning.String()[p.sentR:],
		PartialToolCall: partial,
	}
	p.sentC, p.sentR = len(content), p.reasoning.Len()
	return res
}

// callClosers end tool calls in the families' syntaxes.
var callClosers = []string{"</tool_call>", "</function>", "<|END_ACTION|>", dsCallEnd, dsCallsEnd, "\n```"}

type foundTag struct {
	text string
	drop bool
}

// indexAny finds the earliest marker or drop tag in s.
func indexAny(s string, markers, drop []string) (int, foundTag) {
	best, tag := -1, foundTag{}
	look := func(tags []string, isDrop bool) {
		for _, m := range tags {
			if i := strings.Index(s, m); i >= 0 && (best < 0 || i < best) {
				best, tag = i, foundTag{text: m, drop: isDrop}
			}
		}
	}
	look(markers, false)
	look(drop, true)
	return best, tag
}

// partialSuffix is the length of the longest suffix of s that is a proper prefix of one of the
// tags: text that may turn into a tag with the next token.
func partialSuffix(s string, groups ...[]string) int {
	best := 0
	for _, tags := range groups {
		for _, t := range tags {
			for k := min(len(t)-1, len(s)); k > best; k-- {
				if strings.HasSuffix(s, t[:k]) {
					best = k
					break
				}
			}
		}
	}
	return best
}

func isFuncName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c == '-' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// NewCallID returns an id for a tool call: "call_" and 24 random letters and digits.
func NewCallID() string {
	const alpha = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alpha[int(b[i])%len(alpha)]
	}
	return "call_" + string(b)
}
