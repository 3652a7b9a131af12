package api

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/perchapp/perch/app/library"
	"github.com/perchapp/perch/app/library/catalog"
	"github.com/perchapp/perch/app/library/ggufmeta"
	"github.com/perchapp/perch/app/system"
	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/memplan"
)

// LibraryUI gives the /perch routes Perch's real parts: the library store (import, cancelled
// downloads, remote inspection), the curated catalog and Hugging Face search, and fit
// estimates from engine/memplan against this machine's memory.
type LibraryUI struct {
	store   *library.Store
	catalog *catalog.Catalog
	machine func(ctx context.Context) (memplan.Machine, error)
	loaded  func() []engine.Status
	slots   int
	kvType  string

	mu     sync.Mutex
	shapes map[string]memplan.Shape // remote headers read by Inspect, for the Fit that follows
}

// NewLibraryUI builds the adapter. machine reports the memory now (the engine's planner
// uses the same function); loaded lists the resident models; slots and kvType are the
// server's load defaults, so a badge judges a model as the server would load it.
func NewLibraryUI(store *library.Store, cat *catalog.Catalog, machine func(ctx context.Context) (memplan.Machine, error),
	loaded func() []engine.Status, slots int, kvType string) *LibraryUI {
	if slots <= 0 {
		slots = 4
	}
	if kvType == "" {
		kvType = "f16"
	}
	return &LibraryUI{store: store, catalog: cat, machine: machine, loaded: loaded, slots: slots, kvType: kvType,
		shapes: map[string]memplan.Shape{}}
}

// WithLibraryUI plugs the adapter in as the catalog, the fit estimator, the importer (with
// uploads kept in uploadDir until imported) and the remover of cancelled downloads.
func WithLibraryUI(u *LibraryUI, uploadDir string) Option {
	return func(s *Server) {
		s.values[keyCatalog] = u
		s.values[keyFit] = u
		s.values[keyImporter] = u
		s.values[keyUploadDir] = uploadDir
		s.values[keyDiscarder] = u
	}
}

// NewMemorySource reads memory through app/system's sampler.
func NewMemorySource(s *system.Sampler) MemorySource { return samplerSource{s} }

type samplerSource struct{ s *system.Sampler }

func (m samplerSource) Memory(ctx context.Context) (MemorySnapshot, error) {
	snap, err := m.s.Sample(ctx)
	if err != nil {
		return MemorySnapshot{}, err
	}
	out := MemorySnapshot{
		TotalBytes: snap.TotalBytes, UsedBytes: snap.UsedBytes, AvailableBytes: snap.AvailableBytes,
		WiredBytes: snap.WiredBytes, CompressedBytes: snap.CompressedBytes,
		SwapUsedBytes: snap.SwapUsedBytes, SwapTotalBytes: snap.SwapTotalBytes,
		Pressure: string(snap.Pressure), GPUBudgetBytes: snap.GPU.LimitBytes,
	}
	if snap.GPU.FreeBytes > 0 && snap.GPU.LimitBytes >= snap.GPU.FreeBytes {
		out.GPUUsedBytes = snap.GPU.LimitBytes - snap.GPU.FreeBytes
	}
	return out, nil
}

// Import implements ModelImporter.
func (u *LibraryUI) Import(ctx context.Context, path, name string) (LibraryModel, error) {
	m, err := u.store.Import(ctx, path, name)
	if err != nil {
		return LibraryModel{}, err
	}
	return LibraryModelOf(m), nil
}

// DiscardPull implements PullDiscarder.
func (u *LibraryUI) DiscardPull(ctx context.Context, ref string) error {
	return u.store.DiscardPull(ctx, ref)
}

// LibraryModelOf is a library model as the API shows it. A models-directory file is not
// hashed; its identity (from path, size and time) stands in for the digest, which Ollama
// clients expect to be there.
func LibraryModelOf(m library.Model) LibraryModel {
	digest := m.Digest
	if digest == "" {
		digest = strings.TrimPrefix(m.Ref().Digest, "file:")
	}
	return LibraryModel{
		Name: m.Name, Digest: digest, Size: m.Size, Path: m.Path, Architecture: m.Architecture, ParameterCount: m.ParameterCount,
		Quantization: m.Quantization, ContextLength: int(m.ContextLength), ModifiedAt: m.ModifiedAt,
		Template: m.Template, System: m.System, License: m.License, Params: m.Params, External: m.External,
		Embedding: m.Embedding, FIM: m.FIM,
	}
}

// budget is this machine's budget with the loaded models as residents.
func (u *LibraryUI) budget(ctx context.Context) (memplan.Budget, []memplan.Resident, memplan.Backend, error) {
	m, err := u.machine(ctx)
	if err != nil {
		return memplan.Budget{}, nil, "", fmt.Errorf("read memory: %w", err)
	}
	var res []memplan.Resident
	var used int64
	if u.loaded != nil {
		for _, st := range u.loaded() {
			mu := st.Memory
			n := max(mu.RSSBytes, mu.WeightsBytes+mu.KVBytes+mu.ComputeBytes+mu.OutputBytes)
			res = append(res, memplan.Resident{Name: st.Name, Bytes: n})
			used += n
		}
	}
	return memplan.BudgetFor(m, used), res, m.Backend(), nil
}

func (u *LibraryUI) judge(s memplan.Shape, q FitQuery, b memplan.Budget, res []memplan.Resident, backend memplan.Backend) (Fit, error) {
	kv := q.KVType
	if kv == "" {
		kv = u.kvType
	}
	slots := q.Slots
	if slots <= 0 {
		slots = u.slots
	}
	// No context asked: the default context the server would pick (as docs/fit-table.md).
	f, _, err := memplan.Judge(s, memplan.Options{Context: q.ContextLength, Slots: slots, KVTypeK: kv, KVTypeV: kv, Backend: backend}, b, res)
	if err != nil {
		return Fit{}, err
	}
	verdict := string(f.Verdict)
	return Fit{
		WeightsBytes: f.WeightsBytes, KVBytes: f.KVBytes + f.StateBytes, ComputeBytes: f.ComputeBytes + f.OutputBytes,
		OverheadBytes: f.OverheadBytes, TotalBytes: f.TotalBytes, BudgetBytes: f.BudgetBytes, Verdict: verdict,
		ContextLength: f.Options.Context, MaxContext: f.MaxCtx, Message: f.Message,
	}, nil
}

// Fit implements FitEstimator for installed models (their file) and references (the remote
// header, read without downloading).
func (u *LibraryUI) Fit(ctx context.Context, q FitQuery) (Fit, error) {
	var (
		s   memplan.Shape
		err error
	)
	if q.Model != "" {
		m, gerr := u.store.Get(ctx, q.Model)
		if gerr != nil {
			return Fit{}, gerr
		}
		s, err = memplan.ReadShape(m.Path)
	} else {
		s, err = u.remoteShape(ctx, q.Ref)
	}
	if err != nil {
		return Fit{}, err
	}
	b, res, backend, err := u.budget(ctx)
	if err != nil {
		return Fit{}, err
	}
	return u.judge(s, q, b, res, backend)
}

func (u *LibraryUI) remoteShape(ctx context.Context, ref string) (memplan.Shape, error) {
	u.mu.Lock()
	s, ok := u.shapes[ref]
	u.mu.Unlock()
	if ok {
		return s, nil
	}
	info, err := u.store.Inspect(ctx, ref)
	if err != nil {
		return memplan.Shape{}, err
	}
	return u.rememberShape(ref, info)
}

func (u *LibraryUI) rememberShape(ref string, info ggufmeta.Info) (memplan.Shape, error) {
	if info.File == nil {
		return memplan.Shape{}, errors.New("the model's header could not be read for an estimate")
	}
	s, err := memplan.ShapeFromGGUF(info.File)
	if err != nil {
		return memplan.Shape{}, err
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.shapes) >= 64 { // a small cache: drop it all rather than track ages
		clear(u.shapes)
	}
	u.shapes[ref] = s
	return s, nil
}

// Inspect implements Catalog: the header of any reference, without the weights.
func (u *LibraryUI) Inspect(ctx context.Context, ref string) (RemoteModel, error) {
	info, err := u.store.Inspect(ctx, ref)
	if err != nil {
		return RemoteModel{}, err
	}
	_, _ = u.rememberShape(ref, info) // only an optimisation for the Fit that follows
	return RemoteModel{Ref: ref, Architecture: info.Architecture, Parameters: info.ParameterCount, Quantization: info.Quantization,
		Layers: int(info.BlockCount), Heads: int(info.HeadCount), KVHeads: int(info.HeadCountKV), ContextLength: int(info.ContextLength),
		HasChatTemplate: info.ChatTemplate != "", SizeBytes: info.FileSize}, nil
}

// Catalog implements Catalog: the curated entries matching query, each quantization judged
// from the catalog's recorded shape (no network).
func (u *LibraryUI) Catalog(ctx context.Context, query string) ([]CatalogModel, error) {
	entries := u.catalog.Search(query)
	b, res, backend, err := u.budget(ctx)
	haveBudget := err == nil
	out := make([]CatalogModel, 0, len(entries))
	for _, e := range entries {
		cm := CatalogModel{ID: e.ID, Name: e.Name, Publisher: e.Publisher, Description: e.Description + " " + e.Suits(),
			Tags: slices.Clone(e.Tasks), ContextLength: int(e.Shape.ContextLength), Recommended: true}
		if slices.Contains(e.Languages, "ko") {
			cm.Tags = append(cm.Tags, "korean")
		}
		// Ollama writes "8.0B"; the catalog, "8B".
		cm.Parameters = strings.Replace(parameterSize(e.Shape.Parameters), ".0B", "B", 1)
		for _, q := range e.Quants {
			qv := Quant{Name: q.Name, Ref: e.Ref(q.Name), Size: q.Size, Recommended: strings.EqualFold(q.Name, e.Recommended)}
			if haveBudget {
				if s, err := memplan.ApproxShape(e.Summary(q)); err == nil {
					if f, err := u.judge(s, FitQuery{}, b, res, backend); err == nil {
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

// Search implements Catalog: Hugging Face repositories with GGUF files. Sizes and fits are
// unknown until a quantization is inspected.
func (u *LibraryUI) Search(ctx context.Context, query string) ([]CatalogModel, error) {
	h := u.store.HF()
	if h == nil {
		return nil, errors.New("Hugging Face search is not configured")
	}
	rs, err := h.Search(ctx, query, 20)
	if err != nil {
		return nil, fmt.Errorf("search Hugging Face: %w", err)
	}
	out := make([]CatalogModel, 0, len(rs))
	for _, r := range rs {
		cm := CatalogModel{ID: r.Repo, Name: r.Repo, Downloads: int64(r.Downloads), Quants: []Quant{}}
		if i := strings.IndexByte(r.Repo, '/'); i > 0 {
			cm.Publisher = r.Repo[:i]
		}
		for _, q := range r.Quants {
			cm.Quants = append(cm.Quants, Quant{Name: q, Ref: "hf.co/" + r.Repo + ":" + q})
		}
		out = append(out, cm)
	}
	return out, nil
}
