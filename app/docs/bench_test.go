package docs

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/enginetest"
	"github.com/perchapp/perch/engine/sharedtest"
	"github.com/perchapp/perch/engine/synth/synthtest"
	"github.com/perchapp/perch/engine/vecmath"
)

// BenchmarkIndex measures indexing throughput end to end (extract, split, embed through the
// engine's worker, store) on a folder of Markdown files, with real models: stories260K, and
// synthetic llamas with Phi-3's vocabulary ("tiny": 2 layers × 128; "mha": 4 × 256;
// PERCH_BENCH_PRESETS=100m adds an 8 × 768 one, the size of a small embedding model).
//
//	go test ./app/docs -run '^$' -bench Index -benchtime 1x
func BenchmarkIndex(b *testing.B) {
	models := enginetest.Files{"stories260K": sharedtest.Model(b, "stories260K.gguf")}
	presets := []string{"tiny", "mha"}
	if p := os.Getenv("PERCH_BENCH_PRESETS"); p != "" {
		presets = strings.Split(p, ",")
	}
	names := []string{"stories260K"}
	for _, p := range presets {
		models["synth-"+p] = synthtest.Model(b, p, "ggml-vocab-phi-3.gguf", "F16")
		names = append(names, "synth-"+p)
	}
	eng := newEngine(b, models)
	dir := b.TempDir()
	corpus(b, dir, 8, 8) // 8 files of 8 sections: 64 passages of ~600 characters
	for _, model := range names {
		b.Run(model, func(b *testing.B) {
			ctx := context.Background()
			s := openStore(b, eng)
			// Load the model outside the timing.
			if _, err := s.embed(ctx, model, []string{"warm up"}, nil); err != nil {
				b.Fatal(err)
			}
			var passages int
			var elapsed time.Duration
			for i := 0; b.Loop(); i++ {
				c, err := s.Create(ctx, NewCollection{Name: fmt.Sprintf("bench %d", i), EmbeddingModel: model})
				if err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				sum, err := s.AddFolder(ctx, c.ID, dir, nil)
				if err != nil {
					b.Fatal(err)
				}
				elapsed += time.Since(start)
				passages += sum.Embedded
			}
			b.ReportMetric(float64(passages)/elapsed.Seconds(), "passages/s")
		})
	}
}

// corpus writes files of Markdown sections of plain English-like text.
func corpus(b *testing.B, dir string, files, sections int) {
	rng := rand.New(rand.NewPCG(1, 2))
	words := strings.Fields("the model memory passage search index vector query answer source document collection engine worker context token embedding cache disk folder file page heading paragraph sentence language local private fast exact score keyword number name chat question")
	sentence := func() string {
		n := 8 + rng.IntN(10)
		ws := make([]string, n)
		for i := range ws {
			ws[i] = words[rng.IntN(len(words))]
		}
		return strings.ToUpper(ws[0][:1]) + strings.Join(ws, " ")[1:] + "."
	}
	for f := range files {
		var sb strings.Builder
		for s := range sections {
			fmt.Fprintf(&sb, "## Section %d.%d\n\n", f, s)
			for p := 0; p < 2; p++ {
				for range 4 {
					sb.WriteString(sentence() + " ")
				}
				sb.WriteString("\n\n")
			}
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("doc%02d.md", f)), []byte(sb.String()), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSearch measures a whole Search (exact cosine over the collection's vectors in
// memory, the FTS5 keyword part, reading the passages) at 10k and 100k passages of
// synthetic 1024-dimensional vectors (bge-m3's size) stored in SQLite. The query vector is
// given, so no model runs; "load-ms" is the first search, which reads the vectors from
// SQLite.
//
//	go test ./app/docs -run '^$' -bench Search -benchtime 50x
func BenchmarkSearch(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("passages=%d", n), func(b *testing.B) {
			s, c, q := syntheticCollection(b, n, 1024)
			ctx := context.Background()
			start := time.Now()
			if _, err := s.Search(ctx, c.ID, q); err != nil {
				b.Fatal(err)
			}
			load := time.Since(start)
			for b.Loop() {
				f, err := s.Search(ctx, c.ID, q)
				if err != nil || len(f.Results) == 0 {
					b.Fatal(f, err)
				}
			}
			b.ReportMetric(float64(load.Milliseconds()), "load-ms")
		})
	}
}

// syntheticCollection stores n passages with random unit vectors and text drawn from a
// 5,000-word vocabulary (each passage also carries a unique code, as names and numbers are).
func syntheticCollection(b *testing.B, n, dim int) (*Store, Collection, Query) {
	b.Helper()
	s := openStore(b, noEmbedder{})
	ctx := context.Background()
	c, err := s.Create(ctx, NewCollection{Name: "synthetic", EmbeddingModel: "none", MinScore: ptr(-1.0)})
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	vocab := make([]string, 5000)
	for i := range vocab {
		vocab[i] = fmt.Sprintf("w%x", rng.Uint32()%0xfffff)
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	const perDoc = 100
	now := time.Now().UnixMilli()
	ins, _ := tx.Prepare(`INSERT INTO passages (document_id, collection_id, seq, heading, text, start_byte, end_byte, start_line, end_line, page, vector) VALUES (?, ?, ?, '', ?, 0, 0, 1, 1, 0, ?)`)
	var query []float32
	var docID int64
	v := make([]float32, dim)
	for i := 0; i < n; i++ {
		if i%perDoc == 0 {
			res, err := tx.Exec(`INSERT INTO documents (collection_id, name, format, size, hash, chunker, embed_model, embed_prefix, passages, created_at, updated_at)
				VALUES (?, ?, 'text', 0, '', 1, 'none', '', ?, ?, ?)`, c.ID, fmt.Sprintf("doc%d.txt", i/perDoc), perDoc, now, now)
			if err != nil {
				b.Fatal(err)
			}
			docID, _ = res.LastInsertId()
		}
		words := make([]string, 60)
		for j := range words {
			words[j] = vocab[rng.IntN(len(vocab))]
		}
		words = append(words, fmt.Sprintf("CODE-%d", i))
		for j := range v {
			v[j] = float32(rng.NormFloat64())
		}
		vecmath.Normalize(v)
		if i == n/2 {
			query = append([]float32(nil), v...)
		}
		if _, err := ins.Exec(docID, c.ID, i%perDoc, strings.Join(words, " "), encodeVector(v)); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	c, _ = s.Get(ctx, c.ID)
	return s, c, Query{Text: fmt.Sprintf("where is %s with CODE-%d", vocab[7], n/2), Vector: query, TopK: 5}
}

// noEmbedder refuses: the search benchmark gives its query vector, so nothing is embedded.
type noEmbedder struct{}

func (noEmbedder) Embed(context.Context, engine.EmbedRequest) (*engine.EmbedResult, error) {
	return nil, errors.New("this benchmark embeds nothing")
}
