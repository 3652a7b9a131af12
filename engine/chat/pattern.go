package chat

import (
	"fmt"
	"regexp/syntax"
	"strings"
	"unicode"
)

// patternRule converts a JSON-schema pattern into a rule for the JSON string it matches. The
// regular expression is parsed by Go's regexp/syntax; the grammar writes the matched text in
// JSON form (a quote or a backslash escaped). Unanchored patterns may have any text around them.
func (g *grammar) patternRule(pattern, name string) (string, error) {
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		return "", fmt.Errorf("pattern %q is not a regular expression: %w", pattern, err)
	}
	re = re.Simplify()
	subs := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		subs = re.Sub
	}
	anchoredStart := len(subs) > 0 && (subs[0].Op == syntax.OpBeginText || subs[0].Op == syntax.OpBeginLine)
	anchoredEnd := len(subs) > 0 && (subs[len(subs)-1].Op == syntax.OpEndText || subs[len(subs)-1].Op == syntax.OpEndLine)
	if anchoredStart {
		subs = subs[1:]
	}
	if anchoredEnd && len(subs) > 0 {
		subs = subs[:len(subs)-1]
	}
	parts := make([]string, 0, len(subs)+2)
	g.use("char")
	if !anchoredStart {
		parts = append(parts, "char*")
	}
	for _, s := range subs {
		e, err := regexGBNF(s)
		if err != nil {
			return "", fmt.Errorf("pattern %q: %w", pattern, err)
		}
		parts = append(parts, e)
	}
	if !anchoredEnd {
		parts = append(parts, "char*")
	}
	return g.rule(name, `"\"" `+strings.Join(parts, " ")+` "\""`), nil
}

func regexGBNF(re *syntax.Regexp) (string, error) {
	switch re.Op {
	case syntax.OpEmptyMatch:
		return `""`, nil
	case syntax.OpLiteral:
		var parts []string
		for _, r := range re.Rune {
			if re.Flags&syntax.FoldCase != 0 && unicode.ToUpper(r) != unicode.ToLower(r) {
				parts = append(parts, charClassGBNF([]rune{unicode.ToLower(r), unicode.ToLower(r), unicode.ToUpper(r), unicode.ToUpper(r)}))
				continue
			}
			parts = append(parts, jsonCharLiteral(r))
		}
		return strings.Join(parts, " "), nil
	case syntax.OpCharClass:
		return charClassGBNF(re.Rune), nil
	case syntax.OpAnyCharNotNL:
		return `( [^"\\\x7F\x00-\x1F] | "\\" ( ["\\/bfrt] | "u" [0-9a-fA-F]{4} ) )`, nil
	case syntax.OpAnyChar:
		return "char", nil
	case syntax.OpCapture:
		return regexGBNF(re.Sub[0])
	case syntax.OpConcat:
		parts := make([]string, 0, len(re.Sub))
		for _, s := range re.Sub {
			e, err := regexGBNF(s)
			if err != nil {
				return "", err
			}
			parts = append(parts, e)
		}
		return "( " + strings.Join(parts, " ") + " )", nil
	case syntax.OpAlternate:
		parts := make([]string, 0, len(re.Sub))
		for _, s := range re.Sub {
			e, err := regexGBNF(s)
			if err != nil {
				return "", err
			}
			parts = append(parts, e)
		}
		return "( " + strings.Join(parts, " | ") + " )", nil
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest:
		e, err := regexGBNF(re.Sub[0])
		if err != nil {
			return "", err
		}
		op := map[syntax.Op]string{syntax.OpStar: "*", syntax.OpPlus: "+", syntax.OpQuest: "?"}[re.Op]
		return "( " + e + " )" + op, nil
	case syntax.OpRepeat:
		e, err := regexGBNF(re.Sub[0])
		if err != nil {
			return "", err
		}
		if re.Max < 0 {
			return fmt.Sprintf("( %s ){%d,}", e, re.Min), nil
		}
		return fmt.Sprintf("( %s ){%d,%d}", e, re.Min, re.Max), nil
	}
	return "", fmt.Errorf("%s is not supported inside a pattern (anchors belong at the ends; no word boundaries)", re.Op)
}

// jsonCharLiteral is the GBNF for one character as it appears inside a JSON string.
func jsonCharLiteral(r rune) string {
	switch r {
	case '"':
		return `"\\\""`
	case '\\':
		return `"\\\\"`
	case '\n':
		return `"\\n"`
	case '\t':
		return `"\\t"`
	case '\r':
		return `"\\r"`
	}
	if r < 0x20 || r == 0x7f {
		return fmt.Sprintf(`"\\u%04x"`, r)
	}
	return literal(string(r))
}

// charClassGBNF writes a regexp character class (pairs of ranges) as GBNF for its JSON text:
// plain characters in a class, and the characters JSON must escape as escapes.
func charClassGBNF(ranges []rune) string {
	var cls strings.Builder
	var escaped []string
	for i := 0; i+1 < len(ranges); i += 2 {
		lo, hi := ranges[i], ranges[i+1]
		// Cut out what JSON escapes: control characters, '"', '\\' and DEL.
		for _, special := range []rune{'"', '\\', 0x7f} {
			if lo <= special && special <= hi {
				escaped = append(escaped, jsonCharLiteral(special))
			}
		}
		for c := lo; c <= hi && c < 0x20; c++ {
			escaped = append(escaped, jsonCharLiteral(c))
		}
		if lo < 0x20 {
			lo = 0x20
		}
		for _, seg := range splitAround(lo, hi, []rune{'"', '\\', 0x7f}) {
			if seg[0] == seg[1] {
				cls.WriteString(classRune(seg[0]))
			} else {
				cls.WriteString(classRune(seg[0]) + "-" + classRune(seg[1]))
			}
		}
	}
	var alts []string
	if cls.Len() > 0 {
		alts = append(alts, "["+cls.String()+"]")
	}
	alts = append(alts, escaped...)
	if len(alts) == 0 {
		return `[^\x00-\U0010FFFF]` // matches nothing
	}
	if len(alts) == 1 {
		return alts[0]
	}
	return "( " + strings.Join(alts, " | ") + " )"
}

// splitAround returns [lo, hi] minus the given points, as ranges.
func splitAround(lo, hi rune, points []rune) [][2]rune {
	if lo > hi {
		return nil
	}
	for _, p := range points {
		if lo <= p && p <= hi {
			return append(splitAround(lo, p-1, points), splitAround(p+1, hi, points)...)
		}
	}
	return [][2]rune{{lo, hi}}
}
