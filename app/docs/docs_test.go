package docs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perchapp/perch/app/docs/chunk"
	"github.com/perchapp/perch/app/docs/extract"
	"github.com/perchapp/perch/app/docs/pdftest"
	"github.com/perchapp/perch/app/sqlitedb"
	"github.com/perchapp/perch/engine"
)

// library copies testdata/library (Markdown in English and Korean, German text, Go code,
// Japanese HTML) to a temporary folder and adds what is better made here: a PDF with a text
// layer, a scanned PDF without one, an image, a binary file, and files the scan must ignore.
func library(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	err := filepath.WalkDir("testdata/library", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel("testdata/library", p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return write(dir, rel, b)
	})
	if err != nil {
		t.Fatal(err)
	}
	for rel, b := range map[string][]byte{
		"manual.pdf":               pdftest.Text("Pump manual\nThe pump runs at 40 bar.", "Maintenance\nReplace the filter F-220 every year."),
		"scans/scan.pdf":           pdftest.Drawing(2),
		"photo.png":                {0x89, 'P', 'N', 'G', 0, 0, 0, 0},
		"data.dat":                 {1, 2, 0, 3, 0, 0, 9},
		".hidden.md":               []byte("# Hidden\n\nNever indexed."),
		"node_modules/dep/read.md": []byte("# Dependency\n\nNever indexed."),
	} {
		if err := write(dir, rel, b); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func write(dir, rel string, b []byte) error {
	p := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, b, 0o644)
}

// indexed creates a collection embedded with the synthetic model and indexes the library.
func indexed(t *testing.T) (*Store, *countingEmbedder, Collection, string, []Progress) {
	t.Helper()
	emb := &countingEmbedder{Embedder: newEngine(t, testModels(t))}
	s := openStore(t, emb)
	ctx := context.Background()
	c, err := s.Create(ctx, NewCollection{Name: "Library", EmbeddingModel: "synth"})
	if err != nil {
		t.Fatal(err)
	}
	dir := library(t)
	var events []Progress
	sum, err := s.AddFolder(ctx, c.ID, dir, func(p Progress) { events = append(events, p) })
	if err != nil {
		t.Fatal(err)
	}
	if sum.Files != 9 || sum.Indexed != 6 || sum.Skipped != 3 || sum.Unchanged != 0 {
		t.Fatalf("summary %+v; want 9 files: 6 indexed, 3 skipped", sum)
	}
	return s, emb, c, dir, events
}

func TestIndexFolder(t *testing.T) {
	s, emb, c, dir, events := indexed(t)
	ctx := context.Background()

	// Skips carry their reasons, and codes for the UI to word in the user's language.
	reasons, codes := map[string]string{}, map[string]string{}
	for _, p := range events {
		if p.Phase == "file" && p.Status == Skipped {
			reasons[filepath.Base(p.Path)] = p.Reason
			codes[filepath.Base(p.Path)] = p.Code
		}
	}
	for file, want := range map[string][2]string{
		"scan.pdf":  {"no text layer", SkipNoText},
		"photo.png": {"images hold no text", SkipUnsupported},
		"data.dat":  {"not text", SkipBinary},
	} {
		if !strings.Contains(reasons[file], want[0]) || codes[file] != want[1] {
			t.Errorf("%s skipped with %q (%s), want a reason mentioning %q (%s)", file, reasons[file], codes[file], want[0], want[1])
		}
	}
	if last := events[len(events)-1]; last.Phase != "done" || last.Done != 9 || last.Total != 9 {
		t.Errorf("last event %+v, want done 9 of 9", last)
	}

	docs, err := s.Documents(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	passages := 0
	for _, d := range docs {
		rel, _ := filepath.Rel(dir, d.Name)
		names = append(names, rel+":"+d.Format)
		passages += d.Passages
		if d.Source != d.Name || d.Stale || d.EmbeddingModel != "synth" {
			t.Errorf("document %+v", d)
		}
	}
	want := []string{"guide.md:markdown", "manual.pdf:pdf", "notizen.txt:text", "release.html:html", "src/server.go:code", "안내.md:markdown"}
	slices.Sort(names)
	if !slices.Equal(names, want) {
		t.Errorf("documents %q, want %q", names, want)
	}
	if got := len(emb.take()); got != passages {
		t.Errorf("%d passages embedded for %d stored", got, passages)
	}
	c, _ = s.Get(ctx, c.ID)
	if c.Status != StatusReady || c.Documents != 6 || c.Passages != passages || c.Dimensions != 128 {
		t.Errorf("collection %+v", c)
	}

	// Passages follow headings (Korean too) and PDF pages.
	byName := map[string]Document{}
	for _, d := range docs {
		byName[filepath.Base(d.Name)] = d
	}
	ko, err := s.Passages(ctx, c.ID, byName["안내.md"].ID)
	if err != nil {
		t.Fatal(err)
	}
	var headings []string
	for _, p := range ko {
		headings = append(headings, p.Heading)
	}
	if want := []string{"퍼치 사용 안내", "퍼치 사용 안내 › 메모리", "퍼치 사용 안내 › 문서와 대화하기"}; !slices.Equal(headings, want) {
		t.Errorf("Korean passages under %q, want %q", headings, want)
	}
	pdf, err := s.Passages(ctx, c.ID, byName["manual.pdf"].ID)
	if err != nil {
		t.Fatal(err)
	}
	pages := map[int]bool{}
	for _, p := range pdf {
		pages[p.Page] = true
	}
	if !pages[1] || !pages[2] || byName["manual.pdf"].Pages != 2 {
		t.Errorf("PDF passages on pages %v of %d", pages, byName["manual.pdf"].Pages)
	}
}

// TestSearchOwnEmbedding: a query made from a passage's own embedding finds that passage
// first, and it holds the exact phrase, in every language and format of the library.
func TestSearchOwnEmbedding(t *testing.T) {
	s, _, c, _, _ := indexed(t)
	ctx := context.Background()
	phrases := []string{
		"Error ERR-4821 means the model file failed its checksum.",
		"통합 메모리는 GPU와 함께 쓰기 때문입니다.",
		"Der Kühlschrank im dritten Stock wird am Freitag abgetaut.",
		"検索が速くなりました。",
		"Replace the filter F-220 every year.",
		"func Routes() []string",
	}
	for _, phrase := range phrases {
		t.Run(phrase, func(t *testing.T) {
			p := passageWith(t, s, c, phrase)
			res, err := s.emb.Embed(ctx, engine.EmbedRequest{Model: c.EmbeddingModel, Inputs: []string{embedInput(c.DocumentPrefix, p.Heading, p.Text)}, Normalize: true})
			if err != nil {
				t.Fatal(err)
			}
			f, err := s.Search(ctx, c.ID, Query{Text: "", Vector: res.Embeddings[0], TopK: 3})
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Results) == 0 || f.Results[0].ID != p.ID || !strings.Contains(f.Results[0].Text, phrase) {
				t.Fatalf("results %+v; want passage %d with %q first", f.Results, p.ID, phrase)
			}
			if f.Results[0].Similarity < 0.999 {
				t.Errorf("similarity to itself %v, want 1", f.Results[0].Similarity)
			}
		})
	}
}

// passageWith finds the stored passage containing phrase.
func passageWith(t *testing.T, s *Store, c Collection, phrase string) Passage {
	t.Helper()
	docs, err := s.Documents(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range docs {
		ps, err := s.Passages(context.Background(), c.ID, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range ps {
			if strings.Contains(p.Text, phrase) {
				return p
			}
		}
	}
	t.Fatalf("no passage contains %q", phrase)
	return Passage{}
}

// TestKeywordSearch: names and numbers are found by the keyword part, Korean words despite
// their particles. A zero query vector leaves the keyword scores alone in the ranking; with
// the real (random-weight) embedding of the question the passage stays among the top three.
func TestKeywordSearch(t *testing.T) {
	s, _, c, _, _ := indexed(t)
	c, _ = s.Get(context.Background(), c.ID)
	zero := make([]float32, c.Dimensions)
	for _, tt := range []struct{ query, want string }{
		{"what does ERR-4821 mean?", "ERR-4821"},
		{"filter F-220", "F-220"},
		{"양자화를 바꾸려면?", "양자화"},
		{"Kühlschrank Freitag", "Kühlschrank"},
	} {
		f, err := s.Search(context.Background(), c.ID, Query{Text: tt.query, TopK: 2, Vector: zero, MinScore: ptr(0.0)})
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Results) == 0 || !strings.Contains(f.Results[0].Text, tt.want) || f.Results[0].Keyword <= 0 {
			t.Errorf("%q by keywords alone: results %+v; want the passage with %q first", tt.query, f.Results, tt.want)
		}
		f, err = s.Search(context.Background(), c.ID, Query{Text: tt.query, TopK: 3, MinScore: ptr(-1.0)})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, r := range f.Results {
			if strings.Contains(r.Text, tt.want) {
				found = true
				if want := round(r.Similarity + KeywordWeight*r.Keyword); abs(r.Score-want) > 2e-4 || r.Keyword <= 0 {
					t.Errorf("%q: score %v, similarity %v, keyword %v", tt.query, r.Score, r.Similarity, r.Keyword)
				}
			}
		}
		if !found {
			t.Errorf("%q: the passage with %q is not among the top three: %+v", tt.query, tt.want, f.Results)
		}
	}
}

func abs(f float64) float64 { return max(f, -f) }

// TestReindexOnlyChanged: after one file is edited, a second run embeds only its passages;
// the other documents keep their passages; a deleted file's document goes.
func TestReindexOnlyChanged(t *testing.T) {
	s, emb, c, dir, _ := indexed(t)
	ctx := context.Background()
	emb.take()
	before := map[string][]Passage{}
	docs, _ := s.Documents(ctx, c.ID)
	for _, d := range docs {
		before[d.Name], _ = s.Passages(ctx, c.ID, d.ID)
	}

	notes := filepath.Join(dir, "notizen.txt")
	if err := os.WriteFile(notes, []byte("Notizen vom Hausmeister\n\nDer Aufzug wird am Montag gewartet.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var events []Progress
	sum, err := s.AddFolder(ctx, c.ID, dir, func(p Progress) { events = append(events, p) })
	if err != nil {
		t.Fatal(err)
	}
	if sum.Indexed != 1 || sum.Unchanged != 5 || sum.Skipped != 3 {
		t.Fatalf("summary %+v; want 1 indexed, 5 unchanged", sum)
	}
	embedded := emb.take()
	after, _ := s.Passages(ctx, c.ID, docID(t, s, c, notes))
	if len(embedded) != len(after) || !strings.Contains(strings.Join(embedded, "|"), "Aufzug") {
		t.Errorf("embedded %q; want only the %d passages of the edited file", embedded, len(after))
	}
	for name, ps := range before {
		if name == notes {
			continue
		}
		now, err := s.Passages(ctx, c.ID, docID(t, s, c, name))
		if err != nil || len(now) != len(ps) || now[0].ID != ps[0].ID {
			t.Errorf("%s was re-indexed: passages %v before, %v after", name, ps, now)
		}
	}
	for _, p := range events {
		if p.Phase == "file" && p.Status == Indexed && p.Path != notes {
			t.Errorf("event %+v re-indexed an unchanged file", p)
		}
	}

	// A file gone from the folder is removed from the collection.
	if err := os.Remove(notes); err != nil {
		t.Fatal(err)
	}
	sum, err = s.AddFolder(ctx, c.ID, dir, nil)
	if err != nil || sum.Removed != 1 || sum.Indexed != 0 || len(emb.take()) != 0 {
		t.Fatalf("after deleting a file: %+v %v", sum, err)
	}
	if _, err := s.Search(ctx, c.ID, Query{Text: "Aufzug Montag"}); err != nil {
		t.Fatal(err)
	}
}

// TestRemoveGoneFileNonASCIIFolder: a file deleted from a folder whose name is Korean is
// removed on the next run (the folder's path is longer in bytes than in characters).
func TestRemoveGoneFileNonASCIIFolder(t *testing.T) {
	emb := &countingEmbedder{Embedder: newEngine(t, testModels(t))}
	s := openStore(t, emb)
	ctx := context.Background()
	c, err := s.Create(ctx, NewCollection{Name: "메모", EmbeddingModel: "synth"})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "회의록")
	for name, text := range map[string]string{"월요일.md": "# 월요일\n\n엘리베이터 점검이 있습니다.\n", "화요일.md": "# 화요일\n\n소방 훈련이 있습니다.\n"} {
		if err := write(dir, name, []byte(text)); err != nil {
			t.Fatal(err)
		}
	}
	if sum, err := s.AddFolder(ctx, c.ID, dir, nil); err != nil || sum.Indexed != 2 {
		t.Fatalf("first run: %+v %v", sum, err)
	}
	// A sibling folder whose name starts with this one's is not part of it.
	sibling := dir + "-사본"
	if err := write(sibling, "수요일.md", []byte("# 수요일\n\n정전이 있습니다.\n")); err != nil {
		t.Fatal(err)
	}
	if sum, err := s.AddFolder(ctx, c.ID, sibling, nil); err != nil || sum.Indexed != 1 {
		t.Fatalf("sibling folder: %+v %v", sum, err)
	}
	if err := os.Remove(filepath.Join(dir, "화요일.md")); err != nil {
		t.Fatal(err)
	}
	sum, err := s.AddFolder(ctx, c.ID, dir, nil)
	if err != nil || sum.Removed != 1 || sum.Unchanged != 1 {
		t.Fatalf("after deleting a file: %+v %v; want 1 removed, 1 unchanged", sum, err)
	}
	docs, err := s.Documents(ctx, c.ID)
	var names []string
	for _, d := range docs {
		names = append(names, d.Name)
	}
	if want := []string{filepath.Join(sibling, "수요일.md"), filepath.Join(dir, "월요일.md")}; err != nil || !slices.Equal(names, want) {
		t.Errorf("documents %q %v; want %q", names, err, want)
	}
}

// TestFolderRunTrustsSizeAndTime: a file of the same size and modification time as when it
// was indexed is not read again; one touched but not changed is read, found unchanged, and
// its new time recorded, so the run after that does not read it either.
func TestFolderRunTrustsSizeAndTime(t *testing.T) {
	emb := &countingEmbedder{Embedder: newEngine(t, testModels(t))}
	s := openStore(t, emb)
	ctx := context.Background()
	c, err := s.Create(ctx, NewCollection{Name: "Notes", EmbeddingModel: "synth"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "note.md")
	if err := write(dir, "note.md", []byte("# Note\n\nThe pump runs at 40 bar.\n")); err != nil {
		t.Fatal(err)
	}
	if sum, err := s.AddFolder(ctx, c.ID, dir, nil); err != nil || sum.Indexed != 1 {
		t.Fatalf("first run: %+v %v", sum, err)
	}
	emb.take()
	// rewrite changes the bytes but not the size, and sets the time back to at: a change
	// only reading the file would find.
	rewrite := func(text string, at time.Time) {
		t.Helper()
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, at, at); err != nil {
			t.Fatal(err)
		}
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	rewrite("# Note\n\nThe pump runs at 50 bar.\n", st.ModTime())
	if sum, err := s.AddFolder(ctx, c.ID, dir, nil); err != nil || sum.Unchanged != 1 || len(emb.take()) != 0 {
		t.Fatalf("same size and time: %+v %v; want it unchanged, not read", sum, err)
	}

	// Touched: read, the same bytes as stored, so unchanged; the new time is kept.
	rewrite("# Note\n\nThe pump runs at 40 bar.\n", st.ModTime().Add(time.Hour))
	if sum, err := s.AddFolder(ctx, c.ID, dir, nil); err != nil || sum.Unchanged != 1 || len(emb.take()) != 0 {
		t.Fatalf("touched: %+v %v; want it unchanged", sum, err)
	}
	rewrite("# Note\n\nThe pump runs at 60 bar.\n", st.ModTime().Add(time.Hour))
	if sum, err := s.AddFolder(ctx, c.ID, dir, nil); err != nil || sum.Unchanged != 1 || len(emb.take()) != 0 {
		t.Fatalf("after the touch was recorded: %+v %v; want it unchanged, not read", sum, err)
	}

	// A new time with new bytes is indexed.
	rewrite("# Note\n\nThe pump runs at 70 bar.\n", st.ModTime().Add(2*time.Hour))
	if sum, err := s.AddFolder(ctx, c.ID, dir, nil); err != nil || sum.Indexed != 1 {
		t.Fatalf("changed: %+v %v; want it indexed", sum, err)
	}
	if got := strings.Join(emb.take(), "|"); !strings.Contains(got, "70 bar") {
		t.Errorf("embedded %q; want the new text", got)
	}
}

func docID(t *testing.T, s *Store, c Collection, name string) int64 {
	t.Helper()
	d, ok, err := s.docByName(context.Background(), c, name)
	if err != nil || !ok {
		t.Fatalf("no document %s: %v", name, err)
	}
	return d.ID
}

// TestModelSwitch: a new embedding model marks the collection for re-indexing, search
// refuses until then, and Reindex re-embeds the stored passages without the files.
func TestModelSwitch(t *testing.T) {
	s, emb, c, dir, _ := indexed(t)
	ctx := context.Background()
	emb.take()
	if err := os.RemoveAll(dir); err != nil { // the files are not needed to re-index
		t.Fatal(err)
	}
	model := "stories"
	c, err := s.Update(ctx, c.ID, Patch{EmbeddingModel: &model})
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != StatusNeedsReindex || c.StaleDocuments != 6 {
		t.Fatalf("after switching: %+v", c)
	}
	if _, err := s.Search(ctx, c.ID, Query{Text: "memory"}); !errors.Is(err, ErrNeedsReindex) || !strings.Contains(err.Error(), "re-index") {
		t.Fatalf("search before re-indexing: %v", err)
	}
	if _, err := s.Retrieve(ctx, c.ID, "memory", 0, nil); !errors.Is(err, ErrNeedsReindex) {
		t.Fatalf("retrieve before re-indexing: %v", err)
	}
	sum, err := s.Reindex(ctx, c.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Indexed != 6 || sum.Embedded != c.Passages || len(emb.take()) != c.Passages {
		t.Errorf("re-index %+v for %d passages", sum, c.Passages)
	}
	c, _ = s.Get(ctx, c.ID)
	if c.Status != StatusReady || c.Dimensions != 64 {
		t.Errorf("after re-indexing: %+v", c)
	}
	f, err := s.Search(ctx, c.ID, Query{Text: "ERR-4821", MinScore: ptr(-1.0)})
	if err != nil || len(f.Results) == 0 {
		t.Fatalf("search after re-indexing: %+v %v", f, err)
	}
	// Nothing is left to do the second time.
	if sum, err := s.Reindex(ctx, c.ID, nil); err != nil || sum.Indexed != 0 || sum.Unchanged != 6 {
		t.Errorf("second re-index %+v %v", sum, err)
	}
}

func ptr[T any](v T) *T { return &v }

// TestRetrievePrompt: the prompt cites the passages found, numbered, with their place; when
// nothing passes the threshold it says so and cites nothing.
func TestRetrievePrompt(t *testing.T) {
	s, _, c, _, _ := indexed(t)
	ctx := context.Background()
	r, err := s.Retrieve(ctx, c.ID, "What does ERR-4821 mean?", 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Sources) == 0 || !strings.Contains(r.Sources[0].Text, "ERR-4821") {
		t.Fatalf("sources %+v", r.Sources)
	}
	p := r.Prompt()
	for _, want := range []string{"[1] guide.md, lines ", "(Perch User Guide › Troubleshooting)", "Error ERR-4821 means the model file failed its checksum.", "Question: What does ERR-4821 mean?", "Cite the sources"} {
		if !strings.Contains(p, want) {
			t.Errorf("prompt lacks %q:\n%s", want, p)
		}
	}
	r, err = s.Retrieve(ctx, c.ID, "What does ERR-4821 mean?", 2, ptr(1.9))
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Sources) != 0 || !strings.Contains(r.Prompt(), "No passage in the document collection \"Library\" is relevant") {
		t.Errorf("with nothing relevant: %d sources, prompt %q", len(r.Sources), r.Prompt())
	}
}

func TestBadInput(t *testing.T) {
	s := openStore(t, newEngine(t, testModels(t)))
	ctx := context.Background()
	c, err := s.Create(ctx, NewCollection{Name: "Notes", EmbeddingModel: "synth"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		err  error
		want string
		do   func() error
	}{
		{"empty name", ErrInvalid, "name is required", func() error { _, err := s.Create(ctx, NewCollection{EmbeddingModel: "synth"}); return err }},
		{"numeric name", ErrInvalid, "cannot be a number", func() error { _, err := s.Create(ctx, NewCollection{Name: "42", EmbeddingModel: "synth"}); return err }},
		{"no model", ErrInvalid, "embedding_model is required", func() error { _, err := s.Create(ctx, NewCollection{Name: "x"}); return err }},
		{"duplicate", ErrExists, "exists", func() error {
			_, err := s.Create(ctx, NewCollection{Name: "notes", EmbeddingModel: "synth"})
			return err
		}},
		{"min_score", ErrInvalid, "between -1 and 2", func() error {
			_, err := s.Create(ctx, NewCollection{Name: "y", EmbeddingModel: "synth", MinScore: ptr(5.0)})
			return err
		}},
		{"NUL text", extract.ErrBinary, "NUL", func() error { _, err := s.AddText(ctx, c.ID, "a.txt", "a\x00b"); return err }},
		{"blank text", extract.ErrNoText, "empty", func() error { _, err := s.AddText(ctx, c.ID, "a.txt", "  \n"); return err }},
		{"scanned PDF", extract.ErrNoText, "OCR", func() error { _, err := s.AddFile(ctx, c.ID, "scan.pdf", pdftest.Drawing(1)); return err }},
		{"image", extract.ErrUnsupported, "images", func() error { _, err := s.AddFile(ctx, c.ID, "a.jpg", []byte{0xff, 0xd8}); return err }},
		{"no document name", ErrInvalid, "document name is required", func() error { _, err := s.AddText(ctx, c.ID, "", "text"); return err }},
		{"unknown collection", ErrNotFound, "no collection 99", func() error { _, err := s.AddText(ctx, 99, "a.txt", "text"); return err }},
		{"relative folder", ErrInvalid, "absolute path", func() error { _, err := s.AddFolder(ctx, c.ID, "docs", nil); return err }},
		{"missing folder", ErrInvalid, "cannot read the folder", func() error { _, err := s.AddFolder(ctx, c.ID, "/nonexistent/perch", nil); return err }},
		{"empty query", ErrInvalid, "query is empty", func() error { _, err := s.Search(ctx, c.ID, Query{Text: " "}); return err }},
		{"top_k", ErrInvalid, "top_k must be between 1 and 50", func() error { _, err := s.Search(ctx, c.ID, Query{Text: "x", TopK: 500}); return err }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.do()
			if !errors.Is(err, tt.err) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v; want %v mentioning %q", err, tt.err, tt.want)
			}
		})
	}

	// A link to a device is skipped (it leads out of the allowed folders), not read forever.
	odd := t.TempDir()
	if err := os.Symlink("/dev/zero", filepath.Join(odd, "zero.txt")); err == nil {
		sum, err := s.AddFolder(ctx, c.ID, odd, nil)
		if err != nil || sum.Skipped != 1 || !strings.Contains(sum.Skips[0].Reason, "outside your home folder") {
			t.Errorf("link to /dev/zero: %+v %v", sum, err)
		}
	}

	// One indexing run at a time per collection: a second folder run is refused at once.
	unlock, err := s.lock(ctx, c.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddFolder(ctx, c.ID, t.TempDir(), nil); !errors.Is(err, ErrBusy) {
		t.Errorf("second run: %v", err)
	}
	if got, _ := s.Get(ctx, c.ID); got.Status != StatusIndexing {
		t.Errorf("status while indexing: %s", got.Status)
	}
	unlock()

	// An embedding model that is not installed: a clear error, and nothing half-written.
	bad, err := s.Create(ctx, NewCollection{Name: "Bad", EmbeddingModel: "no-such-model"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddText(ctx, bad.ID, "a.md", "# A\n\ntext"); engine.KindOf(err) != engine.KindNotFound || !strings.Contains(err.Error(), "no-such-model") {
		t.Errorf("unknown model: %v", err)
	}
	if docs, _ := s.Documents(ctx, bad.ID); len(docs) != 0 {
		t.Errorf("a failed document was stored: %+v", docs)
	}

	// A document added twice is unchanged the second time; a new text replaces it in place.
	a, err := s.AddText(ctx, c.ID, "a.md", "# A\n\nfirst")
	if err != nil || a.Status != Indexed || a.Document.Passages != 1 {
		t.Fatalf("%+v %v", a, err)
	}
	if b, err := s.AddText(ctx, c.ID, "a.md", "# A\n\nfirst"); err != nil || b.Status != Unchanged {
		t.Errorf("same text again: %+v %v", b, err)
	}
	b, err := s.AddText(ctx, c.ID, "a.md", "# A\n\nsecond\n\n# B\n\nthird")
	if err != nil || b.Status != Indexed || b.Document.ID != a.Document.ID || b.Document.Passages != 2 {
		t.Errorf("changed text: %+v %v", b, err)
	}
	if err := s.DeleteDocument(ctx, c.ID, a.Document.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDocument(ctx, c.ID, a.Document.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	if f, err := s.Search(ctx, c.ID, Query{Text: "second"}); err != nil || len(f.Results) != 0 {
		t.Errorf("search after delete: %+v %v", f, err)
	}
	if err := s.Delete(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, c.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("after delete: %v", err)
	}
}

func TestFTSTerms(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"What does ERR-4821 mean?", `"what" "does" "err" "4821" "mean"`},
		{"서울에서 맛집을 추천해 주세요", `"서울"* "맛집"* "추천해"* "주세요"*`},
		{`a "quoted" OR NEAR(x)`, `"quoted" "or" "near"`},
		{"東京 7", `"東京" "7"`},
		{"", ``},
	} {
		if got := strings.Join(ftsTerms(tt.in), " "); got != tt.want {
			t.Errorf("ftsTerms(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestDefaultPrefixes(t *testing.T) {
	for model, want := range map[string]string{"bge-m3": "", "nomic-embed-text-v1.5": "search_query: ", "multilingual-e5-small": "query: "} {
		if q, _ := defaultPrefixes(model); q != want {
			t.Errorf("%s: query prefix %q, want %q", model, q, want)
		}
	}
}

// TestSearchWhileIndexing: searches run while documents are added (the vector cache is
// dropped and reloaded under them) and always see whole documents.
func TestSearchWhileIndexing(t *testing.T) {
	s := openStore(t, newEngine(t, testModels(t)))
	ctx := context.Background()
	c, err := s.Create(ctx, NewCollection{Name: "Busy", EmbeddingModel: "synth", MinScore: ptr(-1.0)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddText(ctx, c.ID, "first.md", "# First\n\nAlpha 100."); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		for i := range 6 {
			if _, err := s.AddText(ctx, c.ID, fmt.Sprintf("doc%d.md", i), fmt.Sprintf("# Doc %d\n\nPart one of %d.\n\n# More\n\nPart two of %d.", i, i, i)); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for searching := true; searching; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			searching = false
		default:
		}
		f, err := s.Search(ctx, c.ID, Query{Text: "part", TopK: 50})
		if err != nil {
			t.Fatal(err)
		}
		if f.Searched%2 != 1 || len(f.Results) != f.Searched {
			t.Fatalf("searched %d passages, %d results: a document was seen half-written", f.Searched, len(f.Results))
		}
	}
	if f, _ := s.Search(ctx, c.ID, Query{Text: "part", TopK: 50}); f.Searched != 13 {
		t.Errorf("searched %d passages at the end, want 13", f.Searched)
	}
}

// TestSplitPageLines: passages of a paged document carry the lines of the whole text, each
// page's count carried on from the pages before it.
func TestSplitPageLines(t *testing.T) {
	var text strings.Builder
	var pages []int
	for page := range 4 {
		pages = append(pages, text.Len())
		fmt.Fprintf(&text, "Page %d\n\nFirst paragraph of page %d.\n\nSecond paragraph of page %d.\n", page+1, page+1, page+1)
	}
	doc := extract.Doc{Format: extract.FormatPDF, Kind: chunk.Text, Text: text.String(), Pages: pages}
	s := &Store{opt: Options{MaxPassageSize: 30}}
	parts := s.split(doc)
	if len(parts) < 4 {
		t.Fatalf("%d passages; want several per page", len(parts))
	}
	for _, p := range parts {
		if want := strings.Count(doc.Text[:p.Start], "\n") + 1; p.StartLine != want || p.EndLine < p.StartLine {
			t.Errorf("passage %d %q at byte %d: lines %d-%d, want it to start at line %d", p.Seq, p.Text, p.Start, p.StartLine, p.EndLine, want)
		}
	}
}

// TestOpenUpgrades: a database made before documents recorded their files' times opens,
// its documents read back, and their time is unknown (so the next run reads them).
func TestOpenUpgrades(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "collections.db")
	db, err := sqlitedb.Open(ctx, path, schema[:1], sqlitedb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.ExecContext(ctx, `INSERT INTO collections (id, name, embedding_model, created_at, updated_at) VALUES (1, 'Old', 'synth', 0, 0);
		INSERT INTO documents (collection_id, name, source, format, size, hash, chunker, embed_model, embed_prefix, passages, created_at, updated_at)
		VALUES (1, '/notes/a.md', '/notes/a.md', 'markdown', 10, 'x', 1, 'synth', '', 0, 0, 0)`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, path, Options{Embedder: newEngine(t, nil)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c, err := s.Get(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	d, found, err := s.docByName(ctx, c, "/notes/a.md")
	if err != nil || !found || d.mtime != 0 {
		t.Errorf("document after the upgrade: %+v found %v, %v; want it with time 0", d, found, err)
	}
}
