package vecmath

import (
	"math"
	"testing"
)

func TestNormalize(t *testing.T) {
	for _, c := range []struct{ in, want []float32 }{
		{[]float32{3, 4}, []float32{0.6, 0.8}},
		{[]float32{0, 0, 0}, []float32{0, 0, 0}},
		{[]float32{-2}, []float32{-1}},
		{nil, nil},
	} {
		v := append([]float32(nil), c.in...)
		Normalize(v)
		for i := range v {
			if math.Abs(float64(v[i]-c.want[i])) > 1e-6 {
				t.Errorf("Normalize(%v) = %v, want %v", c.in, v, c.want)
				break
			}
		}
	}
}
