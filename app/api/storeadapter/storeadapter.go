// Package storeadapter lets a *library.Store serve as the API's model library: it renames
// fields, adds the GGUF facts /api/show needs, and drops the results the API does not use.
package storeadapter

import (
	"context"
	"fmt"
	"strings"

	"github.com/perchapp/perch/app/api"
	"github.com/perchapp/perch/app/library"
)

// Store adapts a library store.
type Store struct{ s *library.Store }

// New wraps s.
func New(s *library.Store) *Store { return &Store{s: s} }

var _ api.Library = (*Store)(nil)

func (a *Store) List(ctx context.Context) ([]api.LibraryModel, error) {
	ms, err := a.s.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]api.LibraryModel, len(ms))
	for i, m := range ms {
		out[i] = convert(m)
	}
	return out, nil
}

// Get adds what the GGUF header says (embedding size, fill-in-the-middle, metadata).
func (a *Store) Get(ctx context.Context, name string) (api.LibraryModel, error) {
	m, err := a.s.Get(ctx, name)
	if err != nil {
		return api.LibraryModel{}, err
	}
	out := convert(m)
	info, err := a.s.Info(ctx, name)
	if err != nil {
		return out, nil // the listing facts are enough to answer
	}
	out.EmbeddingSize = int(info.EmbeddingLength)
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

func (a *Store) Remove(ctx context.Context, name string) error { return a.s.Remove(ctx, name) }

func (a *Store) Copy(ctx context.Context, src, dst string) error {
	_, err := a.s.Copy(ctx, src, dst)
	return err
}

// Pull passes the library's progress on; its statuses are already Ollama's words.
func (a *Store) Pull(ctx context.Context, ref string, progress func(api.PullProgress)) error {
	_, err := a.s.Pull(ctx, ref, func(p library.Progress) {
		progress(api.PullProgress{Phase: api.PhaseOf(p.Status), Status: p.Status, Digest: p.Digest, Total: p.Total, Completed: p.Completed})
	})
	if err != nil {
		return fmt.Errorf("pull %s: %w", ref, err)
	}
	return nil
}

// convert renames fields. A models-directory file is not hashed; its identity (from path,
// size and time) stands in for the digest, which Ollama clients expect to be there.
func convert(m library.Model) api.LibraryModel {
	digest := m.Digest
	if digest == "" {
		digest = strings.TrimPrefix(m.Ref().Digest, "file:")
	}
	return api.LibraryModel{
		Name: m.Name, Digest: digest, Size: m.Size, Path: m.Path, Architecture: m.Architecture, ParameterCount: m.ParameterCount,
		Quantization: m.Quantization, ContextLength: int(m.ContextLength), ModifiedAt: m.ModifiedAt,
		Template: m.Template, System: m.System, License: m.License, Params: m.Params,
	}
}
