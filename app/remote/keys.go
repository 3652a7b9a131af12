package remote

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
)

// Keys keeps the endpoints' API keys. On macOS they go to the Keychain (keys_darwin.go);
// elsewhere to a file only the user can read (0600).
type Keys interface {
	Get(name string) (string, error) // "" and no error when the endpoint has no key
	Set(name, key string) error
	Delete(name string) error
}

// FileKeys keeps keys in a JSON file with 0600 permissions.
type FileKeys struct {
	Path string
	mu   sync.Mutex
}

func (k *FileKeys) read() (map[string]string, error) {
	b, err := os.ReadFile(k.Path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read API keys: %w", err)
	}
	m := map[string]string{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("read API keys from %s: %w", k.Path, err)
	}
	return m, nil
}

// Get returns the key for name.
func (k *FileKeys) Get(name string) (string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	m, err := k.read()
	return m[name], err
}

// Set stores the key for name; an empty key deletes it.
func (k *FileKeys) Set(name, key string) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	m, err := k.read()
	if err != nil {
		return err
	}
	if key == "" {
		delete(m, name)
	} else {
		m[name] = key
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return writeAtomic(k.Path, b, 0o600)
}

// Delete forgets the key for name.
func (k *FileKeys) Delete(name string) error { return k.Set(name, "") }
