package library

import (
	"path/filepath"
	"strings"

	"github.com/perchapp/perch/app/wire"
)

// CheckImportPath checks what the UI sends to import a file by its path, in the order a
// client should fix it: the path must be absolute, the name (given, or made from the file)
// valid, the file a readable GGUF. It returns the cleaned path and the name; a refusal is a
// *wire.ParamError naming the field ("path" or "name").
func CheckImportPath(path, name string) (string, string, error) {
	if path == "" || !filepath.IsAbs(path) {
		return "", "", wire.BadRequest("path", "path must be the absolute path of a .gguf file on this machine, got %q", path)
	}
	path = filepath.Clean(path)
	name, err := ImportName(name, path)
	if err != nil {
		return "", "", err
	}
	if err := CheckImportable(path); err != nil {
		return "", "", wire.BadRequest("path", "%v", err)
	}
	return path, name, nil
}

// ImportName is the name an imported file gets: the given name, or the file's stem in lower
// case with anything but letters, digits and ._- made a dash (as --models-dir names files).
// An invalid name is a *wire.ParamError for "name".
func ImportName(name, filename string) (string, error) {
	if name == "" {
		base := filepath.Base(strings.ReplaceAll(filename, `\`, "/"))
		name = strings.ToLower(strings.TrimSuffix(base, filepath.Ext(base)))
		name = strings.Map(func(c rune) rune {
			if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.ContainsRune("._-", c) {
				return c
			}
			return '-'
		}, name)
	}
	if err := wire.ValidateModelName("name", name); err != nil {
		return "", err
	}
	return name, nil
}
