// Package oaschema validates response JSON against component schemas of the OpenAI OpenAPI
// spec. The schemas the API answers with (and those they reference) are extracted from
// shared/api/openai/openapi.yaml into openai-schemas.json, embedded here so the tests need
// nothing outside the repository; TestExtractedUpToDate keeps the two in step.
package oaschema

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// Roots are the schemas responses are checked against.
var Roots = []string{
	"CreateChatCompletionResponse", "CreateChatCompletionStreamResponse", "CreateCompletionResponse",
	"CreateEmbeddingResponse", "ListModelsResponse", "Model", "ErrorResponse", "Response", "ResponseStreamEvent",
}

//go:embed openai-schemas.json
var extracted []byte

const base = "https://perch.invalid/openai.json"

// Validator checks JSON documents against named component schemas.
type Validator struct {
	mu      sync.Mutex
	c       *jsonschema.Compiler
	schemas map[string]*jsonschema.Schema
}

var (
	once   sync.Once
	shared *Validator
	err    error
)

// Load returns the validator built from the embedded schemas.
func Load() (*Validator, error) {
	once.Do(func() {
		doc, e := jsonschema.UnmarshalJSON(bytes.NewReader(extracted))
		if e != nil {
			err = fmt.Errorf("read embedded schemas: %w", e)
			return
		}
		c := jsonschema.NewCompiler()
		if e := c.AddResource(base, doc); e != nil {
			err = fmt.Errorf("add schemas: %w", e)
			return
		}
		shared = &Validator{c: c, schemas: map[string]*jsonschema.Schema{}}
	})
	return shared, err
}

// Validate checks body against the component schema called name.
func (v *Validator) Validate(name string, body []byte) error {
	v.mu.Lock()
	sch, ok := v.schemas[name]
	if !ok {
		var e error
		sch, e = v.c.Compile(base + "#/components/schemas/" + name)
		if e != nil {
			v.mu.Unlock()
			return fmt.Errorf("compile schema %s: %w", name, e)
		}
		v.schemas[name] = sch
	}
	v.mu.Unlock()
	inst, e := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if e != nil {
		return fmt.Errorf("response is not JSON: %w", e)
	}
	if e := sch.Validate(inst); e != nil {
		return fmt.Errorf("response does not match %s: %w\nbody: %s", name, e, body)
	}
	return nil
}

// Extract copies the named schemas and everything they reference out of the OpenAPI YAML,
// rewriting OpenAPI 3.0's "nullable: true" (which the spec still uses in places) into JSON
// Schema's null type, so a 2020-12 validator reads them as the spec means them.
func Extract(specYAML []byte, roots []string) ([]byte, error) {
	var spec struct {
		Components struct {
			Schemas map[string]any `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(specYAML, &spec); err != nil {
		return nil, fmt.Errorf("parse spec: %w", err)
	}
	all := spec.Components.Schemas
	out := map[string]any{}
	queue := slices.Clone(roots)
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if _, done := out[name]; done {
			continue
		}
		s, ok := all[name]
		if !ok {
			return nil, fmt.Errorf("schema %s is not in the spec", name)
		}
		s = fixRecursive(fixNullable(s), "#/components/schemas/"+name)
		out[name] = s
		walk(s, func(ref string) {
			if n, ok := strings.CutPrefix(ref, "#/components/schemas/"); ok {
				queue = append(queue, n)
			}
		})
	}
	if c, ok := out["CreateCompletionResponse"]; ok {
		out["CreateCompletionStreamResponse"] = streamVariant(c)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", " ")
	if err := enc.Encode(map[string]any{"components": map[string]any{"schemas": out}}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// streamVariant derives the legacy completions' stream chunk: the spec says it shares the
// response's shape, but OpenAI (and every compatible server) sends finish_reason null until
// the last chunk, which the response schema does not allow.
func streamVariant(resp any) any {
	b, _ := json.Marshal(resp)
	var c map[string]any
	json.Unmarshal(b, &c)
	props, _ := c["properties"].(map[string]any)
	choices, _ := props["choices"].(map[string]any)
	items, _ := choices["items"].(map[string]any)
	ip, _ := items["properties"].(map[string]any)
	if fr, ok := ip["finish_reason"].(map[string]any); ok {
		fr["nullable"] = true
		ip["finish_reason"] = fixNullable(fr)
	}
	return c
}

// fixRecursive rewrites draft 2019-09's $recursiveRef "#" (the spec's recursive filters) as
// a $ref to the schema itself, which a 2020-12 validator reads the same way.
func fixRecursive(v any, self string) any {
	switch t := v.(type) {
	case map[string]any:
		delete(t, "$recursiveAnchor")
		if r, ok := t["$recursiveRef"]; ok && r == "#" {
			delete(t, "$recursiveRef")
			t["$ref"] = self
		}
		for k, c := range t {
			t[k] = fixRecursive(c, self)
		}
	case []any:
		for i, c := range t {
			t[i] = fixRecursive(c, self)
		}
	}
	return v
}

func walk(v any, ref func(string)) {
	switch t := v.(type) {
	case map[string]any:
		if r, ok := t["$ref"].(string); ok {
			ref(r)
		}
		for _, c := range t {
			walk(c, ref)
		}
	case []any:
		for _, c := range t {
			walk(c, ref)
		}
	}
}

func fixNullable(v any) any {
	switch t := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, c := range t {
			if strings.HasPrefix(k, "x-") || k == "example" || k == "examples" {
				continue // documentation only
			}
			m[k] = fixNullable(c)
		}
		if n, _ := m["nullable"].(bool); n {
			delete(m, "nullable")
			switch {
			case m["$ref"] != nil:
				ref := m["$ref"]
				delete(m, "$ref")
				m["anyOf"] = []any{map[string]any{"$ref": ref}, map[string]any{"type": "null"}}
			case m["anyOf"] != nil:
				m["anyOf"] = append(m["anyOf"].([]any), map[string]any{"type": "null"})
			case m["oneOf"] != nil:
				m["oneOf"] = append(m["oneOf"].([]any), map[string]any{"type": "null"})
			default:
				if ty, ok := m["type"].(string); ok {
					m["type"] = []any{ty, "null"}
				}
				if e, ok := m["enum"].([]any); ok {
					m["enum"] = append(e, nil)
				}
			}
		}
		return m
	case []any:
		out := make([]any, len(t))
		for i, c := range t {
			out[i] = fixNullable(c)
		}
		return out
	}
	return v
}
