package library

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// partials remembers, per pull, the blob paths it downloads, so DiscardPull can delete
// their partial files even offline.
type partials struct {
	mu sync.Mutex
	m  map[string][]string
}

func (p *partials) set(key string, paths []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string][]string{}
	}
	if paths == nil {
		delete(p.m, key)
		return
	}
	p.m[key] = paths
}

func (p *partials) get(key string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.m[key]
}

// DiscardPull stops the pull of ref if it is running and deletes its partial downloads, so
// that, unlike a pause, a cancel frees the disk. Finished files stay (another model may use
// them; Prune removes the ones nothing uses).
func (s *Store) DiscardPull(ctx context.Context, ref string) error {
	for _, stopped := range s.cancelPull(ref) {
		select {
		case <-stopped:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r, err := s.parseRef(ref)
	if err != nil {
		return err
	}
	if r.Kind == RefFile {
		return nil
	}
	paths := s.partialsOf.get(r.key())
	if paths == nil {
		p, err := s.plan(ctx, r)
		if err != nil {
			return fmt.Errorf("find the partial downloads of %s: %w", ref, err)
		}
		paths = s.downloadPaths(p)
	}
	var errs []error
	for _, path := range paths {
		if s.blobs.running(s.blobKeyOf(path)) {
			continue // another pull is fetching it now
		}
		for _, f := range []string{path + ".partial", path + ".partial.json"} {
			if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	s.partialsOf.set(r.key(), nil)
	return errors.Join(errs...)
}

// Prune deletes blobs no manifest references and no pull is about to (left by pulls that
// failed after fetching some of their files), and returns the bytes freed. Partial
// downloads are kept (they resume); DiscardPull deletes those.
func (s *Store) Prune(ctx context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	entries, err := s.entries(ctx)
	if err != nil {
		return 0, err
	}
	used := map[string]bool{}
	for _, e := range entries {
		for _, l := range e.man.Layers {
			used[l.Digest] = true
		}
	}
	var freed int64
	var errs []error
	for i, dir := range s.allBlobDirs() {
		ents, err := os.ReadDir(dir)
		if err != nil {
			if i == 0 {
				return 0, fmt.Errorf("prune: %w", err)
			}
			continue // an earlier downloads folder on a disk not mounted now
		}
		for _, e := range ents {
			name := e.Name()
			if blob, ok := strings.CutSuffix(name, ".sample"); ok && strings.HasPrefix(name, "sha256-") {
				// A blob's recorded sample checksum goes with it (and any left without one).
				if _, err := os.Stat(filepath.Join(dir, blob)); errors.Is(err, fs.ErrNotExist) {
					_ = os.Remove(filepath.Join(dir, name))
				}
				continue
			}
			if !strings.HasPrefix(name, "sha256-") || strings.Contains(name, ".") {
				continue
			}
			digest := strings.Replace(name, "-", ":", 1)
			if !digestRE.MatchString(digest) || used[digest] || s.pinned[digest] > 0 {
				continue
			}
			if fi, err := e.Info(); err == nil {
				freed += fi.Size()
			}
			_ = os.RemoveAll(s.splitDir(digest))
			if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
			_ = os.Remove(samplePath(filepath.Join(dir, name)))
		}
	}
	return freed, errors.Join(errs...)
}
