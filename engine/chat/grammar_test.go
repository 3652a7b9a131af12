package chat

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/perchapp/perch/engine/llama"
	"github.com/perchapp/perch/engine/sharedtest"
)

// schemaCases are converted, checked by llama.cpp, and (sample: true) sampled on stories260K.
var schemaCases = []struct {
	name   string
	schema string
	sample bool
}{
	{"person", `{"type":"object","properties":{"name":{"type":"string","minLength":1,"maxLength":12},"age":{"type":"integer","minimum":0,"maximum":120},"tags":{"type":"array","items":{"type":"string","maxLength":8},"maxItems":3}},"required":["name","age"]}`, true},
	{"enum-const", `{"type":"object","properties":{"kind":{"const":"event"},"color":{"enum":["red","green","blue"]},"level":{"enum":[1,2.5,"high",null,true]}},"required":["kind","color","level"],"additionalProperties":false}`, true},
	{"any-of", `{"anyOf":[{"type":"string","maxLength":5},{"type":"integer","minimum":-5,"maximum":5},{"type":"null"}]}`, true},
	{"one-of-objects", `{"oneOf":[{"type":"object","properties":{"cat":{"type":"boolean"}},"required":["cat"],"additionalProperties":false},{"type":"object","properties":{"dog":{"type":"integer","minimum":0,"maximum":9}},"required":["dog"],"additionalProperties":false}]}`, true},
	{"refs", `{"$defs":{"point":{"type":"object","properties":{"x":{"type":"integer","minimum":0,"maximum":99},"y":{"type":"integer","minimum":0,"maximum":99}},"required":["x","y"],"additionalProperties":false}},"type":"object","properties":{"from":{"$ref":"#/$defs/point"},"to":{"$ref":"#/$defs/point"}},"required":["from","to"]}`, true},
	{"definitions-pointer", `{"definitions":{"a/b":{"type":"boolean"}},"type":"object","properties":{"flag":{"$ref":"#/definitions/a~1b"}},"required":["flag"]}`, true},
	{"all-of", `{"allOf":[{"type":"object","properties":{"id":{"type":"integer","minimum":1,"maximum":1000}},"required":["id"]},{"properties":{"ok":{"type":"boolean"}},"required":["ok"]}]}`, true},
	{"formats", `{"type":"object","properties":{"day":{"type":"string","format":"date"},"at":{"type":"string","format":"time"},"when":{"type":"string","format":"date-time"},"id":{"type":"string","format":"uuid"}},"required":["day","at","when","id"]}`, true},
	{"array-bounds", `{"type":"array","items":{"type":"number","minimum":-10,"maximum":10},"minItems":2,"maxItems":4}`, true},
	{"additional-schema", `{"type":"object","properties":{"a":{"type":"boolean"}},"required":["a"],"additionalProperties":{"type":"integer","minimum":0,"maximum":9}}`, false},
	{"additional-bounded-keys", `{"type":"object","properties":{"a":{"type":"boolean"},"ab":{"type":"null"}},"required":["a"],"additionalProperties":{"type":"integer","minimum":0,"maximum":9},"propertyNames":{"minLength":1,"maxLength":3},"maxProperties":3}`, true},
	{"additional-enum-keys", `{"type":"object","properties":{"a":{"type":"boolean"}},"additionalProperties":{"type":"boolean"},"propertyNames":{"enum":["a","x","y"]}}`, true},
	{"additional-true", `{"type":"object","properties":{"a":{"type":"boolean"}},"additionalProperties":true}`, false},
	{"optional-only", `{"type":"object","properties":{"a":{"type":"string","maxLength":4},"b":{"type":"boolean"},"c":{"type":"null"}}}`, true},
	{"optional-between-required", `{"type":"object","properties":{"a":{"type":"boolean"},"b":{"type":"integer","minimum":0,"maximum":3},"c":{"type":"boolean"}},"required":["a","c"]}`, true},
	{"tuple", `{"type":"array","prefixItems":[{"type":"string","maxLength":3},{"type":"boolean"},{"type":"null"}],"minItems":1}`, true},
	{"pattern", `{"type":"object","properties":{"code":{"type":"string","pattern":"^[A-Z]{3}-[0-9]{2,4}$"},"hex":{"type":"string","pattern":"^(0x)?[0-9a-f]{1,4}$"}},"required":["code","hex"]}`, true},
	{"nullable-types", `{"type":"object","properties":{"v":{"type":["string","null"],"maxLength":3},"w":{"type":"integer","nullable":true,"minimum":10,"maximum":20}},"required":["v","w"]}`, true},
	{"number-bounds", `{"type":"object","properties":{"p":{"type":"number","minimum":0,"exclusiveMaximum":1},"t":{"type":"number","minimum":-273.15,"maximum":1000},"n":{"type":"integer","exclusiveMinimum":-3,"exclusiveMaximum":3}},"required":["p","t","n"]}`, true},
	{"integer-open-bounds", `{"type":"object","properties":{"big":{"type":"integer","minimum":1234},"neg":{"type":"integer","maximum":-17}},"required":["big","neg"]}`, true},
	{"zod-safe-int", `{"type":"object","properties":{"n":{"type":"integer","minimum":-9007199254740991,"maximum":9007199254740991},"pos":{"type":"integer","exclusiveMinimum":0,"maximum":9007199254740991},"x":{"type":"number","minimum":-1e300,"maximum":1.7976931348623157e308}},"required":["n","pos","x"],"additionalProperties":false}`, true},
	{"large-bounds", `{"type":"object","properties":{"id":{"type":"integer","minimum":4000000000000000,"maximum":9000000000000000},"ms":{"type":"integer","minimum":-2000000000000000},"top":{"type":"integer","minimum":9007199254740991}},"required":["id","ms","top"]}`, true},
	{"free-strings", `{"type":"object","properties":{"title":{"type":"string"},"done":{"type":"boolean"}},"required":["title","done"]}`, true},
	{"recursive", `{"$defs":{"node":{"type":"object","properties":{"v":{"type":"integer","minimum":0,"maximum":9},"kids":{"type":"array","items":{"$ref":"#/$defs/node"},"maxItems":2}},"required":["v"],"additionalProperties":false}},"$ref":"#/$defs/node"}`, true},
	{"root-recursion", `{"type":"object","properties":{"next":{"anyOf":[{"$ref":"#"},{"type":"null"}]}},"required":["next"]}`, false},
	{"any", `{}`, false},
	{"annotations-ignored", `{"$schema":"https://json-schema.org/draft/2020-12/schema","title":"T","description":"d","type":"object","properties":{"x":{"type":"boolean","default":true,"examples":[false]}},"required":["x"]}`, true},
	{"keys-with-specials", `{"type":"object","properties":{"a \"quoted\" key":{"type":"boolean"},"back\\slash":{"type":"boolean"},"ünï-cødé":{"type":"boolean"}},"required":["a \"quoted\" key","back\\slash","ünï-cødé"]}`, true},
}

func TestSchemaGrammarGolden(t *testing.T) {
	for _, tc := range schemaCases {
		t.Run(tc.name, func(t *testing.T) {
			g, err := SchemaGrammar(json.RawMessage(tc.schema))
			if err != nil {
				t.Fatalf("SchemaGrammar: %v", err)
			}
			golden(t, filepath.Join("grammar", tc.name+".gbnf"), g)
		})
	}
}

func TestSchemaGrammarErrors(t *testing.T) {
	for _, tc := range []struct{ name, schema, want string }{
		{"not json", `{"type":`, "not valid JSON"},
		{"false", `false`, "no value satisfies"},
		{"unknown type", `{"type":"decimal"}`, `unknown type "decimal"`},
		{"remote ref", `{"$ref":"https://example.com/s.json"}`, "not local"},
		{"missing ref", `{"$ref":"#/$defs/nope"}`, `not found`},
		{"not", `{"not":{"type":"string"}}`, `"not"`},
		{"bad maxLength", `{"type":"string","maxLength":-1}`, "maxLength must be a whole number"},
		{"min over max", `{"type":"array","minItems":3,"maxItems":1}`, "below minItems"},
		{"beyond safe", `{"type":"integer","minimum":1e16}`, "cannot be written exactly"},
		{"below safe", `{"type":"number","exclusiveMaximum":-9007199254740992}`, "cannot be written exactly"},
		{"impossible range", `{"type":"integer","minimum":5,"maximum":4}`, "no number lies between"},
		{"bad pattern", `{"type":"string","pattern":"("}`, "not a regular expression"},
		{"word boundary", `{"type":"string","pattern":"\\bx"}`, "not supported inside a pattern"},
		{"type list of numbers", `{"type":[1]}`, "type list must hold strings"},
		{"allOf conflict", `{"allOf":[{"type":"string"},{"type":"integer"}]}`, "combines type"},
		{"deep", strings.Repeat(`{"type":"array","items":`, 80) + `{}` + strings.Repeat(`}`, 80), "nested more than"},
		{"allOf includes itself", `{"allOf":[{"$ref":"#"}]}`, "includes itself"},
		{"allOf cycle", `{"$defs":{"a":{"allOf":[{"$ref":"#/$defs/b"}]},"b":{"allOf":[{"$ref":"#/$defs/a"}]}},"$ref":"#/$defs/a"}`, "includes itself"},
		{"anyOf sibling includes itself", `{"type":"object","anyOf":[{"$ref":"#"}]}`, "nested more than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := SchemaGrammar(json.RawMessage(tc.schema))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// ---- real llama.cpp

var (
	llamaOnce sync.Once
	llamaErr  error
)

func initLlama(t *testing.T) {
	t.Helper()
	llamaOnce.Do(func() {
		llama.SetLogSink(nil)
		llamaErr = llama.Init("")
	})
	if llamaErr != nil {
		sharedtest.Skipf(t, "llama.cpp runtime not available (run `make engine`): %v", llamaErr)
	}
}

// grammarLog captures llama.cpp's explanation of a grammar it refuses.
type grammarLog struct {
	mu    sync.Mutex
	lines []string
}

func (l *grammarLog) sink(level, line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if level == "error" || level == "warn" || strings.Contains(line, "parse") {
		l.lines = append(l.lines, line)
	}
}

func (l *grammarLog) take() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := strings.Join(l.lines, "\n")
	l.lines = nil
	return s
}

func stories(t *testing.T, vocabOnly bool) *llama.Model {
	t.Helper()
	path := sharedtest.Model(t, "stories260K.gguf")
	initLlama(t)
	m, err := llama.LoadModel(path, llama.ModelOptions{VocabOnly: vocabOnly})
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	t.Cleanup(m.Close)
	return m
}

var testTools = []Tool{
	{Type: "function", Function: Function{Name: "get_weather", Description: "Weather in a city",
		Parameters: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string","minLength":1,"maxLength":12},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["city"]}`)}},
	{Type: "function", Function: Function{Name: "get_time", Description: "Current time",
		Parameters: json.RawMessage(`{"type":"object","properties":{}}`)}},
	{Type: "function", Function: Function{Name: "add", Description: "Add numbers",
		Parameters: json.RawMessage(`{"type":"object","properties":{"a":{"type":"integer","minimum":-100,"maximum":100},"b":{"type":"integer","minimum":-100,"maximum":100}},"required":["a","b"],"additionalProperties":false}`)}},
}

var toolFamilies = []Family{FamilyGeneric, FamilyHermes, FamilyLlama3, FamilyMistral, FamilyDeepSeekR1, FamilyFunctionary,
	FamilyFunctionaryV31, FamilyFireFunction, FamilyCommandR, FamilyCommandR7B, FamilyGemma, FamilyPhi}

var toolChoices = []ToolChoice{{Mode: "required"}, {Mode: "function", Function: "get_weather"}, {Mode: "function", Function: "add"}, {Mode: "function", Function: "get_time"}}

func TestGrammarsParseInLlama(t *testing.T) {
	m := stories(t, true)
	logs := &grammarLog{}
	llama.SetLogSink(logs.sink)
	defer llama.SetLogSink(nil)
	check := func(t *testing.T, g string) {
		t.Helper()
		logs.take()
		if err := llama.CheckGrammar(m, g); err != nil {
			t.Errorf("llama.cpp refuses the grammar: %v\n%s\n--- grammar:\n%s", err, logs.take(), g)
		}
	}
	n := 0
	t.Run("json-object", func(t *testing.T) { check(t, JSONObjectGrammar); n++ })
	for _, tc := range schemaCases {
		t.Run("schema-"+tc.name, func(t *testing.T) {
			g, err := SchemaGrammar(json.RawMessage(tc.schema))
			if err != nil {
				t.Fatal(err)
			}
			check(t, g)
			n++
		})
	}
	for _, f := range toolFamilies {
		for _, c := range toolChoices {
			t.Run(fmt.Sprintf("tools-%s-%s%s", f, c.Mode, c.Function), func(t *testing.T) {
				g, err := ToolCallGrammar(f, testTools, c)
				if err != nil {
					t.Fatal(err)
				}
				check(t, g)
				n++
			})
		}
	}
	// A broken grammar is refused, so the check above means something.
	if err := llama.CheckGrammar(m, `root ::= "a" | (`); err == nil {
		t.Error("llama.cpp accepted a broken grammar")
	}
	t.Logf("%d grammars parse in llama.cpp", n)
}

// sampler runs grammar-constrained generation on stories260K.
type sampler struct {
	m   *llama.Model
	ctx *llama.Context
}

func newSampler(t *testing.T) *sampler {
	m := stories(t, false)
	ctx, err := m.NewContext(llama.ContextOptions{NCtx: 1024, NBatch: 512, NSeqMax: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ctx.Close)
	return &sampler{m: m, ctx: ctx}
}

// generate samples up to limit tokens with the grammar; done says the grammar finished (the
// model was left only the end of text).
func (s *sampler) generate(t *testing.T, grammar string, temp float32, seed uint32, limit int) (out string, done bool) {
	t.Helper()
	return s.generateWith(t, grammar, llama.SamplerParams{Temperature: temp, Seed: seed}, limit)
}

func (s *sampler) generateWith(t *testing.T, grammar string, params llama.SamplerParams, limit int) (out string, done bool) {
	t.Helper()
	s.ctx.Clear()
	prompt, err := s.m.Tokenize("Once upon a time", true, false)
	if err != nil {
		t.Fatal(err)
	}
	b := llama.NewBatch(512)
	defer b.Free()
	for i, tok := range prompt {
		b.Add(tok, i, 0, i == len(prompt)-1)
	}
	if err := s.ctx.Decode(b); err != nil {
		t.Fatal(err)
	}
	params.Grammar = grammar
	smp, err := llama.NewSampler(s.m, params)
	if err != nil {
		t.Fatalf("sampler: %v", err)
	}
	defer smp.Free()
	var text []byte
	pos := len(prompt)
	for range limit {
		tok := smp.Sample(s.ctx, b.Len()-1)
		if s.m.IsEOG(tok) {
			return string(text), true
		}
		text = append(text, s.m.Piece(tok, false)...)
		b.Clear()
		b.Add(tok, pos, 0, true)
		pos++
		if err := s.ctx.Decode(b); err != nil {
			t.Fatal(err)
		}
	}
	return string(text), false
}

// runs are the sampling settings each grammar is tried with: greedy and several seeds.
var runs = []struct {
	temp float32
	seed uint32
}{{0, 0}, {0.8, 1}, {0.8, 2}, {0.8, 3}, {0.8, 42}}

const sampleLimit = 400

func TestSchemaGrammarSampling(t *testing.T) {
	s := newSampler(t)
	pass, total := 0, 0
	for _, tc := range schemaCases {
		if !tc.sample {
			continue
		}
		g, err := SchemaGrammar(json.RawMessage(tc.schema))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			total++
			t.Run(fmt.Sprintf("%s/temp%.1f-seed%d", tc.name, r.temp, r.seed), func(t *testing.T) {
				out, done := s.generate(t, g, r.temp, r.seed, sampleLimit)
				if !done {
					t.Fatalf("the grammar did not finish in %d tokens: %q", sampleLimit, out)
				}
				if err := validate([]byte(tc.schema), []byte(out)); err != nil {
					t.Fatalf("output %q does not validate: %v", out, err)
				}
				pass++
				t.Logf("%s", out)
			})
		}
	}
	t.Logf("schema sampling: %d/%d outputs parse and validate", pass, total)
}

func TestToolCallGrammarSampling(t *testing.T) {
	s := newSampler(t)
	params := map[string]string{}
	for _, tl := range testTools {
		params[tl.Function.Name] = string(tl.Function.Parameters)
	}
	pass, total := 0, 0
	for _, f := range toolFamilies {
		for _, c := range toolChoices {
			g, err := ToolCallGrammar(f, testTools, c)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range runs[:3] {
				total++
				t.Run(fmt.Sprintf("%s/%s%s/seed%d", f, c.Mode, c.Function, r.seed), func(t *testing.T) {
					out, done := s.generate(t, g, r.temp, r.seed, sampleLimit)
					if !done {
						t.Fatalf("the grammar did not finish in %d tokens: %q", sampleLimit, out)
					}
					p := NewParser(ParserOptions{Family: f, Tools: true})
					p.Feed(out)
					res := p.Finish()
					if len(res.ToolCalls) != 1 {
						t.Fatalf("parsed %d tool calls from %q (content %q)", len(res.ToolCalls), out, res.Content)
					}
					call := res.ToolCalls[0]
					if c.Mode == "function" && call.Function.Name != c.Function {
						t.Fatalf("called %q, want %q", call.Function.Name, c.Function)
					}
					schema, ok := params[call.Function.Name]
					if !ok {
						t.Fatalf("called unknown function %q", call.Function.Name)
					}
					if err := validate([]byte(schema), call.Function.Arguments); err != nil {
						t.Fatalf("arguments %s do not validate: %v (output %q)", call.Function.Arguments, err, out)
					}
					if strings.TrimSpace(res.Content) != "" {
						t.Errorf("content %q left beside the call", res.Content)
					}
					pass++
				})
			}
		}
	}
	t.Logf("tool-call sampling: %d/%d outputs parse into a valid tool call", pass, total)
}

func TestToolCallGrammarErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		tools  []Tool
		choice ToolChoice
		want   string
	}{
		{"unknown function", testTools, ToolChoice{Mode: "function", Function: "nope"}, "not among the tools"},
		{"required without tools", nil, ToolChoice{Mode: "required"}, "no tools"},
		{"bad mode", testTools, ToolChoice{Mode: "sometimes"}, "not one of"},
		{"bad schema", []Tool{{Function: Function{Name: "f", Parameters: json.RawMessage(`{"type":"nope"}`)}}}, ToolChoice{Mode: "required"}, `tool "f" parameters`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ToolCallGrammar(FamilyHermes, tc.tools, tc.choice)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
	for _, mode := range []string{"", "auto", "none"} {
		if g, err := ToolCallGrammar(FamilyHermes, testTools, ToolChoice{Mode: mode}); g != "" || err != nil {
			t.Errorf("mode %q: (%q, %v), want nothing forced", mode, g, err)
		}
	}
}

func TestAllowThinking(t *testing.T) {
	base, err := ToolCallGrammar(FamilyHermes, testTools, ToolChoice{Mode: "function", Function: "add"})
	if err != nil {
		t.Fatal(err)
	}
	if got := AllowThinking(base, ParserOptions{Family: FamilyHermes}); got != base {
		t.Error("without reasoning the grammar must stay as it is")
	}
	started := AllowThinking(base, ParserOptions{Family: FamilyDeepSeekR1, ThinkingStarted: true})
	optional := AllowThinking(base, ParserOptions{Family: FamilyHermes, Reasoning: true})
	r7b := AllowThinking(base, ParserOptions{Family: FamilyCommandR7B, Reasoning: true})
	golden(t, filepath.Join("grammar", "thinking-started.gbnf"), started)
	golden(t, filepath.Join("grammar", "thinking-optional.gbnf"), optional)

	m := stories(t, true)
	for name, g := range map[string]string{"started": started, "optional": optional, "command-r7b": r7b} {
		if err := llama.CheckGrammar(m, g); err != nil {
			t.Errorf("%s: llama.cpp refuses the grammar: %v\n%s", name, err, g)
		}
	}
	// With the block optional the model may skip it: with "<" banned (so it cannot open the
	// block), a Llama 3 forced call still comes out whole.
	llamaCall, err := ToolCallGrammar(FamilyLlama3, testTools, ToolChoice{Mode: "required"})
	if err != nil {
		t.Fatal(err)
	}
	wrapped := AllowThinking(llamaCall, ParserOptions{Family: FamilyLlama3, Reasoning: true})
	s := newSampler(t)
	ban := map[llama.Token]float32{}
	for tok := range llama.Token(s.m.NVocab()) {
		if strings.Contains(string(s.m.Piece(tok, false)), "<") {
			ban[tok] = -100
		}
	}
	for _, r := range runs {
		out, done := s.generateWith(t, wrapped, llama.SamplerParams{Temperature: r.temp, Seed: r.seed, LogitBias: ban}, sampleLimit)
		if !done {
			t.Errorf("seed %d: the grammar did not finish: %q", r.seed, out)
			continue
		}
		p := NewParser(ParserOptions{Family: FamilyLlama3, Tools: true, Reasoning: true})
		p.Feed(out)
		if res := p.Finish(); len(res.ToolCalls) != 1 {
			t.Errorf("seed %d: %q gave %+v", r.seed, out, res)
		}
	}
}

func TestToolCallGrammarGolden(t *testing.T) {
	for _, f := range toolFamilies {
		t.Run(string(f), func(t *testing.T) {
			g, err := ToolCallGrammar(f, testTools, ToolChoice{Mode: "required"})
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("grammar", "tools-"+string(f)+".gbnf"), g)
		})
	}
}

// Two tools whose names make the same rule names, each with its own $defs of the same name,
// keep their own argument schemas.
func TestToolCallGrammarKeepsToolsApart(t *testing.T) {
	tools := []Tool{
		{Function: Function{Name: "set_x", Parameters: json.RawMessage(`{"$defs":{"v":{"type":"boolean"}},"type":"object","properties":{"v":{"$ref":"#/$defs/v"}},"required":["v"]}`)}},
		{Function: Function{Name: "set-x", Parameters: json.RawMessage(`{"$defs":{"v":{"type":"integer","minimum":0,"maximum":9}},"type":"object","properties":{"v":{"$ref":"#/$defs/v"}},"required":["v"]}`)}},
	}
	s := newSampler(t)
	for _, tl := range tools {
		g, err := ToolCallGrammar(FamilyHermes, tools, ToolChoice{Mode: "function", Function: tl.Function.Name})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range runs {
			out, done := s.generate(t, g, r.temp, r.seed, sampleLimit)
			p := NewParser(ParserOptions{Family: FamilyHermes, Tools: true})
			p.Feed(out)
			res := p.Finish()
			if !done || len(res.ToolCalls) != 1 {
				t.Fatalf("%s seed %d: %q", tl.Function.Name, r.seed, out)
			}
			if err := validate(tl.Function.Parameters, res.ToolCalls[0].Function.Arguments); err != nil {
				t.Errorf("%s seed %d: %s: %v", tl.Function.Name, r.seed, res.ToolCalls[0].Function.Arguments, err)
			}
		}
	}
}
