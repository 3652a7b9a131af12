package catalog

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perchapp/perch/engine/format"
	"github.com/perchapp/perch/engine/memplan"
)

// TestFitTableIsCurrent fails while docs/fit-table.md is not what the catalog and the memory
// planner give now; regenerate it with `go run ./app/library/catalog/cmd/fittable`.
func TestFitTableIsCurrent(t *testing.T) {
	var b bytes.Buffer
	if err := WriteFitTable(&b, Embedded()); err != nil {
		t.Fatal(err)
	}
	have, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "fit-table.md"))
	if err != nil {
		t.Fatalf("%v; generate it with go run ./app/library/catalog/cmd/fittable", err)
	}
	if !bytes.Equal(have, b.Bytes()) {
		t.Error("docs/fit-table.md is stale; regenerate it with go run ./app/library/catalog/cmd/fittable")
	}
}

// TestCatalogSizingClaims checks the sizing the catalog promises a user, at 8K with the
// server's defaults (4 slots sharing one f16 cache).
func TestCatalogSizingClaims(t *testing.T) {
	c := Embedded()
	at8K := func(id, quant string, gb int64) memplan.Fit {
		t.Helper()
		e, ok := c.Get(id)
		if !ok {
			t.Fatalf("no catalog entry %s", id)
		}
		q, ok := e.Quant(quant)
		if !ok {
			t.Fatalf("%s has no %s", id, quant)
		}
		s, err := memplan.ApproxShape(e.Summary(q))
		if err != nil {
			t.Fatal(err)
		}
		o := memplan.Options{Context: memplan.CatalogContext, Slots: TableSlots, Backend: memplan.BackendMetal}
		f, err := memplan.Check(s, o, memplan.BudgetFor(memplan.SimulatedMac(gb<<30), 0), nil)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	for _, tc := range []struct {
		id, quant string
		gb        int64
	}{
		{"gemma-3-12b-it", "Q4_K_M", 32}, {"gemma-3-12b-it", "Q5_K_M", 32}, {"gemma-3-12b-it", "Q6_K", 32}, {"gemma-3-12b-it", "Q8_0", 32},
		{"gpt-oss-20b", "MXFP4", 32},
		{"llama-3.1-8b-instruct", "Q4_K_M", 16}, {"qwen3-8b", "Q4_K_M", 16},
		{"qwen2.5-coder-14b-instruct", "Q8_0", 32},
	} {
		if f := at8K(tc.id, tc.quant, tc.gb); f.Verdict != memplan.Fits {
			t.Errorf("%s %s on a %d GB Mac at 8K: %s", tc.id, tc.quant, tc.gb, f.Message)
		}
	}
	// Gemma 3's sliding-window layers keep a window per slot, not the whole context: its KV
	// at 8K is far below the 48 full layers' 12 GiB × 8K/32K.
	if f := at8K("gemma-3-12b-it", "Q4_K_M", 32); f.KVBytes > 2<<30 {
		t.Errorf("Gemma 3 12B KV at 8K: %s; the sliding window is not honoured", format.Memory(f.KVBytes))
	}
}

func TestEveryEntrySaysWhichMacs(t *testing.T) {
	for _, e := range Embedded().Models {
		if s := e.Suits(); !strings.Contains(s, "GB") {
			t.Errorf("%s: %q", e.ID, s)
		}
	}
	e, _ := Embedded().Get("gemma-3-12b-it")
	if s := e.Suits(); s != "Suits 24 GB Macs and up (Q4_K_M to Q6_K); Q8_0 from 32 GB." {
		t.Errorf("gemma 3 12B: %q", s)
	}
}
