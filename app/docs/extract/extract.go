// Package extract turns a file's bytes into the plain text that is split and indexed: text
// and Markdown as they are (UTF-8, UTF-16 with a byte-order mark, or legacy Korean EUC-KR),
// source code, HTML without its markup (headings kept as Markdown headings), and PDF text
// layers page by page. What cannot be read as text is refused with a reason a person can
// act on, never indexed as noise.
package extract

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"golang.org/x/text/encoding/korean"

	"github.com/perchapp/perch/app/docs/chunk"
)

// Format is what a file was read as.
type Format string

// Formats.
const (
	FormatText     Format = "text"
	FormatMarkdown Format = "markdown"
	FormatCode     Format = "code"
	FormatHTML     Format = "html"
	FormatPDF      Format = "pdf"
)

// Reasons a file is not indexed. Each error wraps one of these.
var (
	// ErrUnsupported is a format that holds no readable text for us (images, archives,
	// office documents).
	ErrUnsupported = errors.New("unsupported file type")
	// ErrBinary is content that is not text.
	ErrBinary = errors.New("binary content")
	// ErrNoText is a document with nothing to index, such as a scanned PDF without a text
	// layer.
	ErrNoText = errors.New("no text")
	// ErrUnreadable is a file the parser could not read (damaged or encrypted).
	ErrUnreadable = errors.New("unreadable")
)

// Doc is a file's text.
type Doc struct {
	Format Format
	// Kind tells the splitter how the text is structured.
	Kind chunk.Kind
	// Text uses \n line ends.
	Text string
	// Pages holds the byte offset in Text where each page begins (PDF only).
	Pages []int
}

// PageOf returns the 1-based page of byte offset off, or 0 when the document has no pages.
func (d Doc) PageOf(off int) int {
	page := 0
	for i, start := range d.Pages {
		if start > off {
			break
		}
		page = i + 1
	}
	return page
}

// Supported reports whether name's extension is one Read may accept; unknown extensions are
// sniffed, so this is only a cheap first filter for folder scans.
func Supported(name string) bool {
	_, refused := refusedExt[strings.ToLower(filepath.Ext(name))]
	return !refused
}

// Read extracts the text of a file called name (its extension picks the format; files
// without a known one are accepted when their content is text).
func Read(name string, data []byte) (Doc, error) {
	ext := strings.ToLower(filepath.Ext(name))
	if why, ok := refusedExt[ext]; ok {
		return Doc{}, fmt.Errorf("%w: %s", ErrUnsupported, why)
	}
	format, known := formatOf(name)
	if format == FormatPDF {
		return readPDF(data)
	}
	if !known && bytes.HasPrefix(data, []byte("%PDF-")) {
		return readPDF(data)
	}
	text, err := decodeText(data)
	if err != nil {
		return Doc{}, err
	}
	if !known && looksLikeHTML(text) {
		format = FormatHTML
	}
	var d Doc
	switch format {
	case FormatHTML:
		d = Doc{Format: FormatHTML, Kind: chunk.Markdown, Text: htmlText(text)}
	case FormatMarkdown:
		d = Doc{Format: format, Kind: chunk.Markdown, Text: text}
	case FormatCode:
		d = Doc{Format: format, Kind: chunk.Code, Text: text}
	default:
		d = Doc{Format: FormatText, Kind: chunk.Text, Text: text}
	}
	if strings.TrimSpace(d.Text) == "" {
		return Doc{}, fmt.Errorf("%w: the file is empty", ErrNoText)
	}
	return d, nil
}

// Text wraps text given directly (not a file) as a document; name's extension picks the
// structure (a .md name is split as Markdown).
func Text(name, text string) (Doc, error) {
	if !utf8.ValidString(text) {
		return Doc{}, fmt.Errorf("%w: the text is not valid UTF-8", ErrBinary)
	}
	if strings.IndexByte(text, 0) >= 0 {
		return Doc{}, fmt.Errorf("%w: the text contains NUL characters", ErrBinary)
	}
	return Read(name, []byte(text))
}

// decodeText returns data as UTF-8 with \n line ends, or ErrBinary.
func decodeText(data []byte) (string, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		data = data[3:]
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return normalize(utf16Text(data)), nil
	}
	sniff := data[:min(len(data), 8192)]
	if bytes.IndexByte(sniff, 0) >= 0 {
		return "", fmt.Errorf("%w: the file contains NUL bytes, so it is not text", ErrBinary)
	}
	if utf8.Valid(data) {
		return normalize(string(data)), nil
	}
	// Korean documents from older Windows tools are often EUC-KR (CP949). Accept the
	// decoding only when it is clean and mostly Hangul, so other binary data is not
	// mistaken for it.
	if s, err := korean.EUCKR.NewDecoder().Bytes(data); err == nil && utf8.Valid(s) && mostlyHangul(string(s)) {
		return normalize(string(s)), nil
	}
	return "", fmt.Errorf("%w: the file is not UTF-8 text (nor UTF-16 or EUC-KR)", ErrBinary)
}

func utf16Text(data []byte) string {
	big := data[0] == 0xFE
	data = data[2:]
	u := make([]uint16, len(data)/2)
	for i := range u {
		if big {
			u[i] = uint16(data[2*i])<<8 | uint16(data[2*i+1])
		} else {
			u[i] = uint16(data[2*i+1])<<8 | uint16(data[2*i])
		}
	}
	return string(utf16.Decode(u))
}

func mostlyHangul(s string) bool {
	var hangul, other int
	for _, r := range s {
		switch {
		case r >= 0xAC00 && r <= 0xD7A3:
			hangul++
		case r > 0x7F:
			other++
		}
	}
	return hangul > 0 && hangul >= 4*other
}

// normalize makes line ends \n and drops the replacement characters and control characters
// (other than tab, newline and form feed) that would only confuse the tokenizer.
func normalize(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.Map(func(r rune) rune {
		if (r < 0x20 && r != '\n' && r != '\t' && r != '\f') || r == 0x7F || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
}

func formatOf(name string) (Format, bool) {
	base := strings.ToLower(filepath.Base(name))
	ext := filepath.Ext(base)
	switch {
	case ext == ".pdf":
		return FormatPDF, true
	case ext == ".html" || ext == ".htm" || ext == ".xhtml":
		return FormatHTML, true
	case ext == ".md" || ext == ".markdown" || ext == ".mdx" || ext == ".mdown":
		return FormatMarkdown, true
	case codeExt[ext] || codeNames[base]:
		return FormatCode, true
	case textExt[ext]:
		return FormatText, true
	}
	return FormatText, false
}

func looksLikeHTML(s string) bool {
	head := strings.ToLower(strings.TrimSpace(s[:min(len(s), 512)]))
	return strings.HasPrefix(head, "<!doctype html") || strings.HasPrefix(head, "<html")
}

var textExt = set(".txt", ".text", ".log", ".csv", ".tsv", ".rst", ".org", ".adoc", ".asciidoc", ".tex", ".srt", ".vtt", ".rtf")

var codeExt = set(".go", ".py", ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".java", ".kt", ".kts",
	".swift", ".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".hh", ".m", ".mm", ".rs", ".rb", ".php",
	".cs", ".fs", ".scala", ".sh", ".bash", ".zsh", ".fish", ".ps1", ".sql", ".yaml", ".yml",
	".toml", ".json", ".jsonc", ".xml", ".ini", ".cfg", ".conf", ".lua", ".r", ".pl", ".dart",
	".vue", ".svelte", ".css", ".scss", ".less", ".proto", ".gradle", ".cmake", ".zig", ".ex",
	".exs", ".erl", ".hs", ".ml", ".clj", ".el", ".vim", ".nix", ".tf", ".graphql", ".ipynb")

var codeNames = set("makefile", "dockerfile", "gemfile", "rakefile", "justfile", "cmakelists.txt")

// refusedExt are formats refused without reading them, with the reason shown to the user.
var refusedExt = func() map[string]string {
	m := map[string]string{}
	add := func(why string, exts ...string) {
		for _, e := range exts {
			m[e] = why
		}
	}
	add("images hold no text to index", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".heic", ".bmp", ".tiff", ".tif", ".ico", ".svgz", ".psd")
	add("audio and video are not indexed", ".mp3", ".m4a", ".wav", ".flac", ".ogg", ".mp4", ".mov", ".mkv", ".avi", ".webm")
	add("archives are not opened; extract them first", ".zip", ".gz", ".tgz", ".bz2", ".xz", ".7z", ".rar", ".tar", ".dmg", ".iso", ".zst")
	add("office documents are not supported yet; export them as PDF or text", ".docx", ".doc", ".xlsx", ".xls", ".pptx", ".ppt", ".pages", ".numbers", ".key", ".odt", ".ods", ".odp", ".hwp", ".hwpx")
	add("programs and libraries are not text", ".exe", ".dll", ".so", ".dylib", ".a", ".o", ".class", ".jar", ".wasm", ".pyc", ".bin")
	add("model and data files are not documents", ".gguf", ".safetensors", ".pt", ".onnx", ".npy", ".parquet", ".sqlite", ".db")
	add("fonts are not documents", ".ttf", ".otf", ".woff", ".woff2")
	return m
}()

func set(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}
