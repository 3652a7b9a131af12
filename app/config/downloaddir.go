package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// validDownloadDir checks the downloads folder's form: an absolute path outside hidden
// folders (gigabytes where Finder does not show them would be lost to the user).
func validDownloadDir(d string) error {
	if d == "" {
		return nil
	}
	if !filepath.IsAbs(d) {
		return fieldErr("download_dir", CodeDirNotAbsolute, "download_dir: %q is not an absolute path; give the full path of a folder, such as /Users/me/Models", d)
	}
	parts := strings.Split(filepath.Clean(d), string(filepath.Separator))
	for i, p := range parts {
		if strings.HasPrefix(p, ".") {
			hidden := string(filepath.Separator) + filepath.Join(parts[:i+1]...)
			return fieldErr("download_dir", CodeDirHidden, "download_dir: %s is inside the hidden folder %s; pick a folder that is not hidden, such as one in your home folder", d, hidden)
		}
	}
	return nil
}

// usableDownloadDir makes sure the downloads folder exists (creating it) and takes files.
func usableDownloadDir(d string) error {
	st, err := os.Stat(d)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fieldErr("download_dir", CodeDirNotWritable, "download_dir: cannot create %s: %w; pick a folder on a disk you can write to", d, err)
		}
	case err != nil:
		return fieldErr("download_dir", CodeDirUnusable, "download_dir: cannot use %s: %w", d, err)
	case !st.IsDir():
		return fieldErr("download_dir", CodeDirIsFile, "download_dir: %s is a file, not a folder", d)
	}
	f, err := os.CreateTemp(d, ".perch-write-test-*")
	if err != nil {
		return fieldErr("download_dir", CodeDirNotWritable, "download_dir: cannot write in %s: %w; pick a folder you can write to", d, err)
	}
	f.Close()
	return os.Remove(f.Name())
}
