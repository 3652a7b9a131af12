//go:build !darwin

package remote

// DefaultKeys keeps API keys in a file only the user can read (0600) at path.
func DefaultKeys(path string) Keys { return &FileKeys{Path: path} }

// SecretKeys keeps other secrets (the Hugging Face token) the same way: a 0600 file at path
// here, the Keychain under service on macOS.
func SecretKeys(_, path string) Keys { return &FileKeys{Path: path} }
