package chat

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ardanlabs/jinja"
)

// pyJSON encodes template values the way Python's json.dumps does, which is what Hugging Face's
// tojson filter calls (ensure_ascii=False unless asked): ", " and ": " separators, "," before a
// newline when indenting, floats as Python repr, keys in insertion order. Prompts must match the
// training format byte for byte, so Go's encoding/json (HTML escapes, sorted map keys) is not
// used here.
type pyJSON struct {
	sb          strings.Builder
	indent      string // "" = one line
	indented    bool
	itemSep     string
	keySep      string
	ensureASCII bool
	sortKeys    bool
}

func (p *pyJSON) value(v jinja.Value, depth int) error {
	if depth > 200 {
		return fmt.Errorf("tojson: value nested more than 200 levels deep")
	}
	switch {
	case v.IsUndefined(), v.IsNone(), v.IsCallable():
		p.sb.WriteString("null")
	case v.IsBool():
		if v.AsBool() {
			p.sb.WriteString("true")
		} else {
			p.sb.WriteString("false")
		}
	case v.IsInt():
		p.sb.WriteString(strconv.FormatInt(v.AsInt(), 10))
	case v.IsFloat():
		p.sb.WriteString(pyFloat(v.AsFloat(), true))
	case v.IsString():
		p.str(v.AsString())
	case v.IsList():
		items := v.AsList().Items
		if len(items) == 0 {
			p.sb.WriteString("[]")
			return nil
		}
		p.sb.WriteByte('[')
		for i, it := range items {
			if i > 0 {
				p.sb.WriteString(p.itemSep)
			}
			p.newline(depth + 1)
			if err := p.value(it, depth+1); err != nil {
				return err
			}
		}
		p.newline(depth)
		p.sb.WriteByte(']')
	case v.IsDict():
		d := v.AsDict()
		if d.Len() == 0 {
			p.sb.WriteString("{}")
			return nil
		}
		keys := d.Keys
		if p.sortKeys {
			keys = append([]string(nil), keys...)
			sort.Strings(keys)
		}
		p.sb.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				p.sb.WriteString(p.itemSep)
			}
			p.newline(depth + 1)
			p.str(k)
			p.sb.WriteString(p.keySep)
			val, _ := d.Get(k)
			if err := p.value(val, depth+1); err != nil {
				return err
			}
		}
		p.newline(depth)
		p.sb.WriteByte('}')
	default:
		p.sb.WriteString("null")
	}
	return nil
}

func (p *pyJSON) newline(depth int) {
	if !p.indented {
		return
	}
	p.sb.WriteByte('\n')
	for range depth {
		p.sb.WriteString(p.indent)
	}
}

func (p *pyJSON) str(s string) {
	p.sb.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch r {
		case '"':
			p.sb.WriteString(`\"`)
		case '\\':
			p.sb.WriteString(`\\`)
		case '\n':
			p.sb.WriteString(`\n`)
		case '\r':
			p.sb.WriteString(`\r`)
		case '\t':
			p.sb.WriteString(`\t`)
		case '\b':
			p.sb.WriteString(`\b`)
		case '\f':
			p.sb.WriteString(`\f`)
		default:
			switch {
			case r < 0x20:
				fmt.Fprintf(&p.sb, `\u%04x`, r)
			case r >= 0x7f && p.ensureASCII:
				if r > 0xffff {
					r -= 0x10000
					fmt.Fprintf(&p.sb, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
				} else {
					fmt.Fprintf(&p.sb, `\u%04x`, r)
				}
			default:
				p.sb.WriteRune(r)
			}
		}
	}
	p.sb.WriteByte('"')
}

// pyFloat formats a float like Python's repr (json=true: NaN and Infinity as json.dumps writes
// them).
func pyFloat(f float64, json bool) string {
	switch {
	case math.IsNaN(f):
		if json {
			return "NaN"
		}
		return "nan"
	case math.IsInf(f, 1):
		if json {
			return "Infinity"
		}
		return "inf"
	case math.IsInf(f, -1):
		if json {
			return "-Infinity"
		}
		return "-inf"
	}
	e := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX, shortest round trip
	mant, expS, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(expS)
	if exp < -4 || exp >= 16 {
		sign := "+"
		if exp < 0 {
			sign, exp = "-", -exp
		}
		return fmt.Sprintf("%se%s%02d", mant, sign, exp)
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

// filterToJSON is Hugging Face's tojson: tojson(value, ensure_ascii=False, indent=None,
// separators=None, sort_keys=False).
func filterToJSON(args []jinja.Value, kw map[string]jinja.Value) (jinja.Value, error) {
	if len(args) == 0 {
		return jinja.NewString(""), nil
	}
	p := &pyJSON{itemSep: ", ", keySep: ": "}
	arg := func(pos int, name string) (jinja.Value, bool) {
		if v, ok := kw[name]; ok {
			return v, true
		}
		if len(args) > pos {
			return args[pos], true
		}
		return jinja.Undefined(), false
	}
	if v, ok := arg(1, "ensure_ascii"); ok {
		p.ensureASCII = v.IsTruthy()
	}
	if v, ok := arg(2, "indent"); ok && !v.IsNone() && !v.IsUndefined() {
		p.indented = true
		switch {
		case v.IsString():
			p.indent = v.AsString()
		case v.IsInt():
			p.indent = strings.Repeat(" ", int(max(0, min(v.AsInt(), 64))))
		default:
			return jinja.Undefined(), fmt.Errorf("tojson: indent must be a number or a string, not %s", v.String())
		}
		p.itemSep = ","
	}
	if v, ok := arg(3, "separators"); ok && !v.IsNone() && !v.IsUndefined() {
		if !v.IsList() || v.AsList().Len() != 2 || !v.AsList().Items[0].IsString() || !v.AsList().Items[1].IsString() {
			return jinja.Undefined(), fmt.Errorf("tojson: separators must be two strings")
		}
		p.itemSep, p.keySep = v.AsList().Items[0].AsString(), v.AsList().Items[1].AsString()
	}
	if v, ok := arg(4, "sort_keys"); ok {
		p.sortKeys = v.IsTruthy()
	}
	if err := p.value(args[0], 0); err != nil {
		return jinja.Undefined(), err
	}
	return jinja.NewString(p.sb.String()), nil
}
