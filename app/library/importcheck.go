package library

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// ErrNotModelFile is an import of a path that is not a readable GGUF file. The message is the
// same whether the path is missing, unreadable, a folder or some other file, and never shows
// the file's bytes: an API client must not learn what other files on the machine hold, or
// whether they exist.
var ErrNotModelFile = errors.New("not a GGUF model file")

// CheckImportable refuses, with one generic message, what does not look like a GGUF model:
// a regular file of at least a header's size that starts with the magic "GGUF".
func CheckImportable(path string) error {
	generic := fmt.Errorf("%w: %s cannot be imported: there is no readable GGUF model file at that path; give the absolute path of a .gguf file", ErrNotModelFile, path)
	f, err := os.Open(path)
	if err != nil {
		return generic
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return generic
	}
	var head [8]byte
	if _, err := io.ReadFull(f, head[:]); err != nil || string(head[:4]) != "GGUF" {
		return generic
	}
	return nil
}

// ErrPrivateAddress is a URL pull or inspect of a loopback, link-local or private address,
// refused unless the user allows them in the settings (allow_private_urls).
var ErrPrivateAddress = errors.New("private network addresses are not allowed")
