package chat

import (
	"strings"
	"unicode/utf8"
)

// StopMatcher finds stop strings in generated text that arrives a token at a time. It never
// emits any part of a stop string: text that could be the start of one is held back until the
// next token decides, and so is an incomplete UTF-8 sequence at the end (a token may end in the
// middle of a character). Per token it costs a search of the held text plus the new piece.
// A StopMatcher is used by one goroutine.
type StopMatcher struct {
	stops   []string
	held    string
	stopped bool
}

// NewStopMatcher returns a matcher for the non-empty strings in stops.
func NewStopMatcher(stops []string) *StopMatcher {
	m := &StopMatcher{}
	for _, s := range stops {
		if s != "" {
			m.stops = append(m.stops, s)
		}
	}
	return m
}

// Feed adds the next piece of text. It returns the text that is safe to emit, and whether a stop
// string was found (then word is that stop string, emit ends just before it, and later calls
// return nothing).
func (m *StopMatcher) Feed(text string) (emit string, stopped bool, word string) {
	if m.stopped {
		return "", true, ""
	}
	buf := m.held + text
	// The earliest match wins; at the same place, the longest stop string.
	at := -1
	for _, s := range m.stops {
		if i := strings.Index(buf, s); i >= 0 && (at < 0 || i < at || (i == at && len(s) > len(word))) {
			at, word = i, s
		}
	}
	if at >= 0 {
		m.stopped, m.held = true, ""
		return buf[:at], true, word
	}
	keep := m.partial(buf)
	if k := incompleteUTF8(buf[:len(buf)-keep]); k > 0 {
		keep += k
	}
	m.held = buf[len(buf)-keep:]
	return buf[:len(buf)-keep], false, ""
}

// partial is the length of the longest suffix of buf that is a proper prefix of a stop string.
func (m *StopMatcher) partial(buf string) int {
	best := 0
	for _, s := range m.stops {
		// Only suffixes starting with the stop string's first byte can match; look at those.
		first := s[0]
		lo := max(0, len(buf)-len(s)+1)
		for i := lo; i < len(buf); i++ {
			if buf[i] != first {
				continue
			}
			if strings.HasPrefix(s, buf[i:]) {
				best = max(best, len(buf)-i)
				break // later starts are shorter
			}
		}
	}
	return best
}

// incompleteUTF8 is the number of bytes at the end of s that begin a UTF-8 sequence that is not
// complete yet.
func incompleteUTF8(s string) int {
	for k := 1; k <= 3 && k <= len(s); k++ {
		c := s[len(s)-k]
		if c < 0x80 {
			return 0 // ASCII: nothing pending
		}
		if utf8.RuneStart(c) {
			var need int
			switch {
			case c&0xE0 == 0xC0:
				need = 2
			case c&0xF0 == 0xE0:
				need = 3
			case c&0xF8 == 0xF0:
				need = 4
			default:
				return 0 // not a valid lead byte: nothing to wait for
			}
			if need > k {
				return k
			}
			return 0
		}
	}
	return 0
}

// Flush returns the text held back, at the end of generation.
func (m *StopMatcher) Flush() string {
	h := m.held
	m.held = ""
	return h
}
