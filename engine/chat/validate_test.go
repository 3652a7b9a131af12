package chat

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// validate checks a JSON document against a schema, for the keywords SchemaGrammar supports.
// It is written for the tests, independently of the grammar code, so a grammar that lets
// something invalid through is caught.
func validate(schemaJSON, doc []byte) error {
	root, err := decodeOrdered(schemaJSON)
	if err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	if dec.More() {
		return fmt.Errorf("data after the JSON value")
	}
	// Duplicate keys would hide a wrong value behind a right one.
	if err := noDuplicateKeys(doc); err != nil {
		return err
	}
	return (&validator{root: root}).check(root, v, "$")
}

type validator struct{ root any }

func (vd *validator) check(schema, v any, at string) error {
	switch s := schema.(type) {
	case bool:
		if !s {
			return fmt.Errorf("%s: schema false", at)
		}
		return nil
	case *object:
		return vd.checkObject(s, v, at)
	}
	return fmt.Errorf("%s: bad schema", at)
}

func (vd *validator) checkObject(s *object, v any, at string) error {
	if ref, ok := s.get("$ref"); ok {
		target, err := (&grammar{root: vd.root}).resolve(ref.(string))
		if err != nil {
			return err
		}
		if err := vd.check(target, v, at); err != nil {
			return err
		}
	}
	if c, ok := s.get("const"); ok && !jsonEqual(c, v) {
		return fmt.Errorf("%s: %v is not the const %v", at, v, c)
	}
	if e, ok := s.get("enum"); ok {
		found := false
		for _, x := range e.([]any) {
			found = found || jsonEqual(x, v)
		}
		if !found {
			return fmt.Errorf("%s: %v is not in the enum", at, v)
		}
	}
	for _, key := range []string{"anyOf", "oneOf"} {
		if list, ok := s.get(key); ok {
			n := 0
			for _, sub := range list.([]any) {
				if vd.check(sub, v, at) == nil {
					n++
				}
			}
			if n == 0 || (key == "oneOf" && n > 1) {
				return fmt.Errorf("%s: %d branches of %s match", at, n, key)
			}
		}
	}
	if list, ok := s.get("allOf"); ok {
		for _, sub := range list.([]any) {
			if err := vd.check(sub, v, at); err != nil {
				return err
			}
		}
	}
	var types []string
	switch t := get(s, "type").(type) {
	case string:
		types = []string{t}
	case []any:
		for _, x := range t {
			types = append(types, x.(string))
		}
	}
	if get(s, "nullable") == true {
		types = append(types, "null")
	}
	if len(types) > 0 {
		ok := false
		for _, t := range types {
			ok = ok || typeOf(v, t)
		}
		if !ok {
			return fmt.Errorf("%s: %v is not of type %v", at, v, types)
		}
	}
	switch x := v.(type) {
	case map[string]any:
		return vd.checkMembers(s, x, at)
	case []any:
		return vd.checkItems(s, x, at)
	case string:
		n := utf8.RuneCountInString(x)
		if m, ok := s.get("minLength"); ok && n < toInt(m) {
			return fmt.Errorf("%s: %q is shorter than %d", at, x, toInt(m))
		}
		if m, ok := s.get("maxLength"); ok && n > toInt(m) {
			return fmt.Errorf("%s: %q is longer than %d", at, x, toInt(m))
		}
		if p, ok := s.get("pattern"); ok && !regexp.MustCompile(p.(string)).MatchString(x) {
			return fmt.Errorf("%s: %q does not match %s", at, x, p)
		}
		if f, ok := s.get("format"); ok {
			if err := checkFormat(f.(string), x); err != nil {
				return fmt.Errorf("%s: %w", at, err)
			}
		}
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return fmt.Errorf("%s: %v: %w", at, x, err)
		}
		if m, ok := s.get("minimum"); ok && f < toFloat(m) {
			return fmt.Errorf("%s: %v < minimum %v", at, f, m)
		}
		if m, ok := s.get("maximum"); ok && f > toFloat(m) {
			return fmt.Errorf("%s: %v > maximum %v", at, f, m)
		}
		if m, ok := s.get("exclusiveMinimum"); ok && f <= toFloat(m) {
			return fmt.Errorf("%s: %v <= exclusiveMinimum %v", at, f, m)
		}
		if m, ok := s.get("exclusiveMaximum"); ok && f >= toFloat(m) {
			return fmt.Errorf("%s: %v >= exclusiveMaximum %v", at, f, m)
		}
	}
	return nil
}

func (vd *validator) checkMembers(s *object, x map[string]any, at string) error {
	props, _ := get(s, "properties").(*object)
	if req, ok := s.get("required"); ok {
		for _, k := range req.([]any) {
			if _, ok := x[k.(string)]; !ok {
				return fmt.Errorf("%s: required %q is missing", at, k)
			}
		}
	}
	for k, val := range x {
		if ps, ok := props.get(k); ok {
			if err := vd.check(ps, val, at+"."+k); err != nil {
				return err
			}
			continue
		}
		if ap, ok := s.get("additionalProperties"); ok {
			if err := vd.check(ap, val, at+"."+k); err != nil {
				return fmt.Errorf("%s: additional property %q: %w", at, k, err)
			}
		}
	}
	return nil
}

func (vd *validator) checkItems(s *object, x []any, at string) error {
	if m, ok := s.get("minItems"); ok && len(x) < toInt(m) {
		return fmt.Errorf("%s: %d items < minItems %d", at, len(x), toInt(m))
	}
	if m, ok := s.get("maxItems"); ok && len(x) > toInt(m) {
		return fmt.Errorf("%s: %d items > maxItems %d", at, len(x), toInt(m))
	}
	prefix, _ := get(s, "prefixItems").([]any)
	for i, it := range x {
		sub := get(s, "items")
		if i < len(prefix) {
			sub = prefix[i]
		}
		if sub == nil {
			continue
		}
		if err := vd.check(sub, it, fmt.Sprintf("%s[%d]", at, i)); err != nil {
			return err
		}
	}
	return nil
}

func typeOf(v any, t string) bool {
	switch t {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "null":
		return v == nil
	case "number":
		_, ok := v.(json.Number)
		return ok
	case "integer":
		n, ok := v.(json.Number)
		return ok && !strings.ContainsAny(string(n), ".eE")
	}
	return false
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

func checkFormat(f, s string) error {
	var err error
	switch f {
	case "date":
		_, err = time.Parse("2006-01-02", s)
	case "time":
		_, err = time.Parse("15:04:05.999999999Z07:00", s)
	case "date-time":
		_, err = time.Parse(time.RFC3339Nano, s)
	case "uuid":
		if !uuidRE.MatchString(s) {
			err = fmt.Errorf("%q is not a uuid", s)
		}
	}
	return err
}

func toInt(v any) int {
	f := toFloat(v)
	return int(f)
}

func toFloat(v any) float64 {
	if n, ok := v.(json.Number); ok {
		f, _ := n.Float64()
		return f
	}
	return math.NaN()
}

func jsonEqual(a, b any) bool {
	ab, _ := json.Marshal(normalizeJSON(a))
	bb, _ := json.Marshal(normalizeJSON(b))
	return bytes.Equal(ab, bb)
}

// normalizeJSON turns ordered objects into maps and numbers into floats for comparison.
func normalizeJSON(v any) any {
	switch x := v.(type) {
	case *object:
		m := map[string]any{}
		for _, k := range x.keys {
			m[k] = normalizeJSON(x.vals[k])
		}
		return m
	case map[string]any:
		m := map[string]any{}
		for k, val := range x {
			m[k] = normalizeJSON(val)
		}
		return m
	case []any:
		out := make([]any, len(x))
		for i, it := range x {
			out[i] = normalizeJSON(it)
		}
		return out
	case json.Number:
		f, _ := x.Float64()
		return f
	}
	return v
}

func noDuplicateKeys(doc []byte) error {
	dec := json.NewDecoder(bytes.NewReader(doc))
	var walk func() error
	walk = func() error {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		d, ok := tok.(json.Delim)
		if !ok {
			return nil
		}
		switch d {
		case '{':
			seen := map[string]bool{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return err
				}
				k := kt.(string)
				if seen[k] {
					return fmt.Errorf("duplicate key %q", k)
				}
				seen[k] = true
				if err := walk(); err != nil {
					return err
				}
			}
		case '[':
			for dec.More() {
				if err := walk(); err != nil {
					return err
				}
			}
		}
		_, err = dec.Token()
		return err
	}
	return walk()
}
