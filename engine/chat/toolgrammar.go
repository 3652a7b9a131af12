package chat

import (
	"fmt"
	"strings"
)

// ToolCallGrammar returns GBNF that forces one tool call in the family's syntax, with the
// arguments constrained by the function's parameters schema. choice "required" allows any of
// the tools; "function" (or a Function name) only that one. For "auto", "none" and "" it returns
// "" and no error: nothing is forced. Use the template's ToolFamily, the syntax its prompt asked
// for.
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
