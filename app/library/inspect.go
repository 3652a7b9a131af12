package library

import (
	"context"
	"errors"
	"fmt"

	"github.com/perchapp/perch/app/library/ggufmeta"
	"github.com/perchapp/perch/app/library/registry"
)

// Inspect reads a model's GGUF header without downloading the model: for a remote
// reference (Hugging Face, Ollama registry, URL) by HTTP Range requests, for a local file
// or a stored model from disk. The result carries the parsed header (Info.File) for memory
// estimates.
func (s *Store) Inspect(ctx context.Context, ref string) (ggufmeta.Info, error) {
	r, err := s.parseRef(ref)
	if err != nil {
		return ggufmeta.Info{}, err
	}
	var p plan
	switch r.Kind {
	case RefFile:
		if err := CheckImportable(r.Path); err != nil {
			return ggufmeta.Info{}, err
		}
		return ggufmeta.Read(r.Path)
	case RefURL:
		if err := s.checkURLHost(s.guardURL(ctx), r.URL); err != nil {
			return ggufmeta.Info{}, err
		}
		return ggufmeta.ReadRemote(ctx, r.URL, "")
	case RefHF:
		p, err = s.planHF(ctx, r)
	default:
		if info, err := s.Info(ctx, ref); err == nil {
			return info, nil // already here
		}
		if r.namesHost() {
			ctx = s.guardURL(ctx)
		}
		p, err = s.planOllama(ctx, r)
	}
	if err != nil {
		return ggufmeta.Info{}, err
	}
	for _, f := range p.files {
		if f.mediaType != registry.MediaModel {
			continue
		}
		token := ""
		if r.Kind == RefHF {
			token = s.HF().Token()
		}
		// The header reader has its own client: check the blob's host as a URL's.
		if err := s.checkURLHost(ctx, f.url); err != nil {
			return ggufmeta.Info{}, err
		}
		info, err := ggufmeta.ReadRemote(ctx, f.url, token)
		if err != nil {
			return ggufmeta.Info{}, fmt.Errorf("inspect %s: %w", r.Raw, err)
		}
		return info, nil
	}
	return ggufmeta.Info{}, errors.New("inspect " + r.Raw + ": no model file")
}
