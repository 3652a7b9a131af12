package storeadapter_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/perchapp/perch/app/api"
	"github.com/perchapp/perch/app/api/internal/fake"
	"github.com/perchapp/perch/app/api/storeadapter"
	"github.com/perchapp/perch/app/library"
	"github.com/perchapp/perch/app/library/catalog"
	perchwire "github.com/perchapp/perch/app/wire/perch"
	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/memplan"
	"github.com/perchapp/perch/engine/sharedtest"
)

func mac(gb int64) func(context.Context) (memplan.Machine, error) {
	return func(context.Context) (memplan.Machine, error) { return memplan.SimulatedMac(gb << 30), nil }
}

func TestPerchLibraryUI(t *testing.T) {
	ctx := context.Background()
	gguf := sharedtest.Model(t, "stories260K.gguf")
	store, err := library.Open(t.TempDir(), library.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	u := storeadapter.New(store).WithCatalog(catalog.Embedded(), mac(32), func() []engine.Status { return nil }, 4, "")

	m, err := u.Import(ctx, gguf, "stories")
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "stories:latest" || m.Size != 1185376 || m.ContextLength != 2048 {
		t.Errorf("imported %+v", m)
	}
	if m.External {
		t.Error("an imported model is marked external")
	}

	f, err := u.Fit(ctx, perchwire.FitQuery{Model: "stories"})
	if err != nil {
		t.Fatal(err)
	}
	if f.Verdict != perchwire.VerdictFits || f.ContextLength != 2048 || f.WeightsBytes <= 0 || f.KVBytes <= 0 || f.TotalBytes < f.WeightsBytes {
		t.Errorf("fit %+v", f)
	}
	if _, err := u.Fit(ctx, perchwire.FitQuery{Model: "missing"}); err == nil {
		t.Error("a fit for a missing model")
	}

	info, err := u.Inspect(ctx, gguf)
	if err != nil {
		t.Fatal(err)
	}
	if info.Architecture != "llama" || info.Layers != 5 || info.KVHeads != 4 || info.SizeBytes != 1185376 {
		t.Errorf("inspect %+v", info)
	}
	if f, err := u.Fit(ctx, perchwire.FitQuery{Ref: gguf, ContextLength: 512}); err != nil || f.ContextLength != 512 {
		t.Errorf("fit of a reference: %+v, %v", f, err)
	}
}

// TestPerchCatalogVerdicts judges the embedded catalog for Macs of several sizes: more
// memory never makes a quantization fit worse, and the largest entries are too large for a
// small Mac.
func TestPerchCatalogVerdicts(t *testing.T) {
	ctx := context.Background()
	store, err := library.Open(t.TempDir(), library.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	rank := map[string]int{perchwire.VerdictFits: 0, perchwire.VerdictTight: 1, perchwire.VerdictTooLarge: 2}
	verdicts := map[int64]map[string]string{}
	for _, gb := range []int64{8, 16, 32, 64} {
		u := storeadapter.New(store).WithCatalog(catalog.Embedded(), mac(gb), nil, 1, "")
		ms, err := u.Catalog(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) == 0 {
			t.Fatal("empty catalog")
		}
		verdicts[gb] = map[string]string{}
		for _, m := range ms {
			for _, q := range m.Quants {
				if q.Fit == nil {
					t.Errorf("%s: no fit", q.Ref)
					continue
				}
				verdicts[gb][q.Ref] = q.Fit.Verdict
			}
		}
	}
	tooLarge8 := 0
	for ref, v8 := range verdicts[8] {
		if v8 == perchwire.VerdictTooLarge {
			tooLarge8++
		}
		prev := v8
		for _, gb := range []int64{16, 32, 64} {
			v := verdicts[gb][ref]
			if rank[v] > rank[prev] {
				t.Errorf("%s: %s with less memory but %s with %d GB", ref, prev, v, gb)
			}
			prev = v
		}
	}
	if tooLarge8 == 0 {
		t.Error("every catalog file fits an 8 GB Mac")
	}
	// The recommendation for a 32 GB Mac fits it (GET /perch/recommended over this catalog).
	d := api.Deps{Engine: fake.New(1, fake.Default())}
	storeadapter.New(store).WithCatalog(catalog.Embedded(), mac(32), nil, 4, "").Provide(&d, t.TempDir())
	srv := httptest.NewServer(api.New(api.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, d).Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/perch/recommended?lang=ko")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rec struct {
		Model perchwire.CatalogModel `json:"model"`
		Quant perchwire.Quant        `json:"quant"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&rec); err != nil || resp.StatusCode != http.StatusOK ||
		rec.Quant.Fit == nil || rec.Quant.Fit.Verdict != perchwire.VerdictFits {
		t.Fatalf("no recommendation for a 32 GB Mac: %d %+v %v", resp.StatusCode, rec, err)
	}
	t.Logf("recommended for a 32 GB Mac (Korean): %s (%s, %d bytes)", rec.Model.Name, rec.Quant.Ref, rec.Quant.Size)
}

// TestPerchCatalogBadgesAreTheFitTable: with the server's defaults and nothing loaded, each
// badge is docs/fit-table.md's verdict at its default context; on a 32 GB Mac Gemma 3 12B
// fits at every quantization (the "Too large" at Q5_K_M came from four per-slot
// caches and ignored sliding windows).
func TestPerchCatalogBadgesAreTheFitTable(t *testing.T) {
	store, err := library.Open(t.TempDir(), library.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	cat := catalog.Embedded()
	for _, gb := range catalog.TableMacs {
		u := storeadapter.New(store).WithCatalog(cat, mac(gb), nil, catalog.TableSlots, catalog.TableKV)
		ms, err := u.Catalog(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			e, _ := cat.Get(m.ID)
			for _, q := range m.Quants {
				cq, _ := e.Quant(q.Name)
				want, err := e.JudgeOn(cq, gb)
				if err != nil || q.Fit == nil {
					t.Fatalf("%s: %v %v", q.Ref, err, q.Fit)
				}
				if q.Fit.Verdict != string(want.Verdict) || q.Fit.ContextLength != want.Context {
					t.Errorf("%d GB %s: badge %s at %d, table %s at %d", gb, q.Ref, q.Fit.Verdict, q.Fit.ContextLength, want.Verdict, want.Context)
				}
				if gb == 32 && m.ID == "gemma-3-12b-it" && q.Fit.Verdict != perchwire.VerdictFits {
					t.Errorf("Gemma 3 12B %s on a 32 GB Mac: %s", q.Name, q.Fit.Message)
				}
			}
		}
	}
}

// TestPerchFitFollowsModelContext: an installed model's fit badge is judged at its own
// context (settings.model_defaults) when it has one.
func TestPerchFitFollowsModelContext(t *testing.T) {
	ctx := context.Background()
	store, err := library.Open(t.TempDir(), library.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	own := 0
	u := storeadapter.New(store).WithCatalog(catalog.Embedded(), mac(32), func() []engine.Status { return nil }, 4, "").
		FollowContext(func(m string) int {
			if m == "stories:latest" {
				return own
			}
			return 0
		})
	if _, err := u.Import(ctx, sharedtest.Model(t, "stories260K.gguf"), "stories"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ own, want int }{{0, 2048}, {512, 512}} {
		own = c.own
		fits, err := u.FitModels(ctx, []string{"stories:latest"})
		if err != nil {
			t.Fatal(err)
		}
		if f := fits["stories:latest"]; f.ContextLength != c.want {
			t.Errorf("own context %d: judged at %d, want %d", c.own, f.ContextLength, c.want)
		}
	}
}

// TestPerchFitFollowsServerContext: with a server-wide default context in the settings, the
// badges judge what a load would get (and a cache per slot when the settings ask for one): an installed model without a context of its own and every
// catalog quantization at that context (capped to what the model was trained for), not at the
// largest context that fits.
func TestPerchFitFollowsServerContext(t *testing.T) {
	ctx := context.Background()
	store, err := library.Open(t.TempDir(), library.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	u := storeadapter.New(store).WithCatalog(catalog.Embedded(), mac(32), func() []engine.Status { return nil }, 4, "").
		FollowContext(func(string) int { return 0 }).
		LoadDefaults(1024, false)
	if _, err := u.Import(ctx, sharedtest.Model(t, "stories260K.gguf"), "stories"); err != nil {
		t.Fatal(err)
	}
	fits, err := u.FitModels(ctx, []string{"stories:latest"})
	if err != nil {
		t.Fatal(err)
	}
	if f := fits["stories:latest"]; f.ContextLength != 1024 {
		t.Errorf("installed model judged at %d, want the server's 1024", f.ContextLength)
	}
	// With a cache for every slot (settings.per_slot_kv), the 4 slots hold 4 times the cache.
	u.LoadDefaults(1024, true)
	perSlot, err := u.FitModels(ctx, []string{"stories:latest"})
	if err != nil {
		t.Fatal(err)
	}
	if shared, own := fits["stories:latest"].KVBytes, perSlot["stories:latest"].KVBytes; shared == 0 || own != 4*shared {
		t.Errorf("KV bytes %d with a cache per slot, %d shared: want 4 times", own, shared)
	}
	u.LoadDefaults(1024, false)
	ms, err := u.Catalog(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		for _, q := range m.Quants {
			if q.Fit != nil && q.Fit.ContextLength != min(1024, m.ContextLength) {
				t.Errorf("%s judged at %d, want %d", q.Ref, q.Fit.ContextLength, min(1024, m.ContextLength))
			}
		}
	}
}
