//go:build darwin

package remote

import (
	"errors"
	"fmt"

	"github.com/zalando/go-keyring"
)

// keychainService names Perch's items in the login Keychain.
const keychainService = "Perch remote endpoint"

// DefaultKeys keeps API keys in the macOS Keychain (path, the Linux key file, is unused).
func DefaultKeys(string) Keys { return keychainKeys{} }

type keychainKeys struct{}

func (keychainKeys) Get(name string) (string, error) {
	k, err := keyring.Get(keychainService, name)
	if errors.Is(err, keyring.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the API key of %q from the Keychain: %w", name, err)
	}
	return k, nil
}

func (k keychainKeys) Set(name, key string) error {
	if key == "" {
		return k.Delete(name)
	}
	if err := keyring.Set(keychainService, name, key); err != nil {
		return fmt.Errorf("keep the API key of %q in the Keychain: %w", name, err)
	}
	return nil
}

func (keychainKeys) Delete(name string) error {
	if err := keyring.Delete(keychainService, name); err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return fmt.Errorf("forget the API key of %q in the Keychain: %w", name, err)
	}
	return nil
}
