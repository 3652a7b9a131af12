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
func DefaultKeys(string) Keys { return keychainKeys{service: keychainService} }

// SecretKeys keeps other secrets (the Hugging Face token) in the Keychain under service (path,
// the Linux file, is unused).
func SecretKeys(service, _ string) Keys { return keychainKeys{service: service} }

type keychainKeys struct{ service string }

func (k keychainKeys) Get(name string) (string, error) {
	key, err := keyring.Get(k.service, name)
	if errors.Is(err, keyring.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the key of %q from the Keychain: %w", name, err)
	}
	return key, nil
}

func (k keychainKeys) Set(name, key string) error {
	if key == "" {
		return k.Delete(name)
	}
	if err := keyring.Set(k.service, name, key); err != nil {
		return fmt.Errorf("keep the key of %q in the Keychain: %w", name, err)
	}
	return nil
}

func (k keychainKeys) Delete(name string) error {
	if err := keyring.Delete(k.service, name); err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return fmt.Errorf("forget the key of %q in the Keychain: %w", name, err)
	}
	return nil
}
