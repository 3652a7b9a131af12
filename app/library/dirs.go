package library

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/perchapp/perch/app/library/hf"
)

// EnvModelsDirs lists extra models directories, separated by ':' (';' on Windows).
const EnvModelsDirs = "PERCH_MODELS_DIRS"

// ParseDirs joins --models-dir values (each may itself be a list) and the value of
// PERCH_MODELS_DIRS into a list of folders: ~ expanded, made absolute, empties and
// duplicates dropped, in the order given.
func ParseDirs(flags []string, env string) []string {
	var all []string
	for _, f := range append(slices.Clone(flags), env) {
		all = append(all, filepath.SplitList(f)...)
	}
	return cleanDirs(all)
}

func cleanDirs(dirs []string) []string {
	var out []string
	for _, d := range dirs {
		d = strings.TrimSpace(d)
		if d == "" {
			continue
		}
		if d == "~" || strings.HasPrefix(d, "~/") {
			if home, err := os.UserHomeDir(); err == nil {
				d = filepath.Join(home, d[1:])
			}
		}
		if abs, err := filepath.Abs(d); err == nil {
			d = abs
		}
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// externals finds the models in the models directories. Decisions:
//   - every *.gguf below each folder, recursively (LM Studio keeps publisher/repo/file.gguf);
//     hidden files and folders are skipped; symbolic links to files are followed;
//   - the name is the file stem in lower case, characters other than a-z 0-9 . _ - turned
//     into '-' ("stories260K.gguf" → "stories260k"); when two files share a name, the first
//     folder given wins, then the first path in lexical order, and the other is logged;
//   - a split GGUF is one model named after its stem without -00001-of-0000N, listed from its
//     first part with all parts in Files; the other parts are not listed; a split with a
//     missing part is skipped;
//   - files that are not runnable models are skipped: not GGUF, vocabulary-only (no tensors,
//     like llama.cpp's ggml-vocab-*.gguf), vision projectors (mmproj), LoRA adapters and
//     importance matrices.
func (s *Store) externals(ctx context.Context) ([]Model, error) {
	var out []Model
	seen := map[string]string{}
	for _, dir := range s.dirs {
		err := walkGGUF(ctx, dir, func(err error) {
			s.log.Warn("models directory unreadable", "dir", dir, "err", err)
		}, func(p string) error {
			m, ok := s.external(p)
			if !ok {
				return nil
			}
			if prev, dup := seen[m.Name]; dup {
				s.log.Info("models-directory file shadowed by another of the same name", "name", m.Name, "kept", prev, "skipped", p)
				return nil
			}
			seen[m.Name] = p
			out = append(out, m)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// walkGGUF calls fn with each .gguf file below dir as the listing sees them: hidden files and
// folders below dir skipped, unreadable entries skipped (rootErr, when set, hears about dir
// itself), ctx checked at every entry.
func walkGGUF(ctx context.Context, dir string, rootErr func(error), fn func(p string) error) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == dir && rootErr != nil {
				rootErr(err)
			}
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() || !strings.EqualFold(filepath.Ext(d.Name()), ".gguf") {
			return nil
		}
		return fn(p)
	})
}

// external reads one models-directory file; false when it is not to be listed.
func (s *Store) external(p string) (Model, bool) {
	fi, err := os.Stat(p) // follows a symbolic link
	if err != nil || !fi.Mode().IsRegular() {
		return Model{}, false
	}
	files := []string{p}
	part, count, stem := hf.Shard(filepath.Base(p))
	if count > 0 {
		if part != 1 {
			return Model{}, false // listed with its first part
		}
		parts, prefix, err := splitParts(p)
		if err != nil {
			s.log.Info("models-directory split GGUF skipped", "path", p, "err", err)
			return Model{}, false
		}
		files, stem = parts, prefix
	}
	name := sanitize(stem)
	if name == "" {
		return Model{}, false
	}
	info, err := s.meta.get(p)
	if err != nil {
		// Said once per file (and version of it), not at every listing: a model that does
		// not show up must not be a mystery.
		if _, said := s.badFiles.LoadOrStore(fmt.Sprintf("%s|%d|%d", p, fi.Size(), fi.ModTime().UnixNano()), true); !said {
			s.log.Warn("models-directory file is not a valid GGUF model and is not listed", "path", p, "err", err)
		}
		return Model{}, false
	}
	if !info.Runnable() {
		s.log.Debug("models-directory file is not a runnable model", "path", p, "kind", describe(info))
		return Model{}, false
	}
	m := Model{Name: name, Path: files[0], Files: files, ModifiedAt: fi.ModTime(), Source: p, External: true}
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			m.Size += fi.Size()
		}
	}
	fillInfo(&m, info)
	// Hashed once per size and modification time; the digest is of the first part, as for
	// pulled models.
	if d, err := s.hashes.digest(files[0]); err == nil {
		m.Digest = d
	} else {
		s.log.Warn("models-directory file not hashed", "path", files[0], "err", err)
	}
	return m, true
}
