package chunk

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestGolden splits the documents in testdata and compares the passages, with their
// positions and heading paths, to golden files. A small passage size makes every rule show:
// headings start passages, a heading-only passage joins the next, fenced code keeps its blank
// line, long paragraphs are cut at sentence ends (Korean too), code at line ends, and a run
// without spaces at the size limit.
func TestGolden(t *testing.T) {
	tests := []struct {
		file string
		kind Kind
		max  int
	}{
		{"guide.md", Markdown, 300},
		{"korean.md", Markdown, 300},
		{"notes.txt", Text, 120},
		{"server.go", Code, 300},
		{"nospaces.txt", Text, 300},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			text := string(b)
			ps := Split(text, tt.kind, Options{MaxSize: tt.max})
			checkInvariants(t, text, ps, tt.max)
			got := render(ps)
			golden := filepath.Join("testdata", tt.file+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("passages differ from %s (run with -update after checking):\n%s", golden, got)
			}
		})
	}
}

func render(ps []Passage) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "--- passage %d · lines %d-%d · bytes %d-%d · size %d", p.Seq, p.StartLine, p.EndLine, p.Start, p.End, Size(p.Text))
		if p.Heading != "" {
			fmt.Fprintf(&b, " · heading: %s", p.Heading)
		}
		fmt.Fprintf(&b, "\n%s\n", p.Text)
	}
	return b.String()
}

// checkInvariants: passages are exact, ordered, non-overlapping slices within the size.
func checkInvariants(t *testing.T, text string, ps []Passage, max int) {
	t.Helper()
	prev := 0
	for i, p := range ps {
		if p.Seq != i {
			t.Errorf("passage %d has seq %d", i, p.Seq)
		}
		if p.Start < prev || p.End <= p.Start || p.End > len(text) {
			t.Fatalf("passage %d spans %d-%d after %d (text %d bytes)", i, p.Start, p.End, prev, len(text))
		}
		if text[p.Start:p.End] != p.Text {
			t.Errorf("passage %d is not the text at its offsets", i)
		}
		if n := Size(p.Text); n > max {
			t.Errorf("passage %d has size %d, over %d", i, n, max)
		}
		if got := strings.Count(text[:p.Start], "\n") + 1; got != p.StartLine {
			t.Errorf("passage %d starts on line %d, says %d", i, got, p.StartLine)
		}
		if got := strings.Count(text[:p.End], "\n") + 1; got != p.EndLine {
			t.Errorf("passage %d ends on line %d, says %d", i, got, p.EndLine)
		}
		prev = p.End
	}
}

func TestSplitEdges(t *testing.T) {
	tests := []struct {
		name, text string
		kind       Kind
		want       []string // passage texts
	}{
		{"empty", "", Text, nil},
		{"blank", " \n\n\t\n", Markdown, nil},
		{"one line no newline", "hello", Text, []string{"hello"}},
		{"crlf", "a\r\n\r\nb\r\n", Text, []string{"a\r\n\r\nb"}},
		{"heading only", "# Title\n", Markdown, []string{"# Title"}},
		{"headings join", "# A\n## B\ntext\n# C\nmore", Markdown, []string{"# A\n## B\ntext", "# C\nmore"}},
		{"hash without space is text", "#hashtag\n\nmore", Markdown, []string{"#hashtag\n\nmore"}},
		{"unclosed fence", "```\ncode\n\n# not a heading", Markdown, []string{"```\ncode\n\n# not a heading"}},
		{"code has no headings", "# comment\nx = 1", Code, []string{"# comment\nx = 1"}},
		{"seven hashes", "####### no", Markdown, []string{"####### no"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := Split(tt.text, tt.kind, Options{})
			var got []string
			for _, p := range ps {
				got = append(got, p.Text)
			}
			if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			checkInvariants(t, tt.text, ps, DefaultMaxSize)
		})
	}
}

func TestHeadingPath(t *testing.T) {
	text := "# A\n\none\n\n## B\n\ntwo\n\n### C\n\nthree\n\n## D\n\nfour\n"
	var got []string
	for _, p := range Split(text, Markdown, Options{}) {
		got = append(got, p.Heading)
	}
	want := []string{"A", "A › B", "A › B › C", "A › D"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("heading paths %q, want %q", got, want)
	}
}

func TestSize(t *testing.T) {
	if n := Size("ab 가나"); n != 7 {
		t.Errorf("Size = %d, want 7 (Hangul counts double)", n)
	}
}
