// Package chunk splits a document's text into passages for retrieval. Passages follow the
// document's own structure: a Markdown heading always starts a new passage, paragraphs and
// code blocks are kept whole where they fit, and only a block larger than a passage is cut,
// at sentence ends (or line ends in code) before anything cruder.
//
// Every passage is an exact slice of the text (Start and End are byte offsets, lines are
// 1-based), so a source can be shown and opened at its place. No library is used: the Go
// text splitters at hand return strings without offsets and cut by size first, while a
// retrieval source needs its position and a heading path.
package chunk

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind is how the text is structured.
type Kind string

// Kinds of text.
const (
	// Text is prose: paragraphs separated by blank lines.
	Text Kind = "text"
	// Markdown adds headings (ATX and setext) and fenced code blocks, which are never cut
	// at a blank line inside them.
	Markdown Kind = "markdown"
	// Code is source code: blocks separated by blank lines, cut at line ends when too long.
	Code Kind = "code"
)

// Version changes whenever the same text would be split differently, so documents split by
// an older version are indexed again.
const Version = 1

// Options size the passages. Sizes are in runes, with Hangul, Han and Kana counting double:
// each carries about a word, so a passage holds a similar amount of meaning (and tokens) in
// Korean as in English.
type Options struct {
	// MaxSize is the largest passage; default 1200.
	MaxSize int
}

// DefaultMaxSize suits embedding models with 512 tokens or more of context.
const DefaultMaxSize = 1200

// Passage is one retrievable piece of a document.
type Passage struct {
	Seq int `json:"seq"`
	// Heading is the path of headings the passage sits under, "Guide › Install".
	Heading string `json:"heading,omitempty"`
	// Text is exactly the document's text from Start to End.
	Text      string `json:"text"`
	Start     int    `json:"start"`
	End       int    `json:"end"`
	StartLine int    `json:"start_line"`
	EndLine   int    `json:"end_line"`
}

// HeadingSep joins the levels of a heading path.
const HeadingSep = " › "

// block is a run of lines that belongs together: a paragraph, a heading or a code fence.
type block struct {
	start, end int // byte offsets, without the final newline
	level      int // heading level 1-6; 0 for other blocks
	title      string
	fence      bool
}

// Split cuts text into passages. Empty or blank text gives none.
func Split(text string, kind Kind, o Options) []Passage {
	if o.MaxSize <= 0 {
		o.MaxSize = DefaultMaxSize
	}
	blocks := scan(text, kind)
	s := splitter{text: text, kind: kind, max: o.MaxSize, lines: lineStarts(text)}
	var headings []string // headings[i] is the level i+1 heading in force
	for _, b := range blocks {
		if b.level > 0 {
			// A heading ends the passage before it, unless that passage holds only headings:
			// "# Guide" directly followed by "## Install" belong with Install's text.
			if !s.onlyHeadings {
				s.flush()
			}
			for len(headings) < b.level {
				headings = append(headings, "")
			}
			headings = append(headings[:b.level-1], b.title)
			s.heading = joinHeadings(headings)
			s.add(b.start, b.end, b.fence, true)
			continue
		}
		s.add(b.start, b.end, b.fence, false)
	}
	s.flush()
	return s.out
}

func joinHeadings(hs []string) string {
	var parts []string
	for _, h := range hs {
		if h != "" {
			parts = append(parts, h)
		}
	}
	return strings.Join(parts, HeadingSep)
}

// splitter packs blocks into passages.
type splitter struct {
	text  string
	kind  Kind
	max   int
	lines []int

	heading      string
	curHeading   string // the heading of the passage being built
	start, end   int
	size         int
	open         bool
	onlyHeadings bool
	out          []Passage
}

// add appends the block text[start:end] to the passage being built, or starts a new one.
func (s *splitter) add(start, end int, fence, isHeading bool) {
	n := Size(s.text[start:end])
	switch {
	case n > s.max:
		if !s.open || !s.onlyHeadings {
			s.flush()
		}
		for _, p := range s.cut(start, end, fence) {
			s.add(p[0], p[1], fence, false)
		}
		return
	case s.open && s.size+n > s.max:
		s.flush()
	}
	if !s.open {
		s.open, s.start, s.size, s.onlyHeadings, s.curHeading = true, start, 0, true, s.heading
	}
	s.end = end
	s.size += n
	s.onlyHeadings = s.onlyHeadings && isHeading
	if isHeading {
		s.curHeading = s.heading
	}
}

func (s *splitter) flush() {
	if !s.open {
		return
	}
	s.open = false
	t := strings.TrimRightFunc(s.text[s.start:s.end], unicode.IsSpace)
	if strings.TrimSpace(t) == "" {
		return
	}
	end := s.start + len(t)
	s.out = append(s.out, Passage{
		Seq: len(s.out), Heading: s.curHeading, Text: t, Start: s.start, End: end,
		StartLine: lineOf(s.lines, s.start), EndLine: lineOf(s.lines, max(s.start, end-1)),
	})
}

// cut splits an oversized block into pieces no larger than the maximum: at sentence ends
// in prose, at line ends in code, then at spaces, and at rune boundaries only as a last
// resort (a very long run of text without spaces).
func (s *splitter) cut(start, end int, fence bool) [][2]int {
	units := s.units(start, end, fence || s.kind == Code)
	var out [][2]int
	cs, ce, size := -1, -1, 0
	for _, u := range units {
		n := Size(s.text[u[0]:u[1]])
		if n > s.max {
			if cs >= 0 {
				out = append(out, [2]int{cs, ce})
				cs = -1
			}
			out = append(out, s.hardCut(u[0], u[1])...)
			continue
		}
		if cs >= 0 && size+n > s.max {
			out = append(out, [2]int{cs, ce})
			cs = -1
		}
		if cs < 0 {
			cs, size = u[0], 0
		}
		ce = u[1]
		size += n
	}
	if cs >= 0 {
		out = append(out, [2]int{cs, ce})
	}
	return out
}

// units splits text[start:end] into lines (code) or sentences (prose); each unit keeps its
// trailing whitespace so that units joined again give back the text.
func (s *splitter) units(start, end int, byLine bool) [][2]int {
	t := s.text[start:end]
	var out [][2]int
	from := 0
	for i := 0; i < len(t); {
		r, w := utf8.DecodeRuneInString(t[i:])
		i += w
		boundary := r == '\n'
		if !byLine && !boundary && isSentenceEnd(r) {
			// The end of a sentence is the punctuation, any closing quotes or brackets, and
			// the space after it.
			for i < len(t) {
				c, cw := utf8.DecodeRuneInString(t[i:])
				if !strings.ContainsRune(`"')]}”’」』`, c) {
					break
				}
				i += cw
			}
			if i >= len(t) {
				boundary = true
			} else if c, _ := utf8.DecodeRuneInString(t[i:]); unicode.IsSpace(c) || isCJKStop(r) {
				boundary = true
			}
		}
		if boundary && !byLine {
			for i < len(t) && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n') {
				i++
			}
		}
		if boundary {
			out = append(out, [2]int{start + from, start + i})
			from = i
		}
	}
	if from < len(t) {
		out = append(out, [2]int{start + from, end})
	}
	return out
}

// hardCut splits at the last space before the limit, or at a rune boundary.
func (s *splitter) hardCut(start, end int) [][2]int {
	var out [][2]int
	for start < end {
		size, i, lastSpace := 0, start, -1
		for i < end {
			r, w := utf8.DecodeRuneInString(s.text[i:])
			if size+runeSize(r) > s.max {
				break
			}
			size += runeSize(r)
			i += w
			if unicode.IsSpace(r) {
				lastSpace = i
			}
		}
		if i < end && lastSpace > start {
			i = lastSpace
		}
		if i == start { // cannot happen with max >= 2, but never loop forever
			_, w := utf8.DecodeRuneInString(s.text[i:])
			i += w
		}
		out = append(out, [2]int{start, i})
		start = i
	}
	return out
}

func isSentenceEnd(r rune) bool {
	switch r {
	case '.', '!', '?', '…', '。', '！', '？':
		return true
	}
	return false
}

// isCJKStop is a full stop that needs no space after it.
func isCJKStop(r rune) bool { return r == '。' || r == '！' || r == '？' }

// Size measures text in the units of Options.MaxSize.
func Size(t string) int {
	n := 0
	for _, r := range t {
		n += runeSize(r)
	}
	return n
}

func runeSize(r rune) int {
	if r >= 0x1100 && (unicode.Is(unicode.Hangul, r) || unicode.Is(unicode.Han, r) ||
		unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r)) {
		return 2
	}
	return 1
}

// lineStarts lists the byte offset where each line begins.
func lineStarts(t string) []int {
	ls := []int{0}
	for i := 0; i < len(t); i++ {
		if t[i] == '\n' {
			ls = append(ls, i+1)
		}
	}
	return ls
}

// lineOf is the 1-based line of byte offset off.
func lineOf(ls []int, off int) int {
	lo, hi := 0, len(ls)
	for lo < hi {
		m := (lo + hi) / 2
		if ls[m] <= off {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}
