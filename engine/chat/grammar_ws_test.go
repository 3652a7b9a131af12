package chat

import (
	"bytes"
	"encoding/json"
	"testing"
)

// maxGap is the longest run of white space outside JSON strings in s.
func maxGap(s string) int {
	longest, run, inString, escaped := 0, 0, false, false
	for _, c := range []byte(s) {
		switch {
		case inString:
			inString = escaped || c != '"'
			escaped = !escaped && c == '\\'
			continue
		case c == '"':
			inString, run = true, 0
		case c == ' ' || c == '\n' || c == '\t' || c == '\r':
			run++
			longest = max(longest, run)
			continue
		}
		run = 0
	}
	return longest
}

// Any schema gets at most one white-space character between tokens, so a small budget is not
// spent on indentation.
func TestSchemaGrammarWhiteSpaceBounded(t *testing.T) {
	s := newSampler(t)
	worst := 0
	for _, tc := range schemaCases {
		if !tc.sample {
			continue
		}
		g, err := SchemaGrammar(json.RawMessage(tc.schema))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			out, _ := s.generate(t, g, r.temp, r.seed, sampleLimit)
			if gap := maxGap(out); gap > 1 {
				worst = max(worst, gap)
				t.Errorf("%s/seed%d: %d white-space characters in a row between tokens: %q", tc.name, r.seed, gap, out)
			}
		}
	}
	t.Logf("longest run of white space: %d", worst)
}

// A strict schema gets compact JSON.
func TestStrictSchemaGrammarCompact(t *testing.T) {
	s := newSampler(t)
	for _, tc := range schemaCases {
		if !tc.sample {
			continue
		}
		strict, err := StrictSchemaGrammar(json.RawMessage(tc.schema))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs[:3] {
			out, done := s.generate(t, strict, r.temp, r.seed, sampleLimit)
			if maxGap(out) > 0 {
				t.Errorf("%s: strict output has white space between tokens: %q", tc.name, out)
			}
			if !done {
				continue
			}
			var buf bytes.Buffer
			if err := json.Compact(&buf, []byte(out)); err != nil || buf.String() != out {
				t.Errorf("%s: strict output is not compact JSON: %q", tc.name, out)
			}
			if err := validate([]byte(tc.schema), []byte(out)); err != nil {
				t.Errorf("%s: strict output %q does not validate: %v", tc.name, out, err)
			}
		}
	}
}

func TestStrictGrammarGolden(t *testing.T) {
	g, err := StrictSchemaGrammar(json.RawMessage(schemaCases[0].schema))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "grammar/person-strict.gbnf", g)
	tools := append([]Tool(nil), testTools...)
	for i := range tools {
		tools[i].Function.Strict = true
	}
	g, err = ToolCallGrammar(FamilyHermes, tools, ToolChoice{Mode: "function", Function: "add"})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "grammar/tools-hermes-strict.gbnf", g)
}

func TestMaxGap(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{{`{"a": 1}`, 1}, {`{"a  b":1}`, 0}, {"{\n  \"a\":1}", 3}, {`{"a\"  ":  1}`, 2}} {
		if got := maxGap(tc.in); got != tc.want {
			t.Errorf("maxGap(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}
