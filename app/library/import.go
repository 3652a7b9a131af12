package library

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"github.com/perchapp/perch/app/library/download"
	"github.com/perchapp/perch/app/library/ggufmeta"
	"github.com/perchapp/perch/app/library/hf"
	"github.com/perchapp/perch/app/library/registry"
)

// Import adds a local GGUF file to the store under name (default: the file's stem in lower
// case). The file must parse as a GGUF model. It is cloned into the store where the file
// system can (APFS, Btrfs, XFS: no extra space until one of them changes) and copied
// otherwise, never hard-linked, so editing the original cannot change the stored model. A
// split GGUF is imported whole from its first part.
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
	if err := CheckImportable(path); err != nil {
		return Model{}, err
	}
	parts, stem, err := splitParts(path)
	if err != nil {
		return Model{}, err
	}
	info, err := ggufmeta.Read(parts[0])
	if err != nil {
		// ggufmeta's errors start with the path already.
		return Model{}, fmt.Errorf("import: nothing was stored: %w", err)
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
		digest, size, unpin, err := s.importBlob(ctx, p, func(done, total int64) {
			fn(Progress{Status: "importing", Total: total, Completed: done})
		})
		if err != nil {
			return Model{}, fmt.Errorf("import %s: %w", p, err)
		}
		defer unpin()
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

// importBlob puts the file at path into the store as a blob and returns its digest and size,
// pinned until unpin is called. The file is cloned where the file system can, and copied
// elsewhere. Either way it is read once, hashed as it goes, and a
// cancelled ctx stops it. An existing blob of the same digest is kept.
func (s *Store) importBlob(ctx context.Context, path string, progress func(done, total int64)) (digest string, size int64, unpin func(), err error) {
	// The file goes to a name of its own in the blobs folder, renamed once its digest is known.
	name := filepath.Join(s.blobsDir(), ".import-"+strconv.FormatUint(rand.Uint64(), 36))
	defer os.Remove(name) // gone already once renamed into place
	// Never a hard link: editing the user's file in place would change the stored model
	// under its digest. A clone shares the blocks until either file is written.
	if cloneFile(path, name) == nil {
		digest, size, err = hashCopy(ctx, io.Discard, name, progress)
	} else {
		digest, size, err = copyInto(ctx, name, path, progress)
	}
	if err != nil {
		return "", 0, nil, err
	}
	unpin = s.pin([]string{digest})
	if err := placeTemp(name, s.blobPath(digest)); err != nil {
		unpin()
		return "", 0, nil, fmt.Errorf("copy into the store: %w", err)
	}
	return digest, size, unpin, nil
}

// copyInto copies the file at path to a new file dst, synced, and returns its digest and size.
func copyInto(ctx context.Context, dst, path string, progress func(done, total int64)) (string, int64, error) {
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", 0, fmt.Errorf("copy into the store: %w", err)
	}
	defer f.Close()
	digest, size, err := hashCopy(ctx, f, path, progress)
	if err != nil {
		return "", 0, err
	}
	if err := f.Sync(); err != nil {
		return "", 0, fmt.Errorf("copy into the store: %w", err)
	}
	return digest, size, f.Close()
}

// placeTemp renames the temporary file tmp to dst, unless dst exists already.
func placeTemp(tmp, dst string) error {
	if _, err := os.Stat(dst); err == nil {
		return nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		return err
	}
	download.SyncDir(filepath.Dir(dst))
	return nil
}

// hashCopy reads the file at path once, writing it to dst (io.Discard to hash only), and
// returns its sha256 digest and size. ctx is checked between chunks, so that a copy of
// many gigabytes can be cancelled.
func hashCopy(ctx context.Context, dst io.Writer, path string, progress func(done, total int64)) (string, int64, error) {
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
	w := io.MultiWriter(h, dst)
	buf := make([]byte, 1<<20)
	var done int64
	for {
		if err := ctx.Err(); err != nil {
			return "", 0, err
		}
		n, err := f.Read(buf)
		if _, werr := w.Write(buf[:n]); werr != nil {
			return "", 0, werr
		}
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
	if err := ctx.Err(); err != nil {
		return "", 0, err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), done, nil
}
