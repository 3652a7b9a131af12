// Package pdftest writes small, valid PDF files for tests: one page per string, set in
// Helvetica with a real text layer, or pages with only a drawing (like a scan, no text).
package pdftest

import (
	"bytes"
	"fmt"
	"strings"
)

// Text returns a PDF whose pages show the given texts, one line per \n. Only ASCII is
// supported (the standard fonts have no Hangul).
func Text(pages ...string) []byte {
	contents := make([]string, len(pages))
	for i, p := range pages {
		var b strings.Builder
		b.WriteString("BT /F1 12 Tf 72 720 Td 14 TL\n")
		for _, line := range strings.Split(p, "\n") {
			fmt.Fprintf(&b, "(%s) Tj T*\n", escape(line))
		}
		b.WriteString("ET")
		contents[i] = b.String()
	}
	return build(contents)
}

// Drawing returns a PDF of n pages that hold only a filled rectangle: pages, but no text.
func Drawing(n int) []byte {
	contents := make([]string, n)
	for i := range contents {
		contents[i] = "0.5 g 72 72 300 400 re f"
	}
	return build(contents)
}

func escape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `(`, `\(`, `)`, `\)`)
	return r.Replace(s)
}

// build lays out the objects: 1 catalog, 2 page tree, 3 font, then a page and its content
// stream for each page, and a cross-reference table with exact offsets.
func build(contents []string) []byte {
	var objs []string
	kids := make([]string, len(contents))
	for i := range contents {
		kids[i] = fmt.Sprintf("%d 0 R", 4+2*i)
	}
	objs = append(objs,
		"<< /Type /Catalog /Pages 2 0 R >>",
		fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.Join(kids, " "), len(contents)),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	for i, c := range contents {
		objs = append(objs,
			fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", 5+2*i),
			fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(c), c))
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}
