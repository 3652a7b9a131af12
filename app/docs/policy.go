package docs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The reading policy: any client of the API can ask for a folder to be indexed, and indexed
// text is served back in passages, so the store reads only what a person would choose to put
// in a collection themselves: ordinary files in ordinary folders inside their home folder.
// Hidden files and folders (at any level, the chosen folder included), known secret files
// (keys, credentials, keychains, browser profiles) and links out of the allowed folders are
// never read.

// ErrNotAllowed is a folder or file the reading policy refuses. It wraps ErrInvalid.
var ErrNotAllowed = fmt.Errorf("%w: not allowed", ErrInvalid)

// secretNames are files that hold keys or credentials, by exact name (lower case).
var secretNames = map[string]bool{
	"id_rsa": true, "id_dsa": true, "id_ecdsa": true, "id_ed25519": true, "id_ecdsa_sk": true, "id_ed25519_sk": true,
	"authorized_keys": true, "known_hosts": true, "netrc": true, "_netrc": true, "pgpass": true,
	"credentials": true, "credentials.json": true, "credentials.db": true, "access_tokens.db": true,
	"application_default_credentials.json": true, "kubeconfig": true, "htpasswd": true,
	"login data": true, "cookies": true, "web data": true, "key3.db": true, "key4.db": true,
	"logins.json": true, "cert9.db": true, "secring.gpg": true, "pubring.kbx": true, "trustdb.gpg": true,
	"shadow": true, "master.key": true,
}

// secretExts are extensions of key, certificate and keychain files.
var secretExts = map[string]bool{
	".pem": true, ".key": true, ".p12": true, ".pfx": true, ".jks": true, ".keystore": true,
	".keychain": true, ".keychain-db": true, ".kdbx": true, ".ppk": true, ".gpg": true,
	".asc": true, ".ovpn": true, ".mobileprovision": true,
}

// secretDirs are folders that hold credentials or browser profiles, as paths relative to the
// home folder (lower case, slash-separated); a dot folder is refused anyway.
var secretDirs = []string{
	"library", // macOS: keychains, mail, messages, cookies, browser profiles, app containers
	"appdata", // Windows profiles
	"snap",    // Linux snaps keep browser profiles here
}

// secretFile says why the file name looks like a key or credentials, or "".
func secretFile(name string) string {
	n := strings.ToLower(name)
	switch {
	case secretNames[n], strings.HasPrefix(n, "id_") && (strings.HasSuffix(n, ".pub") || !strings.Contains(n, ".")):
		return "it looks like a key or credentials file"
	case secretExts[filepath.Ext(n)]:
		return "it looks like a key, certificate or keychain file"
	case strings.HasPrefix(n, "service-account") && strings.HasSuffix(n, ".json"),
		strings.HasPrefix(n, "client_secret") && strings.HasSuffix(n, ".json"):
		return "it looks like a credentials file"
	}
	return ""
}

// reach is where reading is allowed: the home folder (Options.Roots) under the whole policy,
// and the folders a person picked for the collection in the desktop window's folder dialog
// (picked.go), which may lie outside it but are read without hidden or key files all the same.
type reach struct {
	home   []string
	picked []string
}

// reach is where a folder run for the collection may read.
func (s *Store) reach(ctx context.Context, collectionID int64) (reach, error) {
	home, err := s.roots()
	if err != nil {
		return reach{}, err
	}
	picked, err := s.pickedFolders(ctx, collectionID)
	if err != nil {
		return reach{}, err
	}
	return reach{home: home, picked: picked}, nil
}

// roots are the folders reading is allowed under, cleaned and with links resolved.
func (s *Store) roots() ([]string, error) {
	roots := s.opt.Roots
	if len(roots) == 0 {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("%w: the home folder is unknown (%v), so no folder can be indexed", ErrNotAllowed, err)
		}
		roots = []string{home}
	}
	out := make([]string, 0, len(roots))
	for _, r := range roots {
		if resolved, err := filepath.EvalSymlinks(r); err == nil {
			out = append(out, filepath.Clean(resolved))
		}
	}
	return out, nil
}

// within returns the path of p relative to the root holding it.
func within(roots []string, p string) (root, rel string, ok bool) {
	for _, r := range roots {
		rel, err := filepath.Rel(r, p)
		if err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return r, rel, true
		}
	}
	return "", "", false
}

// checkPath says why the policy refuses the real (link-resolved, absolute) path p, or nil.
// Every folder from the root down, and the name itself, must be ordinary. Inside the home
// folder its rules hold even under a picked folder (picking / does not open ~/.ssh).
func checkPath(r reach, p string, isDir bool) error {
	if _, rel, ok := within(r.home, p); ok {
		return checkRel(p, rel, isDir, true)
	}
	if _, rel, ok := within(r.picked, p); ok {
		return checkRel(p, rel, isDir, false)
	}
	return fmt.Errorf("%w: %s is outside your home folder (%s); only folders and files in it can be indexed; move or copy the documents there, or pick the folder with Choose folder… in the desktop app",
		ErrNotAllowed, p, strings.Join(r.home, ", "))
}

// checkRel checks p, at rel below its root; app-data folders are refused only at the top of
// the home folder.
func checkRel(p, rel string, isDir, home bool) error {
	if rel == "." {
		return nil
	}
	parts := strings.Split(filepath.ToSlash(rel), "/")
	for i, part := range parts {
		if strings.HasPrefix(part, ".") {
			return fmt.Errorf("%w: %s is hidden (%q starts with a dot); hidden folders and files hold settings and secrets and are never indexed; put the documents in an ordinary folder",
				ErrNotAllowed, p, part)
		}
		if home && i == 0 && isSecretDir(part) {
			return fmt.Errorf("%w: %s is inside %s, which holds app data, keychains and browser profiles; it is never indexed", ErrNotAllowed, p, part)
		}
	}
	if !isDir {
		if why := secretFile(parts[len(parts)-1]); why != "" {
			return fmt.Errorf("%w: %s is not indexed: %s", ErrNotAllowed, p, why)
		}
	}
	return nil
}

func isSecretDir(name string) bool {
	for _, d := range secretDirs {
		if strings.EqualFold(name, d) {
			return true
		}
	}
	return false
}

// allowedFolder checks a folder a client asked to index and returns it with links resolved.
func allowedFolder(r reach, dir string) (string, error) {
	resolved, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", fmt.Errorf("%w: cannot read the folder: %v", ErrInvalid, errors.Unwrap(err))
	}
	// The name asked for and where it leads must both be allowed: a link in the home folder
	// must not open /etc, and ~/.ssh must not be reached through a link named "notes".
	if _, _, ok := within(append(r.home[:len(r.home):len(r.home)], r.picked...), dir); ok {
		if err := checkPath(r, dir, true); err != nil {
			return "", err
		}
	}
	if err := checkPath(r, resolved, true); err != nil {
		return "", err
	}
	return resolved, nil
}

// allowedFile checks one file found in a folder being indexed, following a link to where it
// leads; it returns why the file is refused (a Skip code and the reason), or "".
func allowedFile(r reach, path string) (code, why string) {
	resolved, err := filepath.EvalSymlinks(path)
	if err != nil {
		return SkipUnreadable, fmt.Sprintf("cannot read: %v", errors.Unwrap(err))
	}
	if err := checkPath(r, resolved, false); err != nil {
		return SkipNotAllowed, strings.TrimPrefix(err.Error(), ErrNotAllowed.Error()+": ")
	}
	return "", ""
}
