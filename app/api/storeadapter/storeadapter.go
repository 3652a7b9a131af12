// Package storeadapter is the one adapter between Perch's model store and the API: a
// *library.Store serves as the API's model library (it renames fields, adds the GGUF facts
// /api/show needs, and drops the results the API does not use) and, in ui.go, as the UI's
// importer, catalog and fit estimator.
package storeadapter

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/perchapp/perch/app/api"
	"github.com/perchapp/perch/app/library"
	"github.com/perchapp/perch/app/library/catalog"
	perchwire "github.com/perchapp/perch/app/wire/perch"
	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/memplan"
)

// Store adapts a library store.
type Store struct {
	s *library.Store

	// Set by WithCatalog (ui.go).
	catalog *catalog.Catalog
	machine func(ctx context.Context) (memplan.Machine, error)
	loaded  func() []engine.Status
	slots   int
	kvType  string
	// cacheNow, when set, gives the KV cache type and flash attention the settings name now.
	cacheNow func() (kvType, flashAttn string)
	// ctxFor, when set, gives an installed model's own context (FollowContext).
	ctxFor func(model string) int
	// The server's default context (0: chosen per model) and per-slot caches (LoadDefaults).
	defaultCtx int
	perSlot    bool
	mu         sync.Mutex
	shapes     map[string]memplan.Shape // remote headers read by Inspect, for the Fit that follows
}

// New wraps s.
func New(s *library.Store) *Store { return &Store{s: s} }

var _ api.Library = (*Store)(nil)

func (a *Store) List(ctx context.Context) ([]perchwire.LibraryModel, error) {
	ms, err := a.s.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]perchwire.LibraryModel, len(ms))
	for i, m := range ms {
		out[i] = modelOf(m)
	}
	return out, nil
}

// Get adds what the GGUF header says (embedding model, fill-in-the-middle, metadata).
func (a *Store) Get(ctx context.Context, name string) (perchwire.LibraryModel, error) {
	m, err := a.s.Get(ctx, name)
	if err != nil {
		return perchwire.LibraryModel{}, invalid("model", err)
	}
	out := modelOf(m)
	info, err := a.s.Info(ctx, name)
	if err != nil {
		return out, nil // the listing facts are enough to answer
	}
	out.EmbeddingSize = int(info.EmbeddingLength)
	out.Embedding, out.FIM = info.Embedding, info.FIM
	out.ChatTemplate = info.ChatTemplate
	if out.License == "" {
		out.License = info.License
	}
	out.Metadata = map[string]any{
		"general.architecture": info.Architecture, "general.parameter_count": info.ParameterCount,
		"general.file_type": info.Quantization,
	}
	if arch := info.Architecture; arch != "" {
		for k, v := range map[string]uint64{
			"context_length": info.ContextLength, "embedding_length": info.EmbeddingLength, "block_count": info.BlockCount,
			"attention.head_count": info.HeadCount, "attention.head_count_kv": info.HeadCountKV,
		} {
			if v > 0 {
				out.Metadata[arch+"."+k] = v
			}
		}
	}
	if info.Name != "" {
		out.Metadata["general.name"] = info.Name
	}
	return out, nil
}

// modelOf is a library model as the API shows it. A models-directory file is not
// hashed; its identity (from path, size and time) stands in for the digest, which Ollama
// clients expect to be there.
func modelOf(m library.Model) perchwire.LibraryModel {
	digest := m.Digest
	if digest == "" {
		digest = strings.TrimPrefix(m.Ref().Digest, "file:")
	}
	return perchwire.LibraryModel{
		Name: m.Name, DisplayName: m.DisplayName, Digest: digest, Size: m.Size, Path: m.Path, Architecture: m.Architecture, ParameterCount: m.ParameterCount,
		Quantization: m.Quantization, ContextLength: int(m.ContextLength), ModifiedAt: m.ModifiedAt,
		Template: m.Template, System: m.System, License: m.License, Params: m.Params, External: m.External,
		Embedding: m.Embedding, FIM: m.FIM,
	}
}

// Remove refuses a models-directory file with a 400: Perch serves those but never deletes them.
func (a *Store) Remove(ctx context.Context, name string) error {
	return invalid("model", a.s.Remove(ctx, name))
}

func (a *Store) Copy(ctx context.Context, src, dst string) error {
	if _, err := library.ParseName(dst); err != nil {
		return invalid("destination", err)
	}
	_, err := a.s.Copy(ctx, src, dst)
	return invalid("source", err)
}

// invalid makes the library's refusals (a models-directory file, a name that cannot be a
// model's) a 400 naming param; other errors pass as they are.
func invalid(param string, err error) error {
	if errors.Is(err, library.ErrExternal) || errors.Is(err, library.ErrInvalidName) {
		return &engine.Error{Kind: engine.KindInvalid, Param: param, Message: err.Error()}
	}
	return err
}

// Pull passes the library's progress on; its statuses are already Ollama's words.
func (a *Store) Pull(ctx context.Context, ref string, progress func(perchwire.PullProgress)) error {
	_, err := a.s.Pull(ctx, ref, func(p library.Progress) {
		progress(perchwire.PullProgress{Phase: perchwire.PhaseOf(p.Status), Status: p.Status, Digest: p.Digest, Total: p.Total, Completed: p.Completed,
			BytesPerSecond: p.BytesPerSecond, ETA: p.ETA})
	})
	if err != nil {
		return fmt.Errorf("pull %s: %w", ref, err)
	}
	return nil
}
