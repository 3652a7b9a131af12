package engine

import (
	"strings"
	"unicode/utf8"
)

// ValidText is s with each byte that is not part of valid UTF-8 replaced by U+FFFD, as
// encoding/json writes it. A model can sample byte tokens that make no character (a random
// or a confused model does); the binary worker wire carries them as they are, and every
// consumer (JSON, SQLite chats, the UI) needs text. The worker remembers answers this way too,
// so the next turn's prompt, sent back through JSON, still matches them.
func ValidText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}
