package storeadapter_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/perchapp/perch/app/api/storeadapter"
	"github.com/perchapp/perch/app/library"
	"github.com/perchapp/perch/app/library/catalog"
)

// The catalog's fit badges follow the KV cache type the settings name now: a q8_0 cache
// about halves the cache's bytes per token (less where sliding windows cap it), and some quantization that did not fit at the default
// context fits (or fits with a larger context) once the setting changes.
func TestPerchFitFollowsKVTypeSetting(t *testing.T) {
	store, err := library.Open(t.TempDir(), library.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	kv := "f16"
	u := storeadapter.New(store).WithCatalog(catalog.Embedded(), mac(16), nil, 4, "").
		FollowCache(func() (string, string) { return kv, "auto" })
	badges := func() map[string][2]int64 {
		ms, err := u.Catalog(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][2]int64{}
		for _, m := range ms {
			for _, q := range m.Quants {
				if q.Fit == nil {
					continue // the catalog lacks its shape
				}
				v := int64(0)
				if q.Fit.Verdict == "fits" {
					v = 1
				}
				out[q.Ref] = [2]int64{q.Fit.KVBytes * 1000 / int64(max(q.Fit.ContextLength, 1)), v<<32 | int64(q.Fit.ContextLength)}
			}
		}
		return out
	}
	f16 := badges()
	kv = "q8_0"
	q8 := badges()
	changed := 0
	for ref, a := range f16 {
		b := q8[ref]
		if a[0] == 0 || b[0] == 0 {
			continue // no room for any context
		}
		if r := float64(b[0]) / float64(a[0]); r > 0.6 {
			t.Errorf("%s: KV bytes per token %d with q8_0, %d with f16 (ratio %.2f, want at most about 0.53)", ref, b[0], a[0], r)
		}
		if a[1] != b[1] {
			changed++
		}
	}
	if changed == 0 {
		t.Error("no badge changed its verdict or context on a 16 GB Mac when the KV cache went from f16 to q8_0")
	}
}
