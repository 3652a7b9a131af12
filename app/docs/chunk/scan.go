package chunk

import "strings"

// scan cuts text into blocks: paragraphs separated by blank lines and, in Markdown, headings
// and fenced code blocks (which may hold blank lines). It follows CommonMark where that is
// cheap (ATX and setext headings, ``` and ~~~ fences with up to three spaces of indent) and
// is line-based otherwise, which is all passage boundaries need.
func scan(text string, kind Kind) []block {
	var (
		out            []block
		para, paraEnd  = -1, 0
		paraLines      []string
		fenceStart     = -1
		fenceChar      byte
		fenceLen, last int
	)
	endPara := func() {
		if para >= 0 {
			out = append(out, block{start: para, end: paraEnd})
		}
		para, paraLines = -1, paraLines[:0]
	}
	for ls := 0; ls < len(text); {
		le := strings.IndexByte(text[ls:], '\n')
		next := 0
		if le < 0 {
			le, next = len(text), len(text)
		} else {
			le += ls
			next = le + 1
		}
		line := strings.TrimSuffix(text[ls:le], "\r")
		last = le
		switch {
		case kind != Markdown:
		case fenceStart >= 0:
			if closesFence(line, fenceChar, fenceLen) {
				out = append(out, block{start: fenceStart, end: le, fence: true})
				fenceStart = -1
			}
			ls = next
			continue
		default:
			if c, n, ok := opensFence(line); ok {
				endPara()
				fenceStart, fenceChar, fenceLen = ls, c, n
				ls = next
				continue
			}
			if level, title, ok := atxHeading(line); ok {
				endPara()
				out = append(out, block{start: ls, end: le, level: level, title: title})
				ls = next
				continue
			}
			if level := setextUnderline(line); level > 0 && para >= 0 {
				title := strings.Join(strings.Fields(strings.Join(paraLines, " ")), " ")
				out = append(out, block{start: para, end: le, level: level, title: title})
				para, paraLines = -1, paraLines[:0]
				ls = next
				continue
			}
		}
		if strings.TrimSpace(line) == "" {
			endPara()
		} else {
			if para < 0 {
				para = ls
			}
			paraEnd = le
			paraLines = append(paraLines, line)
		}
		ls = next
	}
	if fenceStart >= 0 { // an unclosed fence runs to the end, as in CommonMark
		out = append(out, block{start: fenceStart, end: last, fence: true})
	}
	endPara()
	return out
}

// indent returns line without up to three leading spaces, or false when it is indented
// further (an indented code block in Markdown).
func indent(line string) (string, bool) {
	for i := 0; i < 4; i++ {
		if i == len(line) || line[i] != ' ' {
			return line[i:], true
		}
	}
	return "", false
}

func opensFence(line string) (byte, int, bool) {
	l, ok := indent(line)
	if !ok || len(l) < 3 || (l[0] != '`' && l[0] != '~') {
		return 0, 0, false
	}
	c := l[0]
	n := 0
	for n < len(l) && l[n] == c {
		n++
	}
	if n < 3 || (c == '`' && strings.IndexByte(l[n:], '`') >= 0) {
		return 0, 0, false
	}
	return c, n, true
}

func closesFence(line string, c byte, n int) bool {
	l, ok := indent(line)
	if !ok {
		return false
	}
	k := 0
	for k < len(l) && l[k] == c {
		k++
	}
	return k >= n && strings.TrimSpace(l[k:]) == ""
}

func atxHeading(line string) (int, string, bool) {
	l, ok := indent(line)
	if !ok {
		return 0, "", false
	}
	n := 0
	for n < len(l) && l[n] == '#' {
		n++
	}
	if n == 0 || n > 6 || (n < len(l) && l[n] != ' ' && l[n] != '\t') {
		return 0, "", false
	}
	title := strings.TrimSpace(l[n:])
	// A closing run of #s is not part of the title when a space precedes it.
	if t := strings.TrimRight(title, "#"); t != title && (t == "" || strings.HasSuffix(t, " ") || strings.HasSuffix(t, "\t")) {
		title = strings.TrimSpace(t)
	}
	return n, title, true
}

// setextUnderline is 1 for a line of =, 2 for a line of - (three or more, so that a stray
// "-" or "--" under a paragraph is not taken for one), 0 otherwise.
func setextUnderline(line string) int {
	l, ok := indent(line)
	if !ok {
		return 0
	}
	l = strings.TrimRight(l, " \t")
	if len(l) < 3 {
		return 0
	}
	if strings.Trim(l, "=") == "" {
		return 1
	}
	if strings.Trim(l, "-") == "" {
		return 2
	}
	return 0
}
