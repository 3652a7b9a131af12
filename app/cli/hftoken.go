package cli

import (
	"fmt"

	"github.com/perchapp/perch/app/config"
	"github.com/perchapp/perch/app/library"
	"github.com/perchapp/perch/app/library/hf"
	"github.com/perchapp/perch/app/remote"
)

// The Hugging Face token set in Settings is kept as the remote endpoints' API keys are: in
// the Keychain on macOS, in a file only the user can read elsewhere. It wins over HF_TOKEN and
// the Hugging Face tools' token file, which are used when none is set.

const (
	secretsService = "Perch"
	hfTokenName    = "huggingface-token"
)

func secrets(paths config.Paths) remote.Keys {
	return remote.SecretKeys(secretsService, paths.SecretsFile())
}

// savedHFToken is the token set in Settings, "" if none (or unreadable: the environment's is
// used then, and the Settings view reports the error).
func savedHFToken(paths config.Paths) string {
	tok, _ := secrets(paths).Get(hfTokenName)
	return tok
}

// hfTokens implements api.HFTokens for the server: it keeps the token and hands it to the
// model store's Hugging Face client at once.
type hfTokens struct {
	keys  remote.Keys
	store *library.Store
}

func (h hfTokens) HFToken() (string, string, error) {
	tok, err := h.keys.Get(hfTokenName)
	if err != nil {
		return "", "", err
	}
	if tok != "" {
		return tok, "settings", nil
	}
	if env := hf.EnvToken(); env != "" {
		return env, "environment", nil
	}
	return "", "", nil
}

func (h hfTokens) SetHFToken(tok string) error {
	if err := h.keys.Set(hfTokenName, tok); err != nil {
		return fmt.Errorf("keep the Hugging Face token: %w", err)
	}
	if tok == "" {
		tok = hf.EnvToken()
	}
	h.store.SetHFToken(tok)
	return nil
}
