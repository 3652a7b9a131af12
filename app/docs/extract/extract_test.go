package extract

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/korean"

	"github.com/perchapp/perch/app/docs/chunk"
	"github.com/perchapp/perch/app/docs/pdftest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestRead(t *testing.T) {
	euckr, err := korean.EUCKR.NewEncoder().Bytes([]byte("안녕하세요. 회의록입니다.\r\n둘째 줄"))
	if err != nil {
		t.Fatal(err)
	}
	utf16le := []byte{0xFF, 0xFE, 'h', 0, 'i', 0, '\n', 0, 0x00, 0xAC} // "hi\n가"
	tests := []struct {
		name   string
		data   []byte
		format Format
		kind   chunk.Kind
		text   string // wanted text, or a part of it when contains is set
		err    error
		why    string // in the error message
	}{
		{name: "notes.txt", data: []byte("a\r\nb\rc"), format: FormatText, kind: chunk.Text, text: "a\nb\nc"},
		{name: "README.md", data: []byte("# T\n\nx"), format: FormatMarkdown, kind: chunk.Markdown, text: "# T\n\nx"},
		{name: "main.go", data: []byte("package main\n"), format: FormatCode, kind: chunk.Code, text: "package main\n"},
		{name: "Makefile", data: []byte("all:\n\tgo build\n"), format: FormatCode, kind: chunk.Code, text: "all:\n\tgo build\n"},
		{name: "no-extension", data: []byte("plain words"), format: FormatText, kind: chunk.Text, text: "plain words"},
		{name: "bom.txt", data: []byte("\xEF\xBB\xBFhello"), format: FormatText, text: "hello", kind: chunk.Text},
		{name: "utf16.txt", data: utf16le, format: FormatText, kind: chunk.Text, text: "hi\n가"},
		{name: "회의록.txt", data: euckr, format: FormatText, kind: chunk.Text, text: "안녕하세요. 회의록입니다.\n둘째 줄"},
		{name: "page", data: []byte("<!doctype html><h1>T</h1><p>x</p>"), format: FormatHTML, kind: chunk.Markdown, text: "# T\n\nx"},
		{name: "photo.PNG", data: []byte("\x89PNG"), err: ErrUnsupported, why: "images"},
		{name: "report.docx", data: []byte("PK"), err: ErrUnsupported, why: "export them as PDF"},
		{name: "data.txt", data: []byte("ab\x00cd"), err: ErrBinary, why: "NUL"},
		{name: "latin1.txt", data: []byte("caf\xe9 \xff\xfe\xfd"), err: ErrBinary, why: "not UTF-8"},
		{name: "empty.md", data: []byte(" \n\n "), err: ErrNoText, why: "empty"},
		{name: "scan.pdf", data: pdftest.Drawing(2), err: ErrNoText, why: "no text layer"},
		{name: "fake.pdf", data: []byte("hello"), err: ErrUnreadable, why: "not a PDF"},
		{name: "broken.pdf", data: []byte("%PDF-1.4\n1 0 obj garbage"), err: ErrUnreadable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Read(tt.name, tt.data)
			if tt.err != nil {
				if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.why) {
					t.Fatalf("error %v, want %v mentioning %q", err, tt.err, tt.why)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.Format != tt.format || d.Kind != tt.kind || d.Text != tt.text {
				t.Errorf("got %s/%s %q, want %s/%s %q", d.Format, d.Kind, d.Text, tt.format, tt.kind, tt.text)
			}
		})
	}
}

func TestPDFPages(t *testing.T) {
	d, err := Read("manual.pdf", pdftest.Text("Chapter one\nThe pump runs at 40 bar.", "Chapter two\nReplace the filter (part F-220) yearly."))
	if err != nil {
		t.Fatal(err)
	}
	if d.Format != FormatPDF || len(d.Pages) != 2 {
		t.Fatalf("format %s, %d pages", d.Format, len(d.Pages))
	}
	for _, want := range []string{"The pump runs at 40 bar.", "Replace the filter (part F-220) yearly."} {
		if !strings.Contains(d.Text, want) {
			t.Errorf("text %q lacks %q", d.Text, want)
		}
	}
	if p := d.PageOf(strings.Index(d.Text, "F-220")); p != 2 {
		t.Errorf("F-220 is on page %d, want 2", p)
	}
	if p := d.PageOf(0); p != 1 {
		t.Errorf("offset 0 is on page %d", p)
	}
}

func TestHTMLGolden(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "page.html"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := Read("page.html", src)
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "page.html.golden")
	if *update {
		os.WriteFile(golden, []byte(d.Text), 0o644)
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if d.Text != string(want) {
		t.Errorf("HTML text differs from %s:\n%s", golden, d.Text)
	}
}

func TestTextRefusesNUL(t *testing.T) {
	if _, err := Text("a.txt", "a\x00b"); !errors.Is(err, ErrBinary) {
		t.Errorf("error %v, want ErrBinary", err)
	}
}

func TestSupported(t *testing.T) {
	for name, want := range map[string]bool{"a.md": true, "b.JPG": false, "c": true, "d.zip": false, "e.pdf": true} {
		if Supported(name) != want {
			t.Errorf("Supported(%q) = %v", name, !want)
		}
	}
}
