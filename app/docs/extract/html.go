package extract

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// htmlText keeps what a reader sees: the body's text, one paragraph per block element,
// h1-h6 as Markdown headings (so passages follow the page's sections), list items as "- "
// lines and <pre> as it is. Scripts, styles and the head are dropped.
func htmlText(src string) string {
	z := html.NewTokenizer(strings.NewReader(src))
	var (
		b       strings.Builder
		line    strings.Builder // the text of the block being read, spaces collapsed
		skip    int             // depth inside script, style, head...
		pre     int
		heading int
		space   bool
	)
	endBlock := func() {
		t := strings.TrimSpace(line.String())
		line.Reset()
		space = false
		if t == "" {
			return
		}
		if heading > 0 {
			t = strings.Repeat("#", heading) + " " + strings.Join(strings.Fields(t), " ")
		}
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(t)
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			endBlock()
			return normalize(b.String())
		case html.TextToken:
			if skip > 0 {
				continue
			}
			t := string(z.Text())
			if pre > 0 {
				line.WriteString(t)
				continue
			}
			for _, r := range t {
				if r == ' ' || r == '\n' || r == '\t' || r == '\r' || r == '\f' {
					space = line.Len() > 0
					continue
				}
				if space {
					line.WriteByte(' ')
					space = false
				}
				line.WriteRune(r)
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			start := tt != html.EndTagToken
			switch a {
			case atom.Script, atom.Style, atom.Head, atom.Noscript, atom.Template, atom.Svg, atom.Iframe, atom.Object:
				if tt == html.SelfClosingTagToken {
					continue
				}
				if start {
					skip++
				} else if skip > 0 {
					skip--
				}
				continue
			}
			if skip > 0 {
				continue
			}
			switch a {
			case atom.Br:
				line.WriteByte('\n')
				space = false
			case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
				endBlock()
				if start {
					heading = int(name[1] - '0')
				} else {
					heading = 0
				}
			case atom.Pre:
				endBlock()
				if start {
					pre++
				} else if pre > 0 {
					pre--
				}
			case atom.Li:
				endBlock()
				if start {
					line.WriteString("- ")
				}
			case atom.P, atom.Div, atom.Section, atom.Article, atom.Main, atom.Header, atom.Footer,
				atom.Nav, atom.Aside, atom.Blockquote, atom.Ul, atom.Ol, atom.Dl, atom.Dt, atom.Dd,
				atom.Table, atom.Tr, atom.Figure, atom.Figcaption, atom.Hr, atom.Form, atom.Fieldset,
				atom.Details, atom.Summary, atom.Address, atom.Caption, atom.Body, atom.Html:
				endBlock()
			case atom.Td, atom.Th:
				// Cells of a row share a line, as in a Markdown table.
				if start && line.Len() > 0 {
					line.WriteString(" | ")
					space = false
				}
			}
		}
	}
}
