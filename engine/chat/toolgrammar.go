package chat

import (
	"fmt"
	"strings"
)

// ToolCallGrammar returns GBNF that forces one tool call in the family's syntax, with the
// arguments constrained by the function's parameters schema. choice "required" allows any of
// the tools; "function" (or a Function name) only that one. For "auto", "none" and "" it returns
// "" and no error: nothing is forced. Use the template's ToolFamily, the syntax its prompt asked
// for. When every chosen tool is strict, the call's JSON is compact.
func ToolCallGrammar(family Family, tools []Tool, choice ToolChoice) (string, error) {
	mode := choice.Mode
	if mode == "" && choice.Function != "" {
		mode = "function"
	}
	var chosen []Tool
	switch mode {
	case "", "auto", "none":
		return "", nil
	case "required":
		if len(tools) == 0 {
			return "", errNoTools
		}
		chosen = tools
	case "function":
		for _, t := range tools {
			if t.Function.Name == choice.Function {
				chosen = append(chosen, t)
				break
			}
		}
		if len(chosen) == 0 {
			return "", fmt.Errorf("tool_choice names function %q, which is not among the tools", choice.Function)
		}
	default:
		return "", fmt.Errorf("tool_choice %q is not one of auto, none, required or a function", choice.Mode)
	}
	g := newGrammar()
	// Strict functions get compact JSON, like a strict schema.
	g.compact = true
	for _, t := range chosen {
		g.compact = g.compact && t.Function.Strict
	}
	ws := g.use("ws")
	nameKey, argsKey := `"name"`, `"arguments"`
	switch family {
	case FamilyLlama3:
		argsKey = `"parameters"`
	case FamilyCommandR, FamilyCommandR7B:
		nameKey, argsKey = `"tool_name"`, `"parameters"`
	}
	var calls []string           // a JSON call object per tool
	var names, argRules []string // name literal and arguments rule per tool, for bare syntaxes
	for i, t := range tools {
		if !contains(chosen, t.Function.Name) {
			continue
		}
		if !isFuncName(t.Function.Name) {
			return "", fmt.Errorf("tool %d: function name %q must be letters, digits, '_', '-' or '.'", i, t.Function.Name)
		}
		prefix := "tool-" + t.Function.Name
		params := t.Function.Parameters
		if p := strings.TrimSpace(string(params)); p == "" || p == "null" || p == "{}" {
			params = []byte(`{"type":"object","properties":{}}`) // no parameters: {}
		}
		args, err := g.document(params, prefix+"-args")
		if err != nil {
			return "", fmt.Errorf("tool %q parameters: %w", t.Function.Name, err)
		}
		name, _ := jsonLiteral(t.Function.Name)
		kl := func(k string) string { return literal(k) }
		var obj string
		if family == FamilyCommandR7B {
			obj = fmt.Sprintf(`"{" %s %s %s ":" %s "\"0\"" %s "," %s %s %s ":" %s %s %s "," %s %s %s ":" %s %s %s "}"`,
				ws, kl(`"tool_call_id"`), ws, ws, ws, ws, kl(nameKey), ws, ws, name, ws, ws, kl(argsKey), ws, ws, args, ws)
		} else {
			obj = fmt.Sprintf(`"{" %s %s %s ":" %s %s %s "," %s %s %s ":" %s %s %s "}"`,
				ws, kl(nameKey), ws, ws, name, ws, ws, kl(argsKey), ws, ws, args, ws)
		}
		calls = append(calls, g.rule(prefix+"-call", obj))
		names, argRules = append(names, literal(t.Function.Name)), append(argRules, args)
	}
	call := g.rule("call", strings.Join(calls, " | "))
	// bareWith writes name, sep, arguments (syntaxes that do not wrap the call in JSON).
	bareWith := func(sep string) string {
		alts := make([]string, len(names))
		for i := range names {
			alts[i] = names[i] + " " + sep + " " + argRules[i]
		}
		return "( " + strings.Join(alts, " | ") + " )"
	}
	var root string
	switch family {
	case FamilyHermes:
		root = fmt.Sprintf(`"<tool_call>" %s %s %s "</tool_call>"`, ws, call, ws)
	case FamilyLlama3:
		root = call
	case FamilyMistral:
		root = fmt.Sprintf(`"[TOOL_CALLS]" "[" %s "]"`, call)
	case FamilyFireFunction:
		root = fmt.Sprintf(`" functools[" %s "]"`, call)
	case FamilyDeepSeekR1:
		root = fmt.Sprintf(`%s %s %s %s`, literal(dsCallsBegin+dsCallBegin+"function"+dsSep),
			bareWith(`"\n`+"```json"+`\n"`), literal("\n```"+dsCallEnd), literal(dsCallsEnd))
	case FamilyFunctionary:
		root = bareWith(`"\n"`)
	case FamilyFunctionaryV31:
		root = fmt.Sprintf(`"<function=" %s "</function>"`, bareWith(`">"`))
	case FamilyCommandR7B:
		root = fmt.Sprintf(`"<|START_ACTION|>" "[" %s %s %s "]" "<|END_ACTION|>"`, ws, call, ws)
	case FamilyCommandR:
		root = fmt.Sprintf(`"Action: `+"```json"+`\n" "[" %s %s %s "]" "\n`+"```"+`"`, ws, call, ws)
	default: // generic JSON, Gemma, Phi
		root = fmt.Sprintf(`"{" %s "\"tool_calls\"" %s ":" %s "[" %s %s %s "]" %s "}"`, ws, ws, ws, ws, call, ws, ws)
	}
	g.rule("root", root)
	return g.String(), nil
}

func contains(tools []Tool, name string) bool {
	for _, t := range tools {
		if t.Function.Name == name {
			return true
		}
	}
	return false
}

// AllowThinking wraps a grammar (a schema's or a forced tool call's) for a reasoning model: the
// model may first write its thinking block, then must follow grammar. With ThinkingStarted (the
// prompt opened the block) the output begins inside it and must close it; with Reasoning alone
// the block is optional. Other options return grammar unchanged.
func AllowThinking(grammar string, opts ParserOptions) string {
	if grammar == "" || (!opts.Reasoning && !opts.ThinkingStarted) {
		return grammar
	}
	syn := syntaxFor(ParserOptions{Family: opts.Family, Tools: true, Reasoning: true})
	open, close := syn.thinkOpen, syn.thinkClose
	// The grammar's own root becomes "answer"; its rules keep their names.
	renamed := renameRule(grammar, "root", "answer")
	g := newGrammar()
	// The wrapped grammar's ws is the one written; keep it compact if it was.
	g.compact = strings.Contains("\n"+grammar, "\nws ::= "+ruleNoWS+"\n")
	ws := g.use("ws")
	text := notContaining(g, close, "thinking")
	if opts.ThinkingStarted {
		g.rule("root", fmt.Sprintf("%s %s %s answer", text, literal(close), ws))
	} else {
		g.rule("root", fmt.Sprintf("( %s %s %s %s )? answer", literal(open), text, literal(close), ws))
	}
	// Rules the wrapped grammar also defines (ws) are written once.
	var sb strings.Builder
	sb.WriteString(g.String())
	defined := map[string]bool{}
	for n := range g.rules {
		defined[n] = true
	}
	for _, line := range strings.Split(renamed, "\n") {
		name, _, ok := strings.Cut(line, " ::= ")
		if ok && defined[strings.TrimSpace(name)] {
			continue
		}
		if strings.TrimSpace(line) != "" {
			sb.WriteString(line + "\n")
		}
	}
	return sb.String()
}

// renameRule renames a rule and every reference to it in GBNF text that this package wrote
// (one rule per line, names as whole words outside literals).
func renameRule(grammar, from, to string) string {
	var out []string
	for _, line := range strings.Split(grammar, "\n") {
		out = append(out, renameInLine(line, from, to))
	}
	return strings.Join(out, "\n")
}

func renameInLine(line, from, to string) string {
	var sb strings.Builder
	inLit, inClass := false, false
	for i := 0; i < len(line); {
		c := line[i]
		switch {
		case (inLit || inClass) && c == '\\' && i+1 < len(line):
			sb.WriteString(line[i : i+2])
			i += 2
			continue
		case inLit:
			inLit = c != '"'
		case inClass:
			inClass = c != ']'
		case c == '"':
			inLit = true
		case c == '[':
			inClass = true
		case isIdentStart(c):
			j := i
			for j < len(line) && (isIdentChar(line[j]) || line[j] == '-') {
				j++
			}
			word := line[i:j]
			if word == from {
				word = to
			}
			sb.WriteString(word)
			i = j
			continue
		}
		sb.WriteByte(c)
		i++
	}
	return sb.String()
}

// notContaining adds rules for any text that does not contain tag, and returns the first. It is
// the string-matching automaton of tag written as rules: state i means the text ends with the
// first i characters of tag; reaching all of them is not allowed.
func notContaining(g *grammar, tag, name string) string {
	pat := []rune(tag)
	n := len(pat)
	// next(i, c): the longest prefix of pat that is a suffix of pat[:i]+c.
	next := func(i int, c rune) int {
		s := append(append([]rune(nil), pat[:i]...), c)
		for k := min(len(s), n); k > 0; k-- {
			if string(s[len(s)-k:]) == string(pat[:k]) {
				return k
			}
		}
		return 0
	}
	var chars []rune
	seen := map[rune]bool{}
	for _, c := range pat {
		if !seen[c] {
			seen[c] = true
			chars = append(chars, c)
		}
	}
	other := "[^"
	for _, c := range chars {
		other += classRune(c)
	}
	other += "]"
	state := func(i int) string { return fmt.Sprintf("%s-%d", name, i) }
	for i := 0; i < n; i++ {
		alts := []string{other + " " + state(0)}
		for _, c := range chars {
			if j := next(i, c); j < n {
				alts = append(alts, literal(string(c))+" "+state(j))
			}
		}
		alts = append(alts, `""`)
		g.rule(state(i), strings.Join(alts, " | "))
	}
	return state(0)
}
