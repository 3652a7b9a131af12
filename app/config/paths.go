// Package config holds where Perch keeps its files (XDG directories, or one PERCH_HOME root)
// and the user's settings (config.json).
package config

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/adrg/xdg"
)

// EnvHome, when set, puts all of Perch's files under one folder (used by tests).
const EnvHome = "PERCH_HOME"

// Paths are the folders Perch uses.
type Paths struct {
	Data    string // models/, chats.db, kv/, collections.db
	Config  string // config.json
	Runtime string // worker sockets
	Cache   string
}

// DefaultPaths returns PERCH_HOME's layout when it is set, and the XDG directories otherwise
// (~/Library/Application Support/perch on macOS, ~/.local/share/perch on Linux).
func DefaultPaths() Paths {
	if home := os.Getenv(EnvHome); home != "" {
		return Paths{
			Data:    filepath.Join(home, "data"),
			Config:  filepath.Join(home, "config"),
			Runtime: filepath.Join(home, "run"),
			Cache:   filepath.Join(home, "cache"),
		}
	}
	runtime := filepath.Join(xdg.RuntimeDir, "perch")
	return Paths{
		Data:    filepath.Join(xdg.DataHome, "perch"),
		Config:  filepath.Join(xdg.ConfigHome, "perch"),
		Runtime: runtime,
		Cache:   filepath.Join(xdg.CacheHome, "perch"),
	}
}

// Models is the model store (blobs and manifests).
func (p Paths) Models() string { return filepath.Join(p.Data, "models") }

// KV is where saved conversation KV state lives.
func (p Paths) KV() string { return filepath.Join(p.Data, "kv") }

// ChatsDB is the conversation history database.
func (p Paths) ChatsDB() string { return filepath.Join(p.Data, "chats.db") }

// CollectionsDB is the documents (RAG) database.
func (p Paths) CollectionsDB() string { return filepath.Join(p.Data, "collections.db") }

// SettingsFile is the user's settings.
func (p Paths) SettingsFile() string { return filepath.Join(p.Config, "config.json") }

// Ensure creates the folders.
func (p Paths) Ensure() error {
	for _, d := range []string{p.Data, p.Config, p.Cache} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
	}
	if err := os.MkdirAll(p.Runtime, 0o700); err != nil {
		return fmt.Errorf("create %s: %w", p.Runtime, err)
	}
	return nil
}

// APIKeyFile keeps the API key generated for a server reachable beyond loopback.
func (p Paths) APIKeyFile() string { return filepath.Join(p.Config, "api-key") }

// SecretsFile keeps secrets other than API keys (the Hugging Face token) where there is no
// Keychain, readable by the user only.
func (p Paths) SecretsFile() string { return filepath.Join(p.Config, "secrets.json") }
