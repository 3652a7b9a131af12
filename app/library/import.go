package library

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/perchapp/perch/app/library/ggufmeta"
	"github.com/perchapp/perch/app/library/hf"
	"github.com/perchapp/perch/app/library/registry"
)

// Import adds a local GGUF file to the store under name (default: the file's stem in lower
// case). The file must parse as a GGUF model. It is hard-linked into the store when it is
// on the same disk (no copy, no extra space) and copied otherwise. A split GGUF is imported
// whole from its first part.
func (s *Store) Import(ctx context.Context, path, name string) (Model, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return Model{}, fmt.Errorf("import %s: %w", path, err)
	}
	return s.importFile(ctx, abs, name, abs, nil)
}

func (s *Store) importFile(ctx context.Context, path, name, source string, fn func(Progress)) (Model, error) {
	if fn == nil {
		fn = func(Progress) {}
	}
	fi, err := os.Stat(path)
	if err != nil {
		return Model{}, fmt.Errorf("import: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return Model{}, fmt.Errorf("import %s: not a regular file", path)
	}
	parts, stem, err := splitParts(path)
	if err != nil {
		return Model{}, err
	}
	info, err := ggufmeta.Read(parts[0])
	if err != nil {
		return Model{}, fmt.Errorf("import %s: nothing was stored: %w", path, err)
	}
	if !info.Runnable() {
		return Model{}, fmt.Errorf("import %s: it is a %s, not a model that runs on its own; nothing was stored", path, describe(info))
	}
	if name == "" {
		name = sanitize(stem)
	}
	n, err := ParseName(name)
	if err != nil {
		return Model{}, fmt.Errorf("import %s: %w (give a name)", path, err)
	}

	var layers []layer
	for _, p := range parts {
		digest, size, err := hashFile(ctx, p, func(done, total int64) {
			fn(Progress{Status: "importing", Total: total, Completed: done})
		})
		if err != nil {
			return Model{}, fmt.Errorf("import %s: %w", p, err)
		}
		unpin := s.pin([]string{digest})
		defer unpin()
		if err := s.placeBlob(p, digest); err != nil {
			return Model{}, fmt.Errorf("import %s: %w", p, err)
		}
		layers = append(layers, layer{MediaType: registry.MediaModel, Digest: digest, Size: size,
			Annotations: map[string]string{annTitle: filepath.Base(p)}})
	}
	fn(Progress{Status: "writing manifest"})
	if err := s.commit(n, newManifest(source, layers)); err != nil {
		return Model{}, err
	}
	fn(Progress{Status: "success"})
	return s.Get(ctx, n.Full())
}

// splitParts returns path, or all parts when it is the first part of a split GGUF, and the
// stem the model is named after.
func splitParts(path string) ([]string, string, error) {
	part, count, prefix := hf.Shard(filepath.Base(path))
	if count == 0 {
		return []string{path}, prefix, nil
	}
	if part != 1 {
		return nil, "", fmt.Errorf("import %s: it is part %d of a split GGUF; give the first part (…-00001-of-%05d.gguf)", path, part, count)
	}
	var parts []string
	for i := 1; i <= count; i++ {
		p := filepath.Join(filepath.Dir(path), hf.ShardName(prefix, i, count))
		if _, err := os.Stat(p); err != nil {
			return nil, "", fmt.Errorf("import %s: split part %d of %d is missing (%s)", path, i, count, p)
		}
		parts = append(parts, p)
	}
	return parts, prefix, nil
}

// hashFile computes a file's sha256, honouring ctx.
func hashFile(ctx context.Context, path string, progress func(done, total int64)) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", 0, err
	}
	h := sha256.New()
	buf := make([]byte, 1<<20)
	var done int64
	for {
		if err := ctx.Err(); err != nil {
			return "", 0, err
		}
		n, err := f.Read(buf)
		h.Write(buf[:n])
		done += int64(n)
		if n > 0 && done%(64<<20) < int64(n) {
			progress(done, fi.Size())
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", 0, err
		}
	}
	progress(done, fi.Size())
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), done, nil
}

// placeBlob puts the file into the store as blob digest: a hard link when possible, else a
// copy through a temporary file. An existing blob is kept.
func (s *Store) placeBlob(path, digest string) error {
	dst := s.blobPath(digest)
	if _, err := os.Stat(dst); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.Link(path, dst); err == nil {
		syncDir(filepath.Dir(dst))
		return nil
	}
	if err := copyFile(path, dst); err != nil {
		return fmt.Errorf("copy into the store: %w", err)
	}
	syncDir(filepath.Dir(dst))
	return nil
}

func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		_ = f.Sync()
		f.Close()
	}
}
