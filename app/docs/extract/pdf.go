package extract

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/ledongthuc/pdf"

	"github.com/perchapp/perch/app/docs/chunk"
)

// readPDF reads the text layer page by page (github.com/ledongthuc/pdf, pure Go). Pages are
// separated by a blank line, so no passage starts mid-paragraph across a page break, and
// Doc.Pages records where each begins for the sources' page numbers. A PDF with pages but no
// text is most likely scanned: the error says so.
func readPDF(data []byte) (d Doc, err error) {
	// The parser panics on some malformed files; a bad upload must not take the server down.
	defer func() {
		if r := recover(); r != nil {
			d, err = Doc{}, fmt.Errorf("%w: the PDF is damaged (%v)", ErrUnreadable, r)
		}
	}()
	if !bytes.HasPrefix(bytes.TrimLeft(data[:min(len(data), 1024)], "\x00\t\n\r "), []byte("%PDF-")) {
		return Doc{}, fmt.Errorf("%w: the file is named .pdf but is not a PDF", ErrUnreadable)
	}
	r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		if strings.Contains(err.Error(), "encrypt") || strings.Contains(err.Error(), "password") {
			return Doc{}, fmt.Errorf("%w: the PDF is encrypted; remove its password first", ErrUnreadable)
		}
		return Doc{}, fmt.Errorf("%w: the PDF could not be parsed: %v", ErrUnreadable, err)
	}
	n := r.NumPage()
	if n == 0 {
		return Doc{}, fmt.Errorf("%w: the PDF has no pages", ErrNoText)
	}
	var b strings.Builder
	pages := make([]int, 0, n)
	for i := 1; i <= n; i++ {
		p := r.Page(i)
		if p.V.IsNull() {
			continue
		}
		// Font names are per page (F1 may differ between pages), so no cache is shared.
		t, err := p.GetPlainText(nil)
		if err != nil {
			return Doc{}, fmt.Errorf("%w: page %d of the PDF could not be read: %v", ErrUnreadable, i, err)
		}
		t = strings.TrimSpace(normalize(t))
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		pages = append(pages, b.Len())
		b.WriteString(t)
	}
	if strings.TrimSpace(b.String()) == "" {
		return Doc{}, fmt.Errorf("%w: the PDF has %d page(s) but no text layer (probably scanned); run it through OCR first", ErrNoText, n)
	}
	return Doc{Format: FormatPDF, Kind: chunk.Text, Text: b.String(), Pages: pages}, nil
}
