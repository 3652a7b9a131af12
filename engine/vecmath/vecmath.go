// Package vecmath holds the vector arithmetic that the engine's worker (pooled embeddings)
// and app/docs (retrieval) share, written once.
package vecmath

import "math"

// Normalize scales v to unit length (L2) in place; a zero vector stays zero.
func Normalize(v []float32) {
	var s float64
	for _, f := range v {
		s += float64(f) * float64(f)
	}
	if s == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(s))
	for i := range v {
		v[i] *= inv
	}
}
