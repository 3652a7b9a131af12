package library

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

// Where blobs live. New downloads and imports go to one folder: <root>/blobs, or <dir>/blobs
// when the user chose a downloads folder (SetDownloadDir). Blobs already stored stay where
// they are; every folder that ever received them is remembered in <root>/blob-dirs.json, so
// their models keep being listed and served. A blob is looked up in the downloads folder, then
// <root>/blobs, then the folders used before.

const blobDirsName = "blob-dirs.json"

// blobFolders is the downloads folder and the folders used before.
type blobFolders struct {
	mu   sync.Mutex
	cur  string   // where new blobs go ("" : <root>/blobs)
	past []string // earlier downloads folders' blobs folders, oldest first
}

// blobsDir is where new blobs go.
func (s *Store) blobsDir() string {
	s.bdirs.mu.Lock()
	defer s.bdirs.mu.Unlock()
	if s.bdirs.cur != "" {
		return s.bdirs.cur
	}
	return filepath.Join(s.root, "blobs")
}

// allBlobDirs is every folder a blob may be in, the one new blobs go to first.
func (s *Store) allBlobDirs() []string {
	s.bdirs.mu.Lock()
	defer s.bdirs.mu.Unlock()
	out := []string{}
	for _, d := range append([]string{s.bdirs.cur, filepath.Join(s.root, "blobs")}, s.bdirs.past...) {
		if d != "" && !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// DownloadDir is the folder new downloads go to (its blobs subfolder holds them).
func (s *Store) DownloadDir() string {
	d := s.blobsDir()
	return filepath.Dir(d)
}

// BlobDirs are the folders holding downloaded models: where new ones go first.
func (s *Store) BlobDirs() []string { return s.allBlobDirs() }

// SetDownloadDir makes new downloads go to dir/blobs ("" : the store's own folder). The
// folder is created; the ones used before are remembered, so their models stay listed.
func (s *Store) SetDownloadDir(dir string) error {
	blobs := filepath.Join(s.root, "blobs")
	if dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return fmt.Errorf("downloads folder %q: %w", dir, err)
		}
		blobs = filepath.Join(abs, "blobs")
		if err := os.MkdirAll(blobs, 0o755); err != nil {
			return fmt.Errorf("downloads folder %s: %w", abs, err)
		}
	}
	s.bdirs.mu.Lock()
	defer s.bdirs.mu.Unlock()
	if blobs == filepath.Join(s.root, "blobs") {
		blobs = ""
	}
	if blobs == s.bdirs.cur {
		return nil
	}
	past := slices.Clone(s.bdirs.past)
	for _, d := range []string{s.bdirs.cur, blobs} {
		if d != "" && !slices.Contains(past, d) {
			past = append(past, d)
		}
	}
	b, err := json.MarshalIndent(past, "", "  ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(filepath.Join(s.root, blobDirsName), b); err != nil {
		return fmt.Errorf("remember the downloads folder: %w", err)
	}
	s.bdirs.cur, s.bdirs.past = blobs, past
	return nil
}

// loadBlobDirs reads the folders used before (a missing or unreadable list is logged: the
// models there would be left out of the list, which the log explains).
func (s *Store) loadBlobDirs() {
	b, err := os.ReadFile(filepath.Join(s.root, blobDirsName))
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	var past []string
	if err == nil {
		err = json.Unmarshal(b, &past)
	}
	if err != nil {
		s.log.Warn("cannot read the list of earlier downloads folders", "file", blobDirsName, "err", err)
		return
	}
	s.bdirs.past = past
}

// blobPath is where the blob with digest "sha256:<hex>" is: the first folder that has it, or
// the downloads folder when none does (where it is about to be written). The digest must be
// valid.
func (s *Store) blobPath(digest string) string {
	name := strings.Replace(digest, ":", "-", 1)
	dirs := s.allBlobDirs()
	if len(dirs) > 1 {
		for _, d := range dirs {
			p := filepath.Join(d, name)
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	return filepath.Join(dirs[0], name)
}

func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
