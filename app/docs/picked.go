package docs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Picked folders: a folder the person chose in the desktop window's native folder dialog is
// what they chose, so it may be indexed even outside the home folder. Only the server records
// a pick (the desktop route, after the dialog returns), never a client's say-so, and each pick
// opens one folder for one collection. Inside it, hidden folders and files, keys and
// credentials stay unread, and the file size cap holds.

// systemFolders are never indexed, picked or not: the system's own files and app data.
var systemFolders = []string{
	"/etc", "/private/etc", "/System", "/Library", "/proc", "/sys", "/dev", "/boot", "/root",
	"/bin", "/sbin", "/usr", "/var/db", "/private/var/db", "/var/root", "/private/var/root",
}

// AllowFolder records dir, just picked in the folder dialog, as a folder the collection may
// index, and returns it cleaned. A hidden folder, a system folder, or one the home folder's
// rules refuse (~/Library) is refused even when picked.
func (s *Store) AllowFolder(ctx context.Context, collectionID int64, dir string) (string, error) {
	if !filepath.IsAbs(dir) {
		return "", fmt.Errorf("%w: the folder must be an absolute path, got %q", ErrInvalid, dir)
	}
	dir = filepath.Clean(dir)
	if _, err := s.Get(ctx, collectionID); err != nil {
		return "", err
	}
	resolved, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", fmt.Errorf("%w: cannot read the folder: %v", ErrInvalid, err)
	}
	if st, err := os.Stat(resolved); err != nil || !st.IsDir() {
		return "", fmt.Errorf("%w: %s is not a folder", ErrInvalid, dir)
	}
	home, err := s.roots()
	if err != nil {
		return "", err
	}
	for _, p := range []string{dir, resolved} {
		if err := checkPicked(home, p); err != nil {
			return "", err
		}
	}
	_, err = s.db.ExecContext(ctx, `INSERT OR IGNORE INTO picked_folders (collection_id, path, created_at) VALUES (?, ?, ?)`,
		collectionID, resolved, s.now().UnixMilli())
	if err != nil {
		return "", fmt.Errorf("record the picked folder: %w", err)
	}
	return dir, nil
}

// checkPicked says why a picked folder p is refused, or nil.
func checkPicked(home []string, p string) error {
	for _, part := range strings.Split(filepath.ToSlash(p), "/") {
		if strings.HasPrefix(part, ".") {
			return fmt.Errorf("%w: %s is hidden (%q starts with a dot); hidden folders hold settings and secrets and are never indexed; put the documents in an ordinary folder",
				ErrNotAllowed, p, part)
		}
	}
	if _, _, ok := within(home, p); ok {
		return checkPath(reach{home: home}, p, true)
	}
	if p == string(filepath.Separator) {
		return fmt.Errorf("%w: the whole disk cannot be indexed; pick the folder that holds the documents", ErrNotAllowed)
	}
	if _, _, ok := within(systemFolders, p); ok {
		return fmt.Errorf("%w: %s holds the system's own files and is never indexed", ErrNotAllowed, p)
	}
	return nil
}

// pickedFolders are the folders picked for the collection, with links resolved (a folder
// gone since is left out).
func (s *Store) pickedFolders(ctx context.Context, collectionID int64) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT path FROM picked_folders WHERE collection_id = ? ORDER BY path`, collectionID)
	if err != nil {
		return nil, fmt.Errorf("read the picked folders: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		if resolved, err := filepath.EvalSymlinks(p); err == nil {
			out = append(out, filepath.Clean(resolved))
		}
	}
	return out, rows.Err()
}
