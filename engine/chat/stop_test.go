package chat

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestStopMatcher(t *testing.T) {
	for _, tc := range []struct {
		name    string
		stops   []string
		tokens  []string
		want    string // all emitted text, Flush included when not stopped
		stopped bool
		word    string
	}{
		{"no stops", nil, []string{"Hello", " world"}, "Hello world", false, ""},
		{"single token", []string{"<|im_end|>"}, []string{"Hi", "<|im_end|>", "more"}, "Hi", true, "<|im_end|>"},
		{"across tokens", []string{"</s>"}, []string{"Hi <", "/", "s> tail"}, "Hi ", true, "</s>"},
		{"inside a token", []string{"END"}, []string{"abcENDxyz"}, "abc", true, "END"},
		{"false start released", []string{"</s>"}, []string{"a <", "b"}, "a <b", false, ""},
		{"partial at the end is flushed", []string{"User:"}, []string{"Hello Use"}, "Hello Use", false, ""},
		{"overlapping stops, earliest wins", []string{"bcd", "abc"}, []string{"xab", "cd"}, "x", true, "abc"},
		{"same place, longest wins", []string{"ab", "abc"}, []string{"xabc"}, "x", true, "abc"},
		{"repeated prefix", []string{"aab"}, []string{"a", "a", "a", "b", "c"}, "a", true, "aab"},
		{"prefix after failed candidate", []string{"abcda"}, []string{"xaxya"}, "xaxya", false, ""},
		{"multi-byte stop", []string{"。"}, []string{"你好", "\xe3\x80", "\x82再见"}, "你好", true, "。"},
		{"split character held", []string{"STOP"}, []string{"caf\xc3", "\xa9 ok"}, "café ok", false, ""},
		{"emoji split in three", []string{"X"}, []string{"\xf0\x9f", "\x8c", "\x8d!"}, "🌍!", false, ""},
		{"empty stop ignored", []string{""}, []string{"abc"}, "abc", false, ""},
		{"newline stop", []string{"\n\n"}, []string{"line\n", "\nnext"}, "line", true, "\n\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := NewStopMatcher(tc.stops)
			var out strings.Builder
			var stopped bool
			var word string
			for _, tok := range tc.tokens {
				emit, st, w := m.Feed(tok)
				if !utf8.ValidString(emit) {
					t.Errorf("Feed(%q) emitted a broken character: %q", tok, emit)
				}
				out.WriteString(emit)
				if st {
					stopped, word = true, w
					break
				}
			}
			if !stopped {
				out.WriteString(m.Flush())
			}
			if out.String() != tc.want || stopped != tc.stopped || word != tc.word {
				t.Errorf("got (%q, %v, %q), want (%q, %v, %q)", out.String(), stopped, word, tc.want, tc.stopped, tc.word)
			}
		})
	}
}

// The stop matcher runs once per token: it must stay cheap however long the answer grows.
func BenchmarkStopMatcher(b *testing.B) {
	m := NewStopMatcher([]string{"<|im_end|>", "</s>", "\nUser:", "###"})
	tok := []string{"Once", " upon", " a", " time", ",", " there", " was", " <", "b", ">"}
	b.ReportAllocs()
	for i := range b.N {
		m.Feed(tok[i%len(tok)])
	}
}
