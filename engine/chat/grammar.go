package chat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// GBNF building blocks. White space between tokens is at most one space or newline, so a small
// model cannot spend its budget on it (a strict schema gets none at all), and numbers are bounded so they
// fit an int64 or a float64; integers stay within ±(2^53-1), so every JSON reader (JavaScript
// included) reads them exactly.
const (
	ruleWS      = `[ \n]?`
	ruleNoWS    = `""`
	ruleChar    = `[^"\\\x7F\x00-\x1F] | "\\" ( ["\\/bfnrt] | "u" [0-9a-fA-F]{4} )`
	ruleString  = `"\"" char* "\""`
	ruleNumber  = `"-"? ( "0" | [1-9] [0-9]{0,15} ) ( "." [0-9]{1,15} )? ( [eE] [-+]? [0-9]{1,2} )?`
	ruleBoolean = `"true" | "false"`
	ruleNull    = `"null"`
	ruleValue   = `object | array | string | number | boolean | null`
	ruleObject  = `"{" ws ( string ws ":" ws value ws ( "," ws string ws ":" ws value ws )* )? "}"`
	ruleArray   = `"[" ws ( value ws ( "," ws value ws )* )? "]"`
)

// maxSafe is the largest integer a float64 holds exactly (JavaScript's Number.MAX_SAFE_INTEGER).
// Zod and others write it as the bounds of every integer; bounds at or beyond it change nothing.
const maxSafe = 1<<53 - 1

// ruleInteger is an integer within ±maxSafe.
var ruleInteger = `"-"? ( ` + natRange(0, math.MaxInt64) + ` )`

// primitives are the shared rules, added to a grammar when something refers to them.
var primitives = map[string]struct {
	body string
	deps []string
}{
	"ws":      {ruleWS, nil},
	"char":    {ruleChar, nil},
	"string":  {ruleString, []string{"char"}},
	"integer": {ruleInteger, nil},
	"number":  {ruleNumber, nil},
	"boolean": {ruleBoolean, nil},
	"null":    {ruleNull, nil},
	"value":   {ruleValue, []string{"object", "array", "string", "number", "boolean", "null"}},
	"object":  {ruleObject, []string{"ws", "string", "value"}},
	"array":   {ruleArray, []string{"ws", "value"}},
	"hex":     {`[0-9a-fA-F]`, nil},
	"date":    {`[0-9]{4} "-" ( ( "01" | "03" | "05" | "07" | "08" | "10" | "12" ) "-" ( day30 | "31" ) | ( "04" | "06" | "09" | "11" ) "-" day30 | "02-" day28 )`, []string{"day28", "day30"}},
	"day28":   {`"0" [1-9] | "1" [0-9] | "2" [0-8]`, nil},
	"day30":   {`day28 | "29" | "30"`, []string{"day28"}},
	"time":    {`( [01] [0-9] | "2" [0-3] ) ":" [0-5] [0-9] ":" [0-5] [0-9] ( "." [0-9]{1,6} )? ( "Z" | [+-] ( [01] [0-9] | "2" [0-3] ) ":" [0-5] [0-9] )`, nil},
	"uuid":    {`hex{8} "-" hex{4} "-" hex{4} "-" hex{4} "-" hex{12}`, []string{"hex"}},
}

// JSONObjectGrammar is GBNF for any JSON object (response_format json_object).
var JSONObjectGrammar = func() string {
	g := newGrammar()
	g.rule("root", "object")
	g.use("object")
	return g.String()
}()

// grammar collects GBNF rules.
type grammar struct {
	rules map[string]string
	order []string
	// refs maps a $ref (per schema document) to its rule name.
	refs   map[string]string
	root   any    // the schema document being converted, for local $ref
	docs   int    // documents converted so far; numbers each document's $refs
	prefix string // rule-name prefix of the current document
	depth  int
	// merging holds the $refs merge is expanding, so a schema that includes itself through
	// allOf is refused instead of expanded forever.
	merging map[string]bool
	// compact leaves no white space between tokens (strict schemas).
	compact bool
}

func newGrammar() *grammar {
	return &grammar{rules: map[string]string{}, refs: map[string]string{}, merging: map[string]bool{}}
}

// use adds a primitive rule and what it needs.
func (g *grammar) use(name string) string {
	if _, ok := g.rules[name]; ok {
		return name
	}
	p, ok := primitives[name]
	if !ok {
		panic("chat: unknown primitive rule " + name)
	}
	body := p.body
	if name == "ws" && g.compact {
		body = ruleNoWS
	}
	g.rule(name, body)
	for _, d := range p.deps {
		g.use(d)
	}
	return name
}

// rule adds name ::= body and returns the name; a taken name with another body gets a number.
func (g *grammar) rule(name, body string) string {
	name = ruleName(name)
	if old, ok := g.rules[name]; ok {
		if old == body {
			return name
		}
		for i := 2; ; i++ {
			n := name + "-" + strconv.Itoa(i)
			if old, ok := g.rules[n]; !ok || old == body {
				name = n
				break
			}
		}
		if _, ok := g.rules[name]; ok {
			return name
		}
	}
	g.rules[name] = body
	g.order = append(g.order, name)
	return name
}

// reserve claims a rule name before its body is known (recursive $ref).
func (g *grammar) reserve(name string) string {
	base := ruleName(name)
	name = base
	for i := 2; ; i++ {
		if _, ok := g.rules[name]; !ok {
			break
		}
		name = base + "-" + strconv.Itoa(i)
	}
	g.rules[name] = ""
	g.order = append(g.order, name)
	return name
}

// String writes the grammar, root first.
func (g *grammar) String() string {
	var sb strings.Builder
	names := append([]string(nil), g.order...)
	sort.SliceStable(names, func(i, j int) bool { return names[i] == "root" && names[j] != "root" })
	for _, n := range names {
		fmt.Fprintf(&sb, "%s ::= %s\n", n, g.rules[n])
	}
	return sb.String()
}

// ruleName keeps the characters GBNF allows in rule names: letters, digits and "-".
func ruleName(s string) string {
	var sb strings.Builder
	dash := false
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			sb.WriteRune(r)
			dash = false
		} else if !dash && sb.Len() > 0 {
			sb.WriteByte('-')
			dash = true
		}
	}
	out := strings.TrimRight(sb.String(), "-")
	if out == "" {
		out = "r"
	}
	return out
}

// literal quotes s as a GBNF string literal.
func literal(s string) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			sb.WriteString(`\"`)
		case r == '\\':
			sb.WriteString(`\\`)
		case r == '\n':
			sb.WriteString(`\n`)
		case r == '\r':
			sb.WriteString(`\r`)
		case r == '\t':
			sb.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&sb, `\x%02X`, r)
		default:
			sb.WriteRune(r)
		}
	}
	sb.WriteByte('"')
	return sb.String()
}

// jsonLiteral is the GBNF literal of a JSON value, written compactly.
func jsonLiteral(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if o, ok := v.(*object); ok {
		v = orderedJSON{o}
	}
	if err := enc.Encode(orderedAny(v)); err != nil {
		return "", err
	}
	return literal(strings.TrimSpace(buf.String())), nil
}

// orderedAny wraps nested ordered objects so encoding/json keeps their key order.
func orderedAny(v any) any {
	switch x := v.(type) {
	case *object:
		return orderedJSON{x}
	case []any:
		out := make([]any, len(x))
		for i, it := range x {
			out[i] = orderedAny(it)
		}
		return out
	}
	return v
}

// SchemaGrammar converts a JSON Schema into GBNF whose every output is JSON that validates
// against it. Supported: type (one or a list), properties with required and optional members
// (in the schema's order), additionalProperties (false, true or a schema; when absent, an object
// with a properties keyword gets exactly those), propertyNames (lengths, enum), maxProperties,
// enum, const, anyOf, oneOf, allOf (merged), local $ref
// ($defs, definitions, any JSON pointer, recursion), items, prefixItems, minItems, maxItems,
// minLength, maxLength, pattern (Go regexp syntax), formats date, time, date-time and uuid,
// integer minimum/maximum. Annotations (title, description, default, examples, ...) are
// ignored; keywords that would change what validates and cannot be expressed are an error.
func SchemaGrammar(schema json.RawMessage) (string, error) {
	return schemaGrammar(schema, false)
}

// StrictSchemaGrammar is SchemaGrammar for a strict schema (OpenAI's "strict": true): the JSON is
// compact, with no white space between tokens.
func StrictSchemaGrammar(schema json.RawMessage) (string, error) {
	return schemaGrammar(schema, true)
}

func schemaGrammar(schema json.RawMessage, compact bool) (string, error) {
	g := newGrammar()
	g.compact = compact
	expr, err := g.document(schema, "root")
	if err != nil {
		return "", err
	}
	if expr != "root" {
		g.rule("root", expr)
	}
	return g.String(), nil
}

// document converts one schema document; name prefixes its rules.
func (g *grammar) document(schema json.RawMessage, name string) (string, error) {
	s := bytes.TrimSpace(schema)
	if len(s) == 0 || string(s) == "null" {
		s = []byte(`{}`)
	}
	root, err := decodeOrdered(s)
	if err != nil {
		return "", fmt.Errorf("the JSON schema is not valid JSON: %w", err)
	}
	g.docs++
	g.root, g.prefix = root, name
	return g.visit(root, name)
}

const maxSchemaDepth = 64

// visit returns a GBNF expression for a schema (a rule name or a small expression).
func (g *grammar) visit(schema any, name string) (string, error) {
	g.depth++
	defer func() { g.depth-- }()
	if g.depth > maxSchemaDepth {
		return "", fmt.Errorf("the JSON schema is nested more than %d levels deep", maxSchemaDepth)
	}
	switch s := schema.(type) {
	case bool:
		if !s {
			return "", fmt.Errorf("schema at %s is false, which no value satisfies", name)
		}
		return g.use("value"), nil
	case *object:
		return g.visitObject(s, name)
	}
	return "", fmt.Errorf("schema at %s must be an object or a boolean", name)
}

// unsupported keywords change what validates; silently ignoring them would produce output that
// fails validation.
var unsupported = []string{"not", "if", "then", "else", "dependentSchemas", "dependentRequired", "dependencies",
	"patternProperties", "unevaluatedProperties", "unevaluatedItems", "contains",
	"uniqueItems", "multipleOf", "minContains", "maxContains"}

func (g *grammar) visitObject(s *object, name string) (string, error) {
	for _, k := range unsupported {
		if v, ok := s.get(k); ok {
			if k == "uniqueItems" && v == false {
				continue
			}
			return "", fmt.Errorf("schema at %s uses %q, which Perch cannot enforce while generating; remove it or describe the constraint in the prompt", name, k)
		}
	}
	if ref, ok := s.get("$ref"); ok {
		r, ok := ref.(string)
		if !ok {
			return "", fmt.Errorf("schema at %s: $ref must be a string", name)
		}
		return g.visitRef(r, name)
	}
	if v, ok := s.get("const"); ok {
		return jsonLiteral(v)
	}
	if v, ok := s.get("enum"); ok {
		list, ok := v.([]any)
		if !ok || len(list) == 0 {
			return "", fmt.Errorf("schema at %s: enum must be a non-empty list", name)
		}
		alts := make([]string, 0, len(list))
		for _, it := range list {
			lit, err := jsonLiteral(it)
			if err != nil {
				return "", err
			}
			alts = append(alts, lit)
		}
		return g.rule(name, strings.Join(alts, " | ")), nil
	}
	for _, key := range []string{"anyOf", "oneOf"} {
		if v, ok := s.get(key); ok {
			list, ok := v.([]any)
			if !ok || len(list) == 0 {
				return "", fmt.Errorf("schema at %s: %s must be a non-empty list", name, key)
			}
			base := without(s, key)
			alts := make([]string, 0, len(list))
			for i, sub := range list {
				merged := sub
				if len(base.keys) > 0 { // siblings of anyOf apply to every branch
					m, err := g.merge(base, sub, name)
					if err != nil {
						return "", err
					}
					merged = m
				}
				e, err := g.visit(merged, fmt.Sprintf("%s-%d", name, i))
				if err != nil {
					return "", err
				}
				alts = append(alts, e)
			}
			return g.rule(name, strings.Join(alts, " | ")), nil
		}
	}
	if v, ok := s.get("allOf"); ok {
		list, ok := v.([]any)
		if !ok || len(list) == 0 {
			return "", fmt.Errorf("schema at %s: allOf must be a non-empty list", name)
		}
		merged := any(without(s, "allOf"))
		for _, sub := range list {
			m, err := g.merge(merged.(*object), sub, name)
			if err != nil {
				return "", err
			}
			merged = m
		}
		return g.visit(merged, name)
	}
	nullable := false
	if v, ok := s.get("nullable"); ok && v == true {
		nullable = true
	}
	var types []string
	switch t := get(s, "type").(type) {
	case string:
		types = []string{t}
	case []any:
		for _, x := range t {
			ts, ok := x.(string)
			if !ok {
				return "", fmt.Errorf("schema at %s: type list must hold strings", name)
			}
			types = append(types, ts)
		}
	case nil:
		switch {
		case has(s, "properties") || has(s, "additionalProperties") || has(s, "required"):
			types = []string{"object"}
		case has(s, "items") || has(s, "prefixItems") || has(s, "minItems") || has(s, "maxItems"):
			types = []string{"array"}
		case has(s, "minLength") || has(s, "maxLength") || has(s, "pattern") || has(s, "format"):
			types = []string{"string"}
		case has(s, "minimum") || has(s, "maximum") || has(s, "exclusiveMinimum") || has(s, "exclusiveMaximum"):
			types = []string{"number"}
		default:
			return g.use("value"), nil
		}
	default:
		return "", fmt.Errorf("schema at %s: type must be a string or a list of strings", name)
	}
	if nullable {
		types = append(types, "null")
	}
	alts := make([]string, 0, len(types))
	for _, t := range types {
		sub := name
		if len(types) > 1 {
			sub = name + "-" + t
		}
		var e string
		var err error
		switch t {
		case "object":
			e, err = g.objectRule(s, sub)
		case "array":
			e, err = g.arrayRule(s, sub)
		case "string":
			e, err = g.stringRule(s, sub)
		case "integer":
			e, err = g.numberRule(s, sub, true)
		case "number":
			e, err = g.numberRule(s, sub, false)
		case "boolean":
			e = g.use("boolean")
		case "null":
			e = g.use("null")
		default:
			return "", fmt.Errorf("schema at %s: unknown type %q (use object, array, string, number, integer, boolean or null)", name, t)
		}
		if err != nil {
			return "", err
		}
		alts = append(alts, e)
	}
	if len(alts) == 1 {
		return alts[0], nil
	}
	return g.rule(name, strings.Join(alts, " | ")), nil
}

func get(o *object, k string) any { v, _ := o.get(k); return v }
func has(o *object, k string) bool {
	_, ok := o.get(k)
	return ok
}

func without(o *object, key string) *object {
	out := newObject()
	for _, k := range o.keys {
		if k != key {
			out.set(k, o.vals[k])
		}
	}
	return out
}

// merge combines two schemas that must both hold (allOf, or anyOf's siblings): properties and
// required lists are united, other keywords taken from the later schema.
func (g *grammar) merge(a *object, b any, name string) (any, error) {
	bo, ok := b.(*object)
	if !ok {
		if b == true {
			return a, nil
		}
		return nil, fmt.Errorf("schema at %s: allOf/anyOf entries must be objects", name)
	}
	if ref, ok := bo.get("$ref"); ok {
		r, _ := ref.(string)
		if g.merging[r] {
			return nil, fmt.Errorf("schema at %s: $ref %q includes itself through allOf, so it cannot be expanded", name, r)
		}
		target, err := g.resolve(r)
		if err != nil {
			return nil, fmt.Errorf("schema at %s: %w", name, err)
		}
		g.merging[r] = true
		m, err := g.merge(without(bo, "$ref"), target, name)
		delete(g.merging, r)
		if err != nil {
			return nil, err
		}
		bo = m.(*object)
	}
	if nested, ok := bo.get("allOf"); ok {
		list, _ := nested.([]any)
		cur := any(without(bo, "allOf"))
		for _, sub := range list {
			m, err := g.merge(cur.(*object), sub, name)
			if err != nil {
				return nil, err
			}
			cur = m
		}
		bo = cur.(*object)
	}
	out := newObject()
	for _, k := range a.keys {
		out.set(k, a.vals[k])
	}
	for _, k := range bo.keys {
		v := bo.vals[k]
		switch k {
		case "properties":
			props := newObject()
			if old, ok := out.get("properties"); ok {
				if op, ok := old.(*object); ok {
					for _, pk := range op.keys {
						props.set(pk, op.vals[pk])
					}
				}
			}
			if np, ok := v.(*object); ok {
				for _, pk := range np.keys {
					props.set(pk, np.vals[pk])
				}
			}
			out.set(k, props)
		case "required":
			seen := map[string]bool{}
			var req []any
			for _, list := range []any{get(out, "required"), v} {
				items, _ := list.([]any)
				for _, it := range items {
					if s, ok := it.(string); ok && !seen[s] {
						seen[s] = true
						req = append(req, s)
					}
				}
			}
			out.set(k, req)
		case "type":
			if old, ok := out.get("type"); ok && fmt.Sprint(old) != fmt.Sprint(v) {
				return nil, fmt.Errorf("schema at %s: allOf combines type %v with type %v", name, old, v)
			}
			out.set(k, v)
		default:
			out.set(k, v)
		}
	}
	return out, nil
}

// visitRef converts a local $ref, once per target, so recursive schemas become recursive rules.
func (g *grammar) visitRef(ref, name string) (string, error) {
	key := strconv.Itoa(g.docs) + "\x00" + ref
	if rn, ok := g.refs[key]; ok {
		return rn, nil
	}
	target, err := g.resolve(ref)
	if err != nil {
		return "", fmt.Errorf("schema at %s: %w", name, err)
	}
	base := ref[strings.LastIndexByte(ref, '/')+1:]
	if base == "" || base == "#" {
		base = "self"
	}
	rn := g.reserve(g.prefix + "-" + base)
	g.refs[key] = rn
	e, err := g.visit(target, rn+"-x")
	if err != nil {
		return "", err
	}
	g.rules[rn] = e
	return rn, nil
}

// resolve follows a local JSON pointer ("#", "#/$defs/Name", "#/definitions/a~1b").
func (g *grammar) resolve(ref string) (any, error) {
	if !strings.HasPrefix(ref, "#") {
		return nil, fmt.Errorf("$ref %q is not local; only references inside the schema (#/...) are supported", ref)
	}
	cur := g.root
	p := strings.TrimPrefix(ref, "#")
	if p == "" {
		return cur, nil
	}
	if !strings.HasPrefix(p, "/") {
		return nil, fmt.Errorf("$ref %q: anchors are not supported; use a JSON pointer such as #/$defs/Name", ref)
	}
	for _, part := range strings.Split(p[1:], "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		switch c := cur.(type) {
		case *object:
			v, ok := c.get(part)
			if !ok {
				return nil, fmt.Errorf("$ref %q: %q not found", ref, part)
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(c) {
				return nil, fmt.Errorf("$ref %q: %q is not an index", ref, part)
			}
			cur = c[i]
		default:
			return nil, fmt.Errorf("$ref %q: cannot step into %q", ref, part)
		}
	}
	return cur, nil
}

// objectRule writes the members in schema order; optional ones may be left out, and the commas
// stay right whichever are present.
func (g *grammar) objectRule(s *object, name string) (string, error) {
	props, _ := get(s, "properties").(*object)
	if has(s, "properties") && props == nil {
		return "", fmt.Errorf("schema at %s: properties must be an object", name)
	}
	required := map[string]bool{}
	if v, ok := s.get("required"); ok {
		list, ok := v.([]any)
		if !ok {
			return "", fmt.Errorf("schema at %s: required must be a list of names", name)
		}
		for _, it := range list {
			k, ok := it.(string)
			if !ok {
				return "", fmt.Errorf("schema at %s: required must be a list of names", name)
			}
			required[k] = true
		}
	}
	declared := newObject() // a copy: required names without a schema are added to it
	if props != nil {
		for _, k := range props.keys {
			declared.set(k, props.vals[k])
		}
	}
	props = declared
	if v, ok := s.get("required"); ok {
		for _, it := range v.([]any) {
			if k := it.(string); !has(props, k) {
				props.set(k, true) // a required name with no schema: any value
			}
		}
	}
	// Extra members: additionalProperties true or a schema. When it is absent, an object that
	// lists properties (even none, as functions without parameters do) gets exactly those:
	// valid, and what callers mean. One without a properties keyword takes any members.
	ap, apSet := s.get("additionalProperties")
	extrasAllowed := (apSet && ap != false) || (!apSet && !has(s, "properties") && len(props.keys) == 0)
	var extraSchema any = true
	if apSet {
		extraSchema = ap
	}
	// propertyNames with a list of names: those become optional members, each at most once.
	if pn, ok := get(s, "propertyNames").(*object); ok && extrasAllowed {
		var list []any
		if v, ok := pn.get("enum"); ok {
			list, _ = v.([]any)
		} else if v, ok := pn.get("const"); ok {
			list = []any{v}
		}
		if list != nil {
			for _, it := range list {
				if k, ok := it.(string); ok && !has(props, k) {
					props.set(k, extraSchema)
				}
			}
			extrasAllowed = false
		}
	}
	names := props.keys
	if v, ok := s.get("minProperties"); ok {
		if n, err := intKeyword(s, "minProperties", name); err != nil || n > len(required) {
			return "", fmt.Errorf("schema at %s: minProperties %v is more than the required members; Perch can only keep it by requiring members (list them in required)", name, v)
		}
	}
	maxExtra := -1 // unbounded
	if v, ok := s.get("maxProperties"); ok {
		n, err := intKeyword(s, "maxProperties", name)
		if err != nil || n < len(names) {
			return "", fmt.Errorf("schema at %s: maxProperties %v is below the %d declared properties; Perch cannot choose which to leave out", name, v, len(names))
		}
		maxExtra = n - len(names)
	}
	extra := ""
	switch {
	case !extrasAllowed || maxExtra == 0:
	case extraSchema == true:
		extra = g.use("value")
	default:
		e, err := g.visit(extraSchema, name+"-additional")
		if err != nil {
			return "", err
		}
		extra = e
	}
	ws := g.use("ws")
	kv := make([]string, len(names))
	for i, k := range names {
		e, err := g.visit(props.vals[k], name+"-"+k)
		if err != nil {
			return "", err
		}
		kl, _ := jsonLiteral(k)
		kv[i] = g.rule(name+"-"+k+"-kv", fmt.Sprintf("%s %s \":\" %s %s %s", kl, ws, ws, e, ws))
	}
	extraKV, key := "", ""
	if extra != "" {
		var err error
		if key, err = g.keyRule(names, get(s, "propertyNames"), name); err != nil {
			return "", err
		}
	}
	if key != "" {
		extraKV = g.rule(name+"-additional-kv", fmt.Sprintf("%s %s \":\" %s %s %s", key, ws, ws, extra, ws))
	}
	// tail(i, comma) is what may follow once the members before i are written; comma says
	// whether any was, so the next one needs a comma.
	memo := map[[2]int]string{}
	var tail func(i int, comma bool) string
	tail = func(i int, comma bool) string {
		c := 0
		if comma {
			c = 1
		}
		if r, ok := memo[[2]int{i, c}]; ok {
			return r
		}
		sep := ""
		if comma {
			sep = `"," ` + ws + " "
		}
		var body string
		switch {
		case i == len(names) && extraKV == "":
		case i == len(names) && comma:
			body = fmt.Sprintf(`( "," %s %s )%s`, ws, extraKV, upTo(maxExtra))
		case i == len(names):
			body = fmt.Sprintf(`( %s ( "," %s %s )%s )?`, extraKV, ws, extraKV, upTo(maxExtra-1))
		default:
			take := strings.TrimSpace(sep + kv[i] + " " + tail(i+1, true))
			switch skip := tail(i+1, comma); {
			case required[names[i]]:
				body = take
			case skip == "":
				body = "( " + take + " )?"
			default:
				body = "( " + take + " ) | " + skip
			}
		}
		r := ""
		if body != "" {
			r = g.rule(fmt.Sprintf("%s-tail-%d-%d", name, i, c), body)
		}
		memo[[2]int{i, c}] = r
		return r
	}
	body := strings.TrimSpace(fmt.Sprintf(`"{" %s %s "}"`, ws, tail(0, false)))
	body = strings.Join(strings.Fields(body), " ")
	return g.rule(name, body), nil
}

// upTo is a GBNF repetition of at most n (n < 0: any number).
func upTo(n int) string {
	if n < 0 {
		return "*"
	}
	return fmt.Sprintf("{0,%d}", n)
}

// keyRule is the key of an extra member: a JSON string that is none of the declared names (so
// an extra member cannot repeat a declared one with a value of the wrong shape), within
// propertyNames' length bounds. (Extra members may still repeat each other's keys: a grammar
// cannot remember a set of free-form keys.) It walks a trie of the names: a character that leaves
// the trie frees the rest of the key.
func (g *grammar) keyRule(names []string, pn any, name string) (string, error) {
	minLen, maxLen := 0, -1
	if pn != nil && pn != true {
		o, ok := pn.(*object)
		if !ok {
			return "", fmt.Errorf("schema at %s: propertyNames must be a schema", name)
		}
		for _, k := range o.keys {
			switch k {
			case "type":
				if o.vals[k] != "string" {
					return "", fmt.Errorf("schema at %s: propertyNames type must be string", name)
				}
			case "minLength", "maxLength":
				n, err := intKeyword(o, k, name+"-propertyNames")
				if err != nil {
					return "", err
				}
				if k == "minLength" {
					minLen = n
				} else {
					maxLen = n
				}
			case "title", "description", "$comment":
			default:
				return "", fmt.Errorf("schema at %s: propertyNames supports type, minLength, maxLength, enum and const, not %q", name, k)
			}
		}
	}
	if len(names) == 0 && minLen == 0 && maxLen < 0 {
		return g.use("string"), nil
	}
	type node struct {
		kids     map[rune]*node
		order    []rune
		terminal bool
	}
	root := &node{kids: map[rune]*node{}}
	for _, n := range names {
		cur := root
		for _, r := range n {
			k, ok := cur.kids[r]
			if !ok {
				k = &node{kids: map[rune]*node{}}
				cur.kids[r] = k
				cur.order = append(cur.order, r)
			}
			cur = k
		}
		cur.terminal = true
	}
	g.use("char")
	rest := func(depth int) string { // the characters after a free one at depth, and the quote
		lo := max(0, minLen-depth-1)
		if maxLen < 0 {
			if lo == 0 {
				return `char* "\""`
			}
			return fmt.Sprintf(`char{%d,} "\""`, lo)
		}
		return fmt.Sprintf(`char{%d,%d} "\""`, lo, maxLen-depth-1)
	}
	count := 0
	var build func(n *node, depth int) string
	build = func(n *node, depth int) string {
		count++
		rn := g.reserve(fmt.Sprintf("%s-key-%d", name, count))
		var alts []string
		if maxLen < 0 || depth < maxLen {
			cls := `[^"\\\x7F\x00-\x1F`
			for _, r := range n.order {
				cls += classRune(r)
			}
			alts = append(alts, cls+"] "+rest(depth), `"\\" ( ["\\/bfnrt] | "u" [0-9a-fA-F]{4} ) `+rest(depth))
			for _, r := range n.order {
				alts = append(alts, literal(string(r))+" "+build(n.kids[r], depth+1))
			}
		}
		if !n.terminal && depth >= minLen {
			alts = append(alts, `"\""`)
		}
		if len(alts) == 0 {
			alts = append(alts, `[^\x00-\U0010FFFF]`) // nothing fits here
		}
		g.rules[rn] = strings.Join(alts, " | ")
		return rn
	}
	return g.rule(name+"-key", `"\"" `+build(root, 0)), nil
}

// classRune writes a rune for use inside a GBNF character class.
func classRune(r rune) string {
	// llama.cpp knows few escapes in classes; \x covers every ASCII character.
	if r < 0x20 || r == 0x7f || strings.ContainsRune(`\\][^-"`, r) {
		return fmt.Sprintf(`\x%02X`, r)
	}
	return string(r)
}

func (g *grammar) arrayRule(s *object, name string) (string, error) {
	ws := g.use("ws")
	minItems, err := intKeyword(s, "minItems", name)
	if err != nil {
		return "", err
	}
	maxItems, err := intKeyword(s, "maxItems", name)
	if err != nil {
		return "", err
	}
	if minItems < 0 {
		minItems = 0
	}
	var tuple []any
	if v, ok := s.get("prefixItems"); ok {
		tuple, _ = v.([]any)
	} else if v, ok := s.get("items"); ok {
		if list, ok := v.([]any); ok { // draft-4 tuple form
			tuple = list
		}
	}
	if tuple != nil {
		if maxItems >= 0 && maxItems < len(tuple) {
			tuple = tuple[:maxItems]
		}
		parts := make([]string, 0, len(tuple))
		for i, it := range tuple {
			e, err := g.visit(it, fmt.Sprintf("%s-%d", name, i))
			if err != nil {
				return "", err
			}
			parts = append(parts, e+" "+ws)
		}
		// The first minItems entries are required; the rest may stop early.
		body := ""
		for i := len(parts) - 1; i >= 0; i-- {
			item := parts[i]
			if i > 0 {
				item = `"," ` + ws + " " + item
			}
			seq := strings.TrimSpace(item + " " + body)
			if i >= minItems {
				body = "( " + seq + " )?"
			} else {
				body = seq
			}
		}
		if minItems > len(tuple) {
			return "", fmt.Errorf("schema at %s: minItems %d is more than the %d tuple items", name, minItems, len(tuple))
		}
		return g.rule(name, strings.TrimSpace(fmt.Sprintf(`"[" %s %s "]"`, ws, body))), nil
	}
	item := g.use("value")
	if v, ok := s.get("items"); ok {
		e, err := g.visit(v, name+"-item")
		if err != nil {
			return "", err
		}
		item = e
	}
	if maxItems >= 0 && maxItems < minItems {
		return "", fmt.Errorf("schema at %s: maxItems %d is below minItems %d", name, maxItems, minItems)
	}
	if maxItems == 0 {
		return g.rule(name, fmt.Sprintf(`"[" %s "]"`, ws)), nil
	}
	more := fmt.Sprintf(`( "," %s %s %s )`, ws, item, ws)
	lo := max(minItems-1, 0)
	rep := fmt.Sprintf("{%d,}", lo)
	if maxItems > 0 {
		rep = fmt.Sprintf("{%d,%d}", lo, maxItems-1)
	}
	if rep == "{0,}" {
		rep = "*"
	}
	list := fmt.Sprintf("%s %s %s%s", item, ws, more, rep)
	if minItems == 0 {
		list = "( " + list + " )?"
	}
	return g.rule(name, fmt.Sprintf(`"[" %s %s "]"`, ws, list)), nil
}

// intKeyword reads a non-negative integer keyword; -1 when absent.
func intKeyword(s *object, key, name string) (int, error) {
	v, ok := s.get(key)
	if !ok {
		return -1, nil
	}
	n, ok := v.(json.Number)
	if !ok {
		return 0, fmt.Errorf("schema at %s: %s must be a number", name, key)
	}
	f, err := n.Float64()
	if err != nil || f < 0 || f != math.Trunc(f) || f > 1e6 {
		return 0, fmt.Errorf("schema at %s: %s must be a whole number from 0 to 1000000, got %s", name, key, n)
	}
	return int(f), nil
}

func (g *grammar) stringRule(s *object, name string) (string, error) {
	if p, ok := s.get("pattern"); ok {
		ps, ok := p.(string)
		if !ok {
			return "", fmt.Errorf("schema at %s: pattern must be a string", name)
		}
		e, err := g.patternRule(ps, name)
		if err != nil {
			return "", fmt.Errorf("schema at %s: %w", name, err)
		}
		return e, nil
	}
	if f, ok := s.get("format"); ok {
		switch f {
		case "date":
			return g.rule(name, `"\"" `+g.use("date")+` "\""`), nil
		case "time":
			return g.rule(name, `"\"" `+g.use("time")+` "\""`), nil
		case "date-time":
			return g.rule(name, `"\"" `+g.use("date")+` "T" `+g.use("time")+` "\""`), nil
		case "uuid":
			return g.rule(name, `"\"" `+g.use("uuid")+` "\""`), nil
		}
		// Other formats are annotations here (as JSON Schema 2020-12 treats them by default).
	}
	minLen, err := intKeyword(s, "minLength", name)
	if err != nil {
		return "", err
	}
	maxLen, err := intKeyword(s, "maxLength", name)
	if err != nil {
		return "", err
	}
	if minLen <= 0 && maxLen < 0 {
		return g.use("string"), nil
	}
	if maxLen >= 0 && maxLen < minLen {
		return "", fmt.Errorf("schema at %s: maxLength %d is below minLength %d", name, maxLen, minLen)
	}
	g.use("char")
	rep := fmt.Sprintf("{%d,}", max(minLen, 0))
	if maxLen >= 0 {
		rep = fmt.Sprintf("{%d,%d}", max(minLen, 0), maxLen)
	}
	return g.rule(name, `"\"" char`+rep+` "\""`), nil
}

// numberRule writes numbers; integer bounds are exact, number bounds are kept by restricting the
// integer part.
func (g *grammar) numberRule(s *object, name string, integer bool) (string, error) {
	lo, hasLo, err := bound(s, "minimum", "exclusiveMinimum", name, true)
	if err != nil {
		return "", err
	}
	hi, hasHi, err := bound(s, "maximum", "exclusiveMaximum", name, false)
	if err != nil {
		return "", err
	}
	if !hasLo && !hasHi {
		if integer {
			return g.use("integer"), nil
		}
		return g.use("number"), nil
	}
	if hasLo && hasHi && (lo.v > hi.v || (lo.v == hi.v && (lo.excl || hi.excl))) {
		return "", fmt.Errorf("schema at %s: no number lies between the minimum and the maximum", name)
	}
	if (hasLo && lo.v > maxSafe) || (hasHi && hi.v < -maxSafe) {
		return "", fmt.Errorf("schema at %s: numbers beyond ±%d (2^53-1) cannot be written exactly; lower the bound", name, maxSafe)
	}
	// The grammar writes nothing beyond ±maxSafe, so bounds there are open ends.
	hasLo = hasLo && (lo.v > -maxSafe || (lo.v == -maxSafe && lo.excl))
	hasHi = hasHi && (hi.v < maxSafe || (hi.v == maxSafe && hi.excl))
	if !hasLo && !hasHi && integer {
		return g.use("integer"), nil
	}
	// Integer range [a, b] of the integer part (math.MinInt64/MaxInt64 stand for open ends).
	a, b := int64(math.MinInt64), int64(math.MaxInt64)
	if hasLo {
		a = int64(math.Ceil(lo.v))
		if lo.excl && float64(a) == lo.v {
			a++
		}
	}
	if hasHi {
		b = int64(math.Floor(hi.v))
		if hi.excl && float64(b) == hi.v {
			b--
		}
	}
	if a > b {
		return "", fmt.Errorf("schema at %s: no integer lies between the minimum and the maximum", name)
	}
	if a > maxSafe || b < -maxSafe {
		return "", fmt.Errorf("schema at %s: numbers beyond ±%d (2^53-1) cannot be written exactly; lower the bound", name, maxSafe)
	}
	ints := intRange(a, b)
	if integer {
		return g.rule(name, ints), nil
	}
	// A fraction is safe on integer parts strictly inside both bounds (k-1 >= lo, k+1 <= hi).
	fa, fb := a, b
	if hasLo {
		fa = a + 1
	}
	if hasHi {
		fb = b - 1
	}
	frac := `"." [0-9]{1,15}`
	if fa > fb {
		return g.rule(name, ints), nil
	}
	// Fractions on negative numbers lower the value and on positive ones raise it; excluding
	// the two edge integers keeps either direction inside the bounds.
	return g.rule(name, fmt.Sprintf("( %s ) %s | %s", intRange(fa, fb), frac, ints)), nil
}

type limitValue struct {
	v    float64
	excl bool
}

func bound(s *object, key, exclKey, name string, lower bool) (limitValue, bool, error) {
	var out limitValue
	found := false
	num := func(v any, k string) (float64, error) {
		n, ok := v.(json.Number)
		if !ok {
			return 0, fmt.Errorf("schema at %s: %s must be a number", name, k)
		}
		return n.Float64()
	}
	if v, ok := s.get(key); ok {
		f, err := num(v, key)
		if err != nil {
			return out, false, err
		}
		out, found = limitValue{v: f}, true
	}
	if v, ok := s.get(exclKey); ok {
		switch x := v.(type) {
		case bool: // draft 4: a flag on minimum/maximum
			if x && found {
				out.excl = true
			}
		default:
			f, err := num(x, exclKey)
			if err != nil {
				return out, false, err
			}
			if !found || (lower && f >= out.v) || (!lower && f <= out.v) {
				out = limitValue{v: f, excl: true}
				found = true
			}
		}
	}
	return out, found, nil
}

// intRange is a GBNF expression matching exactly the decimal integers in [a, b]; MinInt64 and
// MaxInt64 mean unbounded.
func intRange(a, b int64) string {
	const inf = math.MaxInt64
	const ninf = math.MinInt64
	var alts []string
	// Negative part: -x for x in [max(1,-b), -a].
	if a < 0 {
		lo := int64(1)
		if b < 0 {
			lo = -b
		}
		hi := int64(inf)
		if a != ninf {
			hi = -a
		}
		alts = append(alts, `"-" ( `+natRange(lo, hi)+` )`)
	}
	if b >= 0 {
		lo := max(a, 0)
		alts = append(alts, natRange(lo, b))
	}
	return strings.Join(alts, " | ")
}

// natRange matches the natural numbers in [lo, hi] (hi MaxInt64: unbounded, up to maxSafe).
func natRange(lo, hi int64) string {
	var alts []string
	if lo == 0 {
		alts = append(alts, `"0"`)
		lo = 1
	}
	if hi == math.MaxInt64 {
		ls, top := strconv.FormatInt(lo, 10), strconv.FormatInt(maxSafe, 10)
		ld, maxDigits := len(ls), len(top)
		if ld >= maxDigits {
			return strings.Join(append(alts, digitRange(ls, top)...), " | ")
		}
		alts = append(alts, digitRange(ls, strings.Repeat("9", ld))...)
		if ld < maxDigits-1 {
			alts = append(alts, fmt.Sprintf("[1-9] [0-9]{%d,%d}", ld, maxDigits-2))
		}
		alts = append(alts, digitRange("1"+strings.Repeat("0", maxDigits-1), top)...)
		return strings.Join(alts, " | ")
	}
	if lo > hi {
		return strings.Join(alts, " | ")
	}
	ls, hs := strconv.FormatInt(lo, 10), strconv.FormatInt(hi, 10)
	for d := len(ls); d <= len(hs); d++ {
		from, to := strings.Repeat("9", d), strings.Repeat("9", d)
		from = "1" + strings.Repeat("0", d-1)
		if d == len(ls) {
			from = ls
		}
		if d == len(hs) {
			to = hs
		}
		alts = append(alts, digitRange(from, to)...)
	}
	return strings.Join(alts, " | ")
}

// digitRange matches the numbers from lo to hi, two digit strings of the same length.
func digitRange(lo, hi string) []string {
	if lo > hi {
		return nil
	}
	if len(lo) == 1 {
		return []string{digitClass(lo[0], hi[0])}
	}
	n := len(lo) - 1
	if strings.Trim(lo[1:], "0") == "" && strings.Trim(hi[1:], "9") == "" {
		return []string{fmt.Sprintf("%s [0-9]{%d}", digitClass(lo[0], hi[0]), n)}
	}
	if lo[0] == hi[0] {
		var out []string
		for _, r := range digitRange(lo[1:], hi[1:]) {
			out = append(out, fmt.Sprintf(`"%c" ( %s )`, lo[0], r))
		}
		return out
	}
	var out []string
	// lo[0] followed by lo[1:]..99..9
	out = append(out, prefixed(lo[0], digitRange(lo[1:], strings.Repeat("9", n))))
	// the first digits strictly between, followed by anything
	if lo[0]+1 <= hi[0]-1 {
		out = append(out, fmt.Sprintf("%s [0-9]{%d}", digitClass(lo[0]+1, hi[0]-1), n))
	}
	// hi[0] followed by 00..0..hi[1:]
	out = append(out, prefixed(hi[0], digitRange(strings.Repeat("0", n), hi[1:])))
	return out
}

func prefixed(d byte, rest []string) string {
	return fmt.Sprintf(`"%c" ( %s )`, d, strings.Join(rest, " | "))
}

func digitClass(a, b byte) string {
	if a == b {
		return fmt.Sprintf(`"%c"`, a)
	}
	return fmt.Sprintf("[%c-%c]", a, b)
}

var errNoTools = errors.New("tool_choice requires a tool call but no tools were given")
