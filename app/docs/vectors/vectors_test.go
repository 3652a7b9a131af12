package vectors

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/perchapp/perch/engine/vecmath"
)

func randomIndex(n, dim int, seed uint64) (*Index, [][]float32) {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := New(dim, n)
	vs := make([][]float32, n)
	for i := range vs {
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(rng.NormFloat64())
		}
		if err := x.Add(int64(1000+i), v); err != nil {
			panic(err)
		}
		vecmath.Normalize(v)
		vs[i] = v
	}
	return x, vs
}

// TestSearchMatchesBruteForce: across shard counts and k, Search returns exactly the best k
// of a plain sort of all cosines.
func TestSearchMatchesBruteForce(t *testing.T) {
	for _, tt := range []struct{ n, dim, k int }{{1, 8, 5}, {37, 16, 1}, {500, 64, 10}, {20000, 32, 25}} {
		t.Run(fmt.Sprintf("n%d_k%d", tt.n, tt.k), func(t *testing.T) {
			x, vs := randomIndex(tt.n, tt.dim, uint64(tt.n))
			q := append([]float32(nil), vs[tt.n/2]...)
			q[0] += 0.1
			vecmath.Normalize(q)
			got, err := x.Search(context.Background(), q, tt.k)
			if err != nil {
				t.Fatal(err)
			}
			all := make([]Hit, tt.n)
			for i, v := range vs {
				var s float32
				for j := range v {
					s += q[j] * v[j]
				}
				all[i] = Hit{ID: int64(1000 + i), Score: s}
			}
			sort.Slice(all, func(i, j int) bool { return all[i].Score > all[j].Score })
			want := all[:min(tt.k, tt.n)]
			if len(got) != len(want) {
				t.Fatalf("%d hits, want %d", len(got), len(want))
			}
			for i := range want {
				if got[i].ID != want[i].ID || abs(got[i].Score-want[i].Score) > 1e-4 {
					t.Errorf("hit %d: %+v, want %+v", i, got[i], want[i])
				}
			}
			if got[0].ID != int64(1000+tt.n/2) {
				t.Errorf("the nearest vector is %d, want the query's own %d", got[0].ID, 1000+tt.n/2)
			}
			if s, ok := x.Score(q, got[0].ID); !ok || abs(s-got[0].Score) > 1e-5 {
				t.Errorf("Score = %v %v, want %v", s, ok, got[0].Score)
			}
		})
	}
}

// TestAddUnit: a row filled in place is searched like one given to Add, and is taken as it
// is (not scaled again).
func TestAddUnit(t *testing.T) {
	x := New(2, 0)
	if err := x.Add(1, []float32{3, 4}); err != nil {
		t.Fatal(err)
	}
	row, err := x.AddUnit(2)
	if err != nil {
		t.Fatal(err)
	}
	copy(row, []float32{0, 0.5}) // not unit: kept as given
	if err := x.Add(3, []float32{-1, 0}); err != nil {
		t.Fatal(err)
	}
	if s, ok := x.Score([]float32{0, 1}, 2); !ok || s != 0.5 {
		t.Errorf("Score of the filled row = %v %v, want 0.5", s, ok)
	}
	if s, ok := x.Score([]float32{0, 1}, 1); !ok || abs(s-0.8) > 1e-6 {
		t.Errorf("Score of the row added before = %v %v, want 0.8", s, ok)
	}
	if x.Len() != 3 {
		t.Errorf("Len = %d, want 3", x.Len())
	}
}

func TestIndexErrors(t *testing.T) {
	x := New(4, 0)
	if err := x.Add(1, []float32{1, 2, 3}); err == nil {
		t.Error("a vector of the wrong dimension was accepted")
	}
	if err := x.Add(1, []float32{1, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	if err := x.Add(1, []float32{0, 1, 0, 0}); err == nil {
		t.Error("a duplicate id was accepted")
	}
	if _, err := x.AddUnit(1); err == nil {
		t.Error("a duplicate id was accepted by AddUnit")
	}
	if _, err := x.Search(context.Background(), []float32{1}, 3); err == nil {
		t.Error("a query of the wrong dimension was accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := x.Search(ctx, []float32{1, 0, 0, 0}, 3); err == nil {
		t.Error("a cancelled search returned no error")
	}
	if hits, _ := New(4, 0).Search(context.Background(), []float32{1, 0, 0, 0}, 3); len(hits) != 0 {
		t.Error("an empty index found something")
	}
}

func abs(f float32) float32 {
	if f < 0 {
		return -f
	}
	return f
}

// BenchmarkSearch measures exact top-10 search over synthetic unit vectors of 1024
// dimensions (bge-m3's size):
//
//	go test ./app/docs/vectors -run '^$' -bench Search -benchtime 20x
func BenchmarkSearch(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("passages=%d/dim=1024", n), func(b *testing.B) {
			x, vs := randomIndex(n, 1024, 7)
			q := vs[n/3]
			for b.Loop() {
				if _, err := x.Search(context.Background(), q, 10); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(x.Bytes())/(1<<20), "MiB")
		})
	}
}
