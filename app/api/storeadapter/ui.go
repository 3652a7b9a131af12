package storeadapter

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/perchapp/perch/app/api"
	"github.com/perchapp/perch/app/library/catalog"
	"github.com/perchapp/perch/app/library/ggufmeta"
	perchwire "github.com/perchapp/perch/app/wire/perch"
	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/format"
	"github.com/perchapp/perch/engine/memplan"
)

// The UI's side of the store: importing files, deleting what a cancelled download left,
// inspecting remote headers, the curated catalog and Hugging Face search, and fit estimates
// from engine/memplan against this machine's memory.

// WithCatalog gives the adapter what the catalog and fit estimates need. machine reports the
// memory now (the engine's planner uses the same function); loaded lists the resident models;
// slots and kvType are the server's load defaults, so a badge judges a model as the server
// would load it.
func (a *Store) WithCatalog(cat *catalog.Catalog, machine func(ctx context.Context) (memplan.Machine, error),
	loaded func() []engine.Status, slots int, kvType string) *Store {
	if slots <= 0 {
		slots = 4
	}
	if kvType == "" {
		kvType = "f16"
	}
	a.catalog, a.machine, a.loaded, a.slots, a.kvType = cat, machine, loaded, slots, kvType
	a.shapes = map[string]memplan.Shape{}
	return a
}

// FollowCache makes fit estimates use the KV cache type and flash attention that now() gives
// (the saved settings), so choosing q8_0 in Settings changes what fits at once.
func (a *Store) FollowCache(now func() (kvType, flashAttn string)) *Store {
	a.cacheNow = now
	return a
}

// FollowContext makes the installed models' fit badges judge each model at the context that
// ctxFor gives it (its own context from the saved settings; 0 for the server's default,
// LoadDefaults).
func (a *Store) FollowContext(ctxFor func(model string) int) *Store {
	a.ctxFor = ctxFor
	return a
}

// LoadDefaults makes fit estimates judge a model as the server loads it: at its default
// context when the estimate names none (settings.context_length as the engine started with
// it; 0 leaves it to memplan, the largest context that fits) and with a cache of that context
// for every slot when perSlotKV is set (settings.per_slot_kv).
func (a *Store) LoadDefaults(contextLength int, perSlotKV bool) *Store {
	a.defaultCtx, a.perSlot = contextLength, perSlotKV
	return a
}

// Provide plugs the adapter in as the model library, the importer (with uploads kept in
// uploadDir until imported), the remover of cancelled downloads and the storage report, and, after WithCatalog,
// as the catalog and the fit estimator.
func (a *Store) Provide(d *api.Deps, uploadDir string) {
	d.Library, d.Importer, d.UploadDir, d.Discarder, d.Storage = a, a, uploadDir, a, a
	if a.catalog != nil {
		d.Catalog, d.Fit = a, a
	}
}

// Import implements api.ModelImporter.
func (a *Store) Import(ctx context.Context, path, name string) (perchwire.LibraryModel, error) {
	m, err := a.s.Import(ctx, path, name)
	if err != nil {
		return perchwire.LibraryModel{}, err
	}
	return modelOf(m), nil
}

// DiscardPull implements api.PullDiscarder.
func (a *Store) DiscardPull(ctx context.Context, ref string) error {
	return a.s.DiscardPull(ctx, ref)
}

// budget is this machine's budget with the loaded models as residents.
func (a *Store) budget(ctx context.Context) (memplan.Budget, []memplan.Resident, memplan.Backend, error) {
	m, err := a.machine(ctx)
	if err != nil {
		return memplan.Budget{}, nil, "", fmt.Errorf("read memory: %w", err)
	}
	var res []memplan.Resident
	var used int64
	if a.loaded != nil {
		for _, st := range a.loaded() {
			mu := st.Memory
			n := max(mu.RSSBytes, mu.WeightsBytes+mu.KVBytes+mu.ComputeBytes+mu.OutputBytes)
			res = append(res, memplan.Resident{Name: st.Name, Bytes: n})
			used += n
		}
	}
	return memplan.BudgetFor(m, used), res, m.Backend(), nil
}

func (a *Store) judge(s memplan.Shape, q perchwire.FitQuery, b memplan.Budget, res []memplan.Resident, backend memplan.Backend) (perchwire.Fit, error) {
	kv, flash := q.KVType, ""
	if a.cacheNow != nil {
		k, f := a.cacheNow()
		flash = f
		if kv == "" {
			kv = k
		}
	}
	if kv == "" {
		kv = a.kvType
	}
	if q.ContextLength == 0 {
		q.ContextLength = a.defaultCtx
	}
	slots := q.Slots
	if slots <= 0 {
		slots = a.slots
	}
	// No context at all: the context the server would pick (as docs/fit-table.md).
	f, _, err := memplan.Judge(s, memplan.Options{Context: q.ContextLength, Slots: slots, KVTypeK: kv, KVTypeV: kv, FlashAttn: flash, Backend: backend, PerSlot: a.perSlot}, b, res)
	if err != nil {
		return perchwire.Fit{}, err
	}
	verdict := string(f.Verdict)
	return perchwire.Fit{
		WeightsBytes: f.WeightsBytes, KVBytes: f.KVBytes + f.StateBytes, ComputeBytes: f.ComputeBytes + f.OutputBytes,
		OverheadBytes: f.OverheadBytes, TotalBytes: f.TotalBytes, BudgetBytes: f.BudgetBytes, Verdict: verdict,
		ContextLength: f.Options.Context, MaxContext: f.MaxCtx, Message: f.Message,
	}, nil
}

// Fit implements api.FitEstimator for installed models (their file) and references (the remote
// header, read without downloading).
func (a *Store) Fit(ctx context.Context, q perchwire.FitQuery) (perchwire.Fit, error) {
	var (
		s   memplan.Shape
		err error
	)
	if q.Model != "" {
		s, err = a.installedShape(ctx, q.Model)
	} else {
		s, err = a.remoteShape(ctx, q.Ref)
	}
	if err != nil {
		return perchwire.Fit{}, err
	}
	b, res, backend, err := a.budget(ctx)
	if err != nil {
		return perchwire.Fit{}, err
	}
	return a.judge(s, q, b, res, backend)
}

// FitModels implements api.ModelsFitter: each installed model judged at its own context
// (FollowContext), else the server's default, against one reading of the machine's memory. A model that cannot be judged is left
// out rather than failing the list.
func (a *Store) FitModels(ctx context.Context, names []string) (map[string]perchwire.Fit, error) {
	b, res, backend, err := a.budget(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]perchwire.Fit, len(names))
	for _, name := range names {
		s, err := a.installedShape(ctx, name)
		if err != nil {
			continue
		}
		q := perchwire.FitQuery{Model: name}
		if a.ctxFor != nil {
			q.ContextLength = a.ctxFor(name)
		}
		if f, err := a.judge(s, q, b, res, backend); err == nil {
			out[name] = f
		}
	}
	return out, nil
}

// installedShape is an installed model's shape from the header the store keeps parsed.
func (a *Store) installedShape(ctx context.Context, name string) (memplan.Shape, error) {
	info, err := a.s.Info(ctx, name)
	if err != nil {
		return memplan.Shape{}, err
	}
	if info.File == nil {
		return memplan.Shape{}, errors.New("the model's header could not be read for an estimate")
	}
	return memplan.ShapeFromGGUF(info.File)
}

func (a *Store) remoteShape(ctx context.Context, ref string) (memplan.Shape, error) {
	a.mu.Lock()
	s, ok := a.shapes[ref]
	a.mu.Unlock()
	if ok {
		return s, nil
	}
	info, err := a.s.Inspect(ctx, ref)
	if err != nil {
		return memplan.Shape{}, err
	}
	return a.rememberShape(ref, info)
}

func (a *Store) rememberShape(ref string, info ggufmeta.Info) (memplan.Shape, error) {
	if info.File == nil {
		return memplan.Shape{}, errors.New("the model's header could not be read for an estimate")
	}
	s, err := memplan.ShapeFromGGUF(info.File)
	if err != nil {
		return memplan.Shape{}, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.shapes) >= 64 { // a small cache: drop it all rather than track ages
		clear(a.shapes)
	}
	a.shapes[ref] = s
	return s, nil
}

// Inspect implements api.Catalog: the header of any reference, without the weights.
func (a *Store) Inspect(ctx context.Context, ref string) (perchwire.RemoteModel, error) {
	info, err := a.s.Inspect(ctx, ref)
	if err != nil {
		return perchwire.RemoteModel{}, err
	}
	_, _ = a.rememberShape(ref, info) // only an optimisation for the Fit that follows
	return perchwire.RemoteModel{Ref: ref, Architecture: info.Architecture, Parameters: info.ParameterCount, Quantization: info.Quantization,
		Layers: int(info.BlockCount), Heads: int(info.HeadCount), KVHeads: int(info.HeadCountKV), ContextLength: int(info.ContextLength),
		HasChatTemplate: info.ChatTemplate != "", SizeBytes: info.FileSize}, nil
}

// Catalog implements api.Catalog: the curated entries matching query, each quantization judged
// from the catalog's recorded shape (no network).
func (a *Store) Catalog(ctx context.Context, query string) ([]perchwire.CatalogModel, error) {
	entries := a.catalog.Search(query)
	b, res, backend, err := a.budget(ctx)
	haveBudget := err == nil
	out := make([]perchwire.CatalogModel, 0, len(entries))
	for _, e := range entries {
		cm := perchwire.CatalogModel{ID: e.ID, Name: e.Name, Publisher: e.Publisher, Description: e.Description + " " + e.Suits(),
			Tags: slices.Clone(e.Tasks), ContextLength: int(e.Shape.ContextLength), Recommended: true}
		if slices.Contains(e.Languages, "ko") {
			cm.Tags = append(cm.Tags, "korean")
		}
		// Ollama writes "8.0B"; the catalog, "8B".
		cm.Parameters = strings.Replace(format.OllamaParams(e.Shape.Parameters), ".0B", "B", 1)
		for _, q := range e.Quants {
			qv := perchwire.Quant{Name: q.Name, Ref: e.Ref(q.Name), Size: q.Size, Recommended: strings.EqualFold(q.Name, e.Recommended)}
			if haveBudget {
				if s, err := memplan.ApproxShape(e.Summary(q)); err == nil {
					if f, err := a.judge(s, perchwire.FitQuery{}, b, res, backend); err == nil {
						qv.Fit = &f
					}
				}
			}
			cm.Quants = append(cm.Quants, qv)
		}
		out = append(out, cm)
	}
	return out, nil
}

// Search implements api.Catalog: Hugging Face repositories with GGUF files. Sizes and fits are
// unknown until a quantization is inspected.
func (a *Store) Search(ctx context.Context, query string) ([]perchwire.CatalogModel, error) {
	h := a.s.HF()
	if h == nil {
		return nil, errors.New("Hugging Face search is not configured")
	}
	rs, err := h.Search(ctx, query, 20)
	if err != nil {
		return nil, fmt.Errorf("search Hugging Face: %w", err)
	}
	out := make([]perchwire.CatalogModel, 0, len(rs))
	for _, r := range rs {
		cm := perchwire.CatalogModel{ID: r.Repo, Name: r.Repo, Downloads: int64(r.Downloads), Quants: []perchwire.Quant{}}
		if i := strings.IndexByte(r.Repo, '/'); i > 0 {
			cm.Publisher = r.Repo[:i]
		}
		for _, q := range r.Quants {
			cm.Quants = append(cm.Quants, perchwire.Quant{Name: q, Ref: "hf.co/" + r.Repo + ":" + q})
		}
		out = append(out, cm)
	}
	return out, nil
}
