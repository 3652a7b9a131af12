package llama_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/perchapp/perch/engine/llama"
	"github.com/perchapp/perch/engine/sharedtest"
)

func mustTokenize(t testing.TB, m *llama.Model, text string, addSpecial, parseSpecial bool) []llama.Token {
	t.Helper()
	toks, err := m.Tokenize(text, addSpecial, parseSpecial)
	if err != nil {
		t.Fatalf("tokenize %q: %v", text[:min(len(text), 40)], err)
	}
	return toks
}

func loadStories(t testing.TB) *llama.Model {
	t.Helper()
	if err := llama.Init(""); err != nil {
		sharedtest.Skipf(t, "llama.cpp runtime not available (run make engine): %v", err)
	}
	m, err := llama.LoadModel(sharedtest.Model(t, "stories260K.gguf"), llama.ModelOptions{VocabOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

// TestHostileNULTokenize: a NUL is a byte like any other. llama.cpp got a null pointer for
// any text holding one and aborted the process (so this test, on the old code, dies).
func TestHostileNULTokenize(t *testing.T) {
	m := loadStories(t)
	plain := mustTokenize(t, m, "ab", false, false)
	for _, c := range []struct{ name, text string }{
		{"middle", "a\x00b"},
		{"only", "\x00"},
		{"end", "ab\x00"},
		{"many", strings.Repeat("\x00", 100)},
		{"special parsed", "<s>a\x00b</s>"},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, special := range []bool{false, true} {
				toks := mustTokenize(t, m, c.text, special, special)
				if len(toks) == 0 {
					t.Fatal("no tokens")
				}
				for _, tk := range toks {
					if !m.ValidToken(tk) {
						t.Fatalf("token %d outside the vocabulary", tk)
					}
				}
				text, err := m.Detokenize(toks, special, false)
				if err != nil {
					t.Fatal(err)
				}
				if strings.Count(text, "\x00") != strings.Count(c.text, "\x00") {
					t.Errorf("detokenized %q keeps %d NULs of %d", text, strings.Count(text, "\x00"), strings.Count(c.text, "\x00"))
				}
			}
		})
	}
	// The NUL is one byte token between the tokens of its neighbours.
	mid := mustTokenize(t, m, "a\x00b", false, false)
	if len(mid) < len(plain)+1 || string(m.Piece(mid[1], false)) != "\x00" {
		t.Errorf("a\\x00b → %v (pieces %q %q); want a's token, the NUL byte token, then b", mid, m.Piece(mid[0], false), m.Piece(mid[min(1, len(mid)-1)], false))
	}
}

// TestHostileTokenizeEdges: empty text, invalid UTF-8 and a megabyte of text.
func TestHostileTokenizeEdges(t *testing.T) {
	m := loadStories(t)
	if toks := mustTokenize(t, m, "", false, false); len(toks) != 0 {
		t.Errorf("empty text → %v, want no tokens", toks)
	}
	if toks := mustTokenize(t, m, "", true, false); len(toks) != 1 || toks[0] != m.BOS() {
		t.Errorf("empty text with specials → %v, want just BOS", toks)
	}
	for _, s := range []string{"\xff\xfe", "a\xc3", "\xe2\x82", "\xed\xa0\x80", "\xf4\x90\x80\x80"} {
		toks := mustTokenize(t, m, s, true, true)
		if len(toks) < 2 {
			t.Errorf("%q → %v", s, toks)
		}
	}
	// One token a byte: more tokens than the first guess of half the length.
	if toks := mustTokenize(t, m, strings.Repeat("\x00 ", 100000), true, false); len(toks) < 150000 {
		t.Errorf("100,000 NUL-spaces gave %d tokens", len(toks))
	}
	big := strings.Repeat("Once upon a time there was a dog. ", 1<<20/34)
	if toks := mustTokenize(t, m, big, true, false); len(toks) < 100000 {
		t.Errorf("a megabyte of text gave only %d tokens", len(toks))
	}
}

// TestBadInputCStrings: strings llama.cpp reads as C strings are refused with a typed error
// before they get there, instead of being cut at the NUL (or passed as a null pointer).
func TestBadInputCStrings(t *testing.T) {
	m := loadStories(t)
	if err := llama.CheckGrammar(m, "root ::= \"a\x00b\""); !errors.Is(err, llama.ErrGrammar) || !errors.Is(err, llama.ErrNULByte) {
		t.Errorf("grammar with a NUL: %v", err)
	}
	if _, err := llama.NewSampler(m, llama.SamplerParams{Grammar: "root ::= \"a\"\x00junk"}); !errors.Is(err, llama.ErrNULByte) {
		t.Errorf("sampler grammar with a NUL: %v", err)
	}
	path := sharedtest.Model(t, "stories260K.gguf")
	if _, err := llama.LoadModel(path+"\x00.other", llama.ModelOptions{VocabOnly: true}); !errors.Is(err, llama.ErrNULByte) {
		t.Errorf("model path with a NUL: %v", err)
	}
	if err := llama.Quantize(path, t.TempDir()+"/out\x00.gguf", "Q8_0", 1); !errors.Is(err, llama.ErrNULByte) {
		t.Errorf("quantize path with a NUL: %v", err)
	}
	if _, err := m.Detokenize([]llama.Token{1, 99999}, false, false); !errors.Is(err, llama.ErrInvalidToken) {
		t.Errorf("detokenize of a token outside the vocabulary: %v", err)
	}
	if _, err := m.Detokenize([]llama.Token{-1}, false, false); !errors.Is(err, llama.ErrInvalidToken) {
		t.Errorf("detokenize of a negative token: %v", err)
	}
}

// FuzzTokenize feeds arbitrary bytes to the real tokenizer: it must never crash, every token
// must be in the vocabulary, and detokenizing gives back the text. Its seeds run in go test;
// `go test ./engine/llama -run '^$' -fuzz FuzzTokenize -fuzztime 30s` explores further.
func FuzzTokenize(f *testing.F) {
	for _, s := range []string{"", "a\x00b", "\x00", "Once upon a time", "\xff\xfe\xfd", "a\xc3", "<s></s><unk>",
		"한국어 이야기", "  lead and trail  ", "\t\n\r", "\xed\xa0\x80", "<0x00>", strings.Repeat("\x00a", 64)} {
		f.Add(s, false)
		f.Add(s, true)
	}
	m := loadStories(f)
	f.Fuzz(func(t *testing.T, text string, special bool) {
		toks, err := m.Tokenize(text, special, special)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range toks {
			if !m.ValidToken(tk) {
				t.Fatalf("token %d outside the vocabulary", tk)
			}
		}
		back, err := m.Detokenize(toks, special, false)
		if err != nil {
			t.Fatal(err)
		}
		// Without special tokens valid UTF-8 comes back exactly. Invalid UTF-8 need not: SPM
		// reads a lead byte's length before escaping spaces, so "\xee " comes back "\xee▁".
		if !special && utf8.ValidString(text) && back != text {
			t.Errorf("%q → %v → %q", text, toks, back)
		}
	})
}
