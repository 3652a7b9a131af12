package cli

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/perchapp/perch/app/config"
	"github.com/perchapp/perch/app/library/catalog"
	"github.com/perchapp/perch/engine/memplan"
)

// resolveFit finds the shapes perch fit judges for a name: an installed model (its file), a
// catalog entry (every quantization, from the catalog's figures, no network), or a
// reference such as hf.co/org/repo:Q4_K_M (the remote header, read by Range requests).
func resolveFit(ctx context.Context, ref string) ([]memplan.Candidate, error) {
	store, err := openStore(nil)
	if err != nil {
		return nil, err
	}
	if m, err := store.Get(ctx, ref); err == nil {
		info, err := store.Info(ctx, m.Name) // the header the store has parsed already
		if err != nil {
			return nil, err
		}
		s, err := memplan.ShapeFromGGUF(info.File)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.Path, err)
		}
		return []memplan.Candidate{{Name: m.Name, Shape: s}}, nil
	}
	cat := catalog.Open(filepath.Join(config.DefaultPaths().Cache, "catalog.json"))
	if e, ok := cat.Get(ref); ok {
		return e.Candidates()
	}
	info, err := store.Inspect(ctx, ref)
	if err != nil {
		return nil, err
	}
	if info.File == nil {
		return nil, fmt.Errorf("%s: the header could not be read for an estimate", ref)
	}
	s, err := memplan.ShapeFromGGUF(info.File)
	if err != nil {
		return nil, err
	}
	name := ref
	if info.Quantization != "" {
		name = ref + " (" + info.Quantization + ")"
	}
	return []memplan.Candidate{{Name: name, Shape: s}}, nil
}
