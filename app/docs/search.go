package docs

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/perchapp/perch/app/docs/vectors"
	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/vecmath"
)

// Query is a search in one collection.
type Query struct {
	Text string `json:"query"`
	// TopK is how many passages to return; default 5, at most 50.
	TopK int `json:"top_k,omitempty"`
	// MinScore overrides the collection's relevance threshold.
	MinScore *float64 `json:"min_score,omitempty"`
	// Vector searches by this embedding instead of embedding Text (used by tests and for
	// "more like this passage"); Text still drives the keyword part.
	Vector []float32 `json:"-"`
}

// Result is a passage found, with its document and scores.
type Result struct {
	Passage
	Document string `json:"document"`
	Source   string `json:"source,omitempty"`
	// Score = Similarity + KeywordWeight × Keyword; results are ranked and thresholded by it.
	Score float64 `json:"score"`
	// Similarity is the cosine similarity of the question and the passage embeddings.
	Similarity float64 `json:"similarity"`
	// Keyword is the share, in [0, 1], of the question's word weight (IDF) the passage
	// holds (see Store.keyword).
	Keyword float64 `json:"keyword"`
}

// Found is what a search returns.
type Found struct {
	Results []Result `json:"results"`
	// MinScore is the threshold applied; Best is the highest score before it, so a caller
	// can say how close the nearest passage came when nothing passed.
	MinScore float64 `json:"min_score"`
	Best     float64 `json:"best_score"`
	// Searched is the number of passages compared.
	Searched int `json:"searched"`
}

// KeywordWeight scales the keyword score added to the cosine similarity. Adding (rather
// than averaging) keeps the score on the cosine scale, so thresholds mean the same with or
// without keyword matches, while an exact name or number lifts a passage the embedding
// ranked low: a passage holding all the question's distinctive words gains 0.3, about the
// gap between an unrelated and a relevant passage for bge-m3.
const KeywordWeight = 0.3

// Limits of a search.
const (
	DefaultTopK = 5
	MaxTopK     = 50
)

// Search finds the passages of a collection closest to a question: exact cosine similarity
// over all its vectors (held in memory), plus an FTS5 keyword score, as Result describes.
func (s *Store) Search(ctx context.Context, collectionID int64, q Query) (Found, error) {
	c, err := s.Get(ctx, collectionID)
	if err != nil {
		return Found{}, err
	}
	return s.search(ctx, c, q)
}

func (s *Store) search(ctx context.Context, c Collection, q Query) (Found, error) {
	if strings.TrimSpace(q.Text) == "" && q.Vector == nil {
		return Found{}, fmt.Errorf("%w: the query is empty", ErrInvalid)
	}
	if len(q.Text) > 8192 {
		return Found{}, fmt.Errorf("%w: the query is %d bytes; the limit is 8192", ErrInvalid, len(q.Text))
	}
	if q.TopK == 0 {
		q.TopK = DefaultTopK
	}
	if q.TopK < 1 || q.TopK > MaxTopK {
		return Found{}, fmt.Errorf("%w: top_k must be between 1 and %d, got %d", ErrInvalid, MaxTopK, q.TopK)
	}
	if err := validMinScore(q.MinScore); err != nil {
		return Found{}, err
	}
	found := Found{MinScore: c.MinScore, Results: []Result{}, Best: math.Inf(-1)}
	if q.MinScore != nil {
		found.MinScore = *q.MinScore
	}
	if c.StaleDocuments > 0 {
		return Found{}, fmt.Errorf("%w: %d of the %d documents in %q were embedded with another model than %s; re-index the collection before searching it",
			ErrNeedsReindex, c.StaleDocuments, c.Documents, c.Name, c.EmbeddingModel)
	}
	if c.Passages == 0 {
		found.Best = 0
		return found, nil
	}
	qv := q.Vector
	if qv == nil {
		res, err := s.emb.Embed(ctx, engine.EmbedRequest{Model: c.EmbeddingModel, Inputs: []string{c.QueryPrefix + q.Text}, Normalize: true, Truncate: true})
		if err != nil {
			return Found{}, fmt.Errorf("embedding the query with %s: %w", c.EmbeddingModel, err)
		}
		if len(res.Embeddings) != 1 {
			return Found{}, fmt.Errorf("embedding the query with %s: got %d vectors", c.EmbeddingModel, len(res.Embeddings))
		}
		qv = res.Embeddings[0]
	}
	qv = append([]float32(nil), qv...)
	vecmath.Normalize(qv)
	idx, err := s.vecs.get(ctx, c.ID, s.loadVectors)
	if err != nil {
		return Found{}, err
	}
	if idx.Dim() != len(qv) {
		return Found{}, fmt.Errorf("%w: the query has %d dimensions but the collection's vectors %d; re-index it", ErrNeedsReindex, len(qv), idx.Dim())
	}
	found.Searched = idx.Len()

	// Candidates: the nearest by embedding, with room for keyword hits to overtake them,
	// and the best keyword hits wherever the embedding ranked them.
	hits, err := idx.Search(ctx, qv, max(4*q.TopK, 32))
	if err != nil {
		return Found{}, err
	}
	type cand struct{ sim, kw float64 }
	cands := make(map[int64]*cand, len(hits)+32)
	for _, h := range hits {
		cands[h.ID] = &cand{sim: float64(h.Score)}
	}
	kws, err := s.keyword(ctx, c, q.Text, 50)
	if err != nil {
		return Found{}, err
	}
	for id, k := range kws {
		if cd, ok := cands[id]; ok {
			cd.kw = k
			continue
		}
		if sim, ok := idx.Score(qv, id); ok {
			cands[id] = &cand{sim: float64(sim), kw: k}
		}
	}
	type scored struct {
		id             int64
		score, sim, kw float64
	}
	all := make([]scored, 0, len(cands))
	for id, cd := range cands {
		all = append(all, scored{id: id, score: cd.sim + KeywordWeight*cd.kw, sim: cd.sim, kw: cd.kw})
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].score != all[j].score {
			return all[i].score > all[j].score
		}
		return all[i].id < all[j].id
	})
	found.Best = 0
	if len(all) > 0 {
		found.Best = all[0].score
	}
	var keep []scored
	for _, sc := range all {
		if sc.score < found.MinScore || len(keep) == q.TopK {
			break
		}
		keep = append(keep, sc)
	}
	for _, sc := range keep {
		r, err := s.result(ctx, sc.id)
		if err != nil {
			return Found{}, err
		}
		r.Score, r.Similarity, r.Keyword = round(sc.score), round(sc.sim), round(sc.kw)
		found.Results = append(found.Results, r)
	}
	found.Best = round(found.Best)
	return found, nil
}

func round(f float64) float64 { return math.Round(f*1e4) / 1e4 }

func (s *Store) result(ctx context.Context, id int64) (Result, error) {
	var r Result
	err := s.db.QueryRowContext(ctx, `SELECT p.id, p.document_id, p.seq, p.heading, p.text, p.start_byte, p.end_byte, p.start_line, p.end_line, p.page, d.name, d.source
		FROM passages p JOIN documents d ON d.id = p.document_id WHERE p.id = ?`, id).
		Scan(&r.ID, &r.DocumentID, &r.Seq, &r.Heading, &r.Text, &r.Start, &r.End, &r.StartLine, &r.EndLine, &r.Page, &r.Document, &r.Source)
	if err != nil {
		return Result{}, fmt.Errorf("read passage %d: %w", id, err)
	}
	return r, nil
}

// keyword scores the passages that contain the query's distinctive words: the share of
// those words' weight (inverse document frequency, Lucene's smoothed form, which stays
// positive where FTS5's bm25() goes to zero in small collections) that the passage holds, in
// [0, 1]. Words found nowhere in the collection do not count, so extra words in a question
// do not lower a passage that holds all the words that can match. Words in more than 1% of
// the passages (and more than 50) are left to the embedding: they carry little weight, and
// leaving them out keeps this part's cost proportional to the rare words' matches rather
// than to the collection. At most limit passages, the best, are returned.
func (s *Store) keyword(ctx context.Context, c Collection, text string, limit int) (map[int64]float64, error) {
	terms := ftsTerms(text)
	if len(terms) == 0 || c.Passages == 0 {
		return nil, nil
	}
	n := float64(c.Passages)
	common := max(50, c.Passages/100)
	held := map[int64]float64{}
	total := 0.0
	for _, t := range terms {
		match := fmt.Sprintf("{heading text} : %s AND coll : c%d", t, c.ID)
		rows, err := s.db.QueryContext(ctx, `SELECT rowid FROM passages_fts WHERE passages_fts MATCH ? LIMIT ?`, match, common+1)
		if err != nil {
			return nil, fmt.Errorf("keyword search: %w", err)
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if len(ids) == 0 || len(ids) > common {
			continue
		}
		df := float64(len(ids))
		idf := math.Log(1 + (n-df+0.5)/(df+0.5))
		total += idf
		for _, id := range ids {
			held[id] += idf
		}
	}
	if total == 0 {
		return nil, nil
	}
	type hit struct {
		id int64
		w  float64
	}
	hits := make([]hit, 0, len(held))
	for id, w := range held {
		hits = append(hits, hit{id, w / total})
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].w != hits[j].w {
			return hits[i].w > hits[j].w
		}
		return hits[i].id < hits[j].id
	})
	out := make(map[int64]float64, min(limit, len(hits)))
	for _, h := range hits[:min(limit, len(hits))] {
		out[h.id] = h.w
	}
	return out, nil
}

// koreanParticles are endings stripped from Korean words so that "서울에서" finds "서울은":
// FTS5 splits on spaces, and Korean attaches particles to the word. Longest first.
var koreanParticles = []string{"에서는", "에게서", "으로는", "이라는", "에서", "에게", "으로", "부터", "까지", "처럼", "보다", "라는", "이나",
	"은", "는", "이", "가", "을", "를", "에", "의", "와", "과", "도", "로", "만", "나"}

// ftsTerms makes FTS5 query terms of the words of a question: quoted (so no word is taken
// for an FTS5 operator), lower-cased, Korean words without their particle and matched as
// prefixes (when at least two syllables remain). One-letter words other than digits and
// Han characters are left out.
func ftsTerms(q string) []string {
	seen := map[string]bool{}
	var out []string
	words := strings.FieldsFunc(q, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
	for _, w := range words {
		w = strings.ToLower(w)
		hangul := strings.IndexFunc(w, func(r rune) bool { return unicode.Is(unicode.Hangul, r) }) >= 0
		prefix := false
		if hangul {
			for _, p := range koreanParticles {
				if strings.HasSuffix(w, p) && utf8.RuneCountInString(w)-utf8.RuneCountInString(p) >= 2 {
					w = strings.TrimSuffix(w, p)
					break
				}
			}
			prefix = true
		}
		if utf8.RuneCountInString(w) < 2 {
			r, _ := utf8.DecodeRuneInString(w)
			if !unicode.IsDigit(r) && !unicode.Is(unicode.Han, r) {
				continue
			}
		}
		t := `"` + w + `"`
		if prefix {
			t += "*"
		}
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
		if len(out) == 16 {
			break
		}
	}
	return out
}

// loadVectors reads a collection's vectors into one contiguous index.
func (s *Store) loadVectors(ctx context.Context, collectionID int64) (*vectors.Index, error) {
	var n, dim int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*), coalesce(max(length(vector)), 0) / 4 FROM passages WHERE collection_id = ?`, collectionID).Scan(&n, &dim); err != nil {
		return nil, fmt.Errorf("load vectors: %w", err)
	}
	idx := vectors.New(dim, n)
	rows, err := s.db.QueryContext(ctx, `SELECT id, vector FROM passages WHERE collection_id = ? ORDER BY id`, collectionID)
	if err != nil {
		return nil, fmt.Errorf("load vectors: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var b []byte
		if err := rows.Scan(&id, &b); err != nil {
			return nil, err
		}
		if len(b) != 4*dim {
			return nil, fmt.Errorf("%w: passage %d has a %d-dimensional vector among %d-dimensional ones; re-index the collection", ErrNeedsReindex, id, len(b)/4, dim)
		}
		// Stored vectors are unit length (embed asks for normalised ones).
		v, err := idx.AddUnit(id)
		if err != nil {
			return nil, err
		}
		if _, err := binary.Decode(b, binary.LittleEndian, v); err != nil {
			return nil, fmt.Errorf("load vector of passage %d: %w", id, err)
		}
	}
	return idx, rows.Err()
}

// vectorCache holds each searched collection's vectors until the collection changes. A
// generation per collection keeps a load that raced with a change from being kept.
type vectorCache struct {
	max int64

	mu      sync.Mutex
	entries map[int64]*cacheEntry
	gen     map[int64]uint64
	tick    uint64
}

type cacheEntry struct {
	load sync.Mutex // one load per collection at a time
	gen  uint64
	idx  *vectors.Index
	used uint64
}

func newVectorCache(max int64) *vectorCache {
	return &vectorCache{max: max, entries: map[int64]*cacheEntry{}, gen: map[int64]uint64{}}
}

func (vc *vectorCache) invalidate(id int64) {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	vc.gen[id]++
	if e, ok := vc.entries[id]; ok {
		e.idx = nil
	}
}

func (vc *vectorCache) get(ctx context.Context, id int64, load func(context.Context, int64) (*vectors.Index, error)) (*vectors.Index, error) {
	vc.mu.Lock()
	e, ok := vc.entries[id]
	if !ok {
		e = &cacheEntry{}
		vc.entries[id] = e
	}
	vc.mu.Unlock()

	e.load.Lock()
	defer e.load.Unlock()
	vc.mu.Lock()
	gen := vc.gen[id]
	vc.tick++
	e.used = vc.tick
	if e.idx != nil && e.gen == gen {
		idx := e.idx
		vc.mu.Unlock()
		return idx, nil
	}
	vc.mu.Unlock()

	idx, err := load(ctx, id)
	if err != nil {
		return nil, err
	}
	vc.mu.Lock()
	defer vc.mu.Unlock()
	if vc.gen[id] == gen {
		e.idx, e.gen = idx, gen
		vc.evict(id)
	}
	return idx, nil
}

// evict drops the least recently searched collections beyond the memory bound, never keep.
func (vc *vectorCache) evict(keep int64) {
	var total int64
	for _, e := range vc.entries {
		if e.idx != nil {
			total += e.idx.Bytes()
		}
	}
	for total > vc.max {
		var oldest *cacheEntry
		for id, e := range vc.entries {
			if id != keep && e.idx != nil && (oldest == nil || e.used < oldest.used) {
				oldest = e
			}
		}
		if oldest == nil {
			return
		}
		total -= oldest.idx.Bytes()
		oldest.idx = nil
	}
}
