// Package vectors is exact nearest-neighbour search by cosine similarity over unit vectors
// kept in one contiguous []float32. Exact search reads every vector, which at ~100k passages
// of 1024 dimensions is a 400 MB sequential scan: fast enough (tens of milliseconds, split
// across cores) that an approximate index, with its recall loss and build cost, does not pay.
package vectors

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"sync"

	"github.com/perchapp/perch/engine/vecmath"
)

// Hit is a vector's id and its cosine similarity to the query.
type Hit struct {
	ID    int64
	Score float32
}

// Index holds vectors of one dimension. Add is not safe to call concurrently with anything
// else; once built, Search and Score may run from many goroutines.
type Index struct {
	dim  int
	data []float32 // row i is data[i*dim : (i+1)*dim]
	ids  []int64
	rows map[int64]int
}

// New returns an empty index for vectors of dim dimensions, with room for capacity of them.
func New(dim, capacity int) *Index {
	return &Index{dim: dim, data: make([]float32, 0, dim*capacity), ids: make([]int64, 0, capacity), rows: make(map[int64]int, capacity)}
}

// Dim is the dimension of the vectors.
func (x *Index) Dim() int { return x.dim }

// Len is the number of vectors.
func (x *Index) Len() int { return len(x.ids) }

// Bytes is the memory the vectors take.
func (x *Index) Bytes() int64 { return int64(cap(x.data)) * 4 }

// Add appends v under id, scaled to unit length so that a dot product is the cosine.
func (x *Index) Add(id int64, v []float32) error {
	if len(v) != x.dim {
		return fmt.Errorf("vector %d has %d dimensions, the index %d", id, len(v), x.dim)
	}
	row, err := x.AddUnit(id)
	if err != nil {
		return err
	}
	copy(row, v)
	vecmath.Normalize(row)
	return nil
}

// AddUnit appends a zero row under id and returns it, for the caller to fill with a vector
// of unit length: vectors stored already normalised are decoded straight into the index,
// without a copy or a second normalisation.
func (x *Index) AddUnit(id int64) ([]float32, error) {
	if _, dup := x.rows[id]; dup {
		return nil, fmt.Errorf("vector %d is already in the index", id)
	}
	start := len(x.data)
	x.data = slices.Grow(x.data, x.dim)[:start+x.dim]
	row := x.data[start:]
	clear(row)
	x.rows[id] = len(x.ids)
	x.ids = append(x.ids, id)
	return row, nil
}

// Score is the cosine similarity of the unit query q to the vector stored under id.
func (x *Index) Score(q []float32, id int64) (float32, bool) {
	r, ok := x.rows[id]
	if !ok || len(q) != x.dim {
		return 0, false
	}
	return Dot(q, x.data[r*x.dim:(r+1)*x.dim]), true
}

// minShard is the fewest rows worth a goroutine of their own.
const minShard = 8192

// Search returns the k vectors most similar to q (a unit vector), best first. The scan is
// split across the CPUs; ctx is checked between blocks of rows.
func (x *Index) Search(ctx context.Context, q []float32, k int) ([]Hit, error) {
	if len(q) != x.dim {
		return nil, fmt.Errorf("the query has %d dimensions, the index %d", len(q), x.dim)
	}
	n := len(x.ids)
	if k <= 0 || n == 0 {
		return nil, nil
	}
	shards := min(runtime.GOMAXPROCS(0), (n+minShard-1)/minShard)
	per := (n + shards - 1) / shards
	tops := make([]topK, shards)
	errs := make([]error, shards)
	var wg sync.WaitGroup
	for s := range shards {
		lo, hi := s*per, min(n, (s+1)*per)
		tops[s] = newTopK(k)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[s] = x.scan(ctx, q, lo, hi, &tops[s])
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	all := tops[0]
	for _, t := range tops[1:] {
		for _, h := range t.hits {
			all.push(h.Score, h.ID)
		}
	}
	out := all.hits
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

func (x *Index) scan(ctx context.Context, q []float32, lo, hi int, t *topK) error {
	const block = 4096
	dim := x.dim
	for b := lo; b < hi; b += block {
		if err := ctx.Err(); err != nil {
			return err
		}
		end := min(hi, b+block)
		row := x.data[b*dim : end*dim]
		for i := b; i < end; i++ {
			s := Dot(q, row[:dim])
			row = row[dim:]
			if s > t.min || len(t.hits) < t.k {
				t.push(s, x.ids[i])
			}
		}
	}
	return nil
}

// Dot is the dot product of two vectors of the same length, four lanes at a time (the Go
// compiler does not vectorize; independent accumulators let the CPU overlap the adds).
func Dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		aa, bb := a[i:i+4:i+4], b[i:i+4:i+4]
		s0 += aa[0] * bb[0]
		s1 += aa[1] * bb[1]
		s2 += aa[2] * bb[2]
		s3 += aa[3] * bb[3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// topK keeps the k best hits seen, as a min-heap on score so the worst is replaced first.
type topK struct {
	k    int
	hits []Hit
	min  float32
}

func newTopK(k int) topK { return topK{k: k, hits: make([]Hit, 0, k), min: float32(math.Inf(-1))} }

func (t *topK) push(s float32, id int64) {
	if len(t.hits) < t.k {
		t.hits = append(t.hits, Hit{ID: id, Score: s})
		t.up(len(t.hits) - 1)
	} else if s > t.hits[0].Score {
		t.hits[0] = Hit{ID: id, Score: s}
		t.down(0)
	} else {
		return
	}
	if len(t.hits) == t.k {
		t.min = t.hits[0].Score
	}
}

func (t *topK) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if t.hits[p].Score <= t.hits[i].Score {
			return
		}
		t.hits[p], t.hits[i] = t.hits[i], t.hits[p]
		i = p
	}
}

func (t *topK) down(i int) {
	n := len(t.hits)
	for {
		l, small := 2*i+1, i
		if l < n && t.hits[l].Score < t.hits[small].Score {
			small = l
		}
		if r := l + 1; r < n && t.hits[r].Score < t.hits[small].Score {
			small = r
		}
		if small == i {
			return
		}
		t.hits[small], t.hits[i] = t.hits[i], t.hits[small]
		i = small
	}
}
