//go:build !darwin

package remote

// DefaultKeys keeps API keys in a file only the user can read (0600) at path.
func DefaultKeys(path string) Keys { return &FileKeys{Path: path} }
