package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultAddress is where the server listens unless told otherwise.
const DefaultAddress = "127.0.0.1:11435"

// Settings are the user's choices, saved as config.json.
type Settings struct {
	// Address is host:port of the API server.
	Address string `json:"address"`
	// APIKey is required from clients when the server listens beyond loopback.
	APIKey string `json:"api_key,omitempty"`
	// AllowedOrigins may call the API from a browser (CORS); the UI's own origin always may.
	AllowedOrigins []string `json:"allowed_origins,omitempty"`
	// AllowedHosts are extra Host header names accepted besides loopback names.
	AllowedHosts []string `json:"allowed_hosts,omitempty"`
	// KeepAlive is how long an idle model stays loaded, as a Go duration ("5m"); "-1" forever.
	KeepAlive string `json:"keep_alive"`
	// ContextLength is the default context; 0 picks the largest of 4K/8K/16K/32K that fits,
	// never above the model's training context.
	ContextLength int `json:"context_length"`
	// Slots is the number of parallel requests per model. They share one KV cache of the
	// context (llama.cpp's unified KV), so more slots cost almost no memory.
	Slots int `json:"slots"`
	// PerSlotKV gives every slot its own cache of the whole context instead (memory × slots).
	// It only wins when several long conversations run at once and each must keep its full
	// context; a desktop's single user does not need it.
	PerSlotKV bool `json:"per_slot_kv,omitempty"`
	// KVType is the KV cache type of models loaded from now on: f16 ("" too), q8_0 or q4_0.
	// q8_0 halves the cache's memory and q4_0 quarters it, at a small cost in quality.
	KVType string `json:"kv_type,omitempty"`
	// FlashAttn is flash attention for models loaded from now on: auto ("" too), on or off.
	// llama.cpp needs it for a quantized cache, so q8_0 and q4_0 refuse off.
	FlashAttn string `json:"flash_attn,omitempty"`
	// MaxLoaded caps the models resident at once (0: as many as memory allows).
	MaxLoaded int `json:"max_loaded"`
	// DefaultModel is the model the UI starts new chats with.
	DefaultModel string `json:"default_model,omitempty"`
	// ModelsDirs are extra folders whose .gguf files are served by file stem.
	ModelsDirs []string `json:"models_dirs,omitempty"`
	// DownloadDir is the folder new downloads go to (its blobs subfolder); "" keeps them in
	// the data folder. Models downloaded before stay where they are and stay listed.
	DownloadDir string `json:"download_dir,omitempty"`
	// AllowPrivateURLs lets URL pulls and inspections reach loopback, link-local and private
	// network addresses (a model server on this machine or the local network).
	AllowPrivateURLs bool `json:"allow_private_urls,omitempty"`
	// LaunchAtLogin starts the app when the user logs in (macOS).
	LaunchAtLogin bool `json:"launch_at_login"`
	// Language of the UI: "system", "en" or "ko".
	Language string `json:"language"`
	// Theme of the UI: "system", "light" or "dark".
	Theme string `json:"theme"`

	// DraftModels maps a model's name to the draft model (same tokenizer, smaller) that
	// speculative decoding loads with it when a request names none. A change applies at the
	// model's next load.
	DraftModels map[string]string `json:"draft_models,omitempty"`

	// ModelDefaults maps a model's name to its own context length and keep-alive, used when
	// a request names none (a request's own num_ctx or keep_alive wins). A change applies at
	// the model's next load.
	ModelDefaults map[string]ModelDefault `json:"model_defaults,omitempty"`
}

// ModelDefault is one model's own load settings; zero values take the server-wide ones.
type ModelDefault struct {
	// ContextLength is the model's context (num_ctx); 0 takes context_length.
	ContextLength int `json:"num_ctx,omitempty"`
	// KeepAlive is how long the model stays loaded when idle, in keep_alive's syntax; ""
	// takes keep_alive.
	KeepAlive string `json:"keep_alive,omitempty"`
}

// IsZero reports whether d sets nothing (such an entry is dropped).
func (d ModelDefault) IsZero() bool { return d.ContextLength == 0 && d.KeepAlive == "" }

// MinContext is the smallest context a model loads with (engine.MinContext).
const MinContext = 256

// Defaults returns the settings of a fresh install.
func Defaults() Settings {
	return Settings{
		Address:   DefaultAddress,
		KeepAlive: "5m",
		Slots:     4,
		Language:  "system",
		Theme:     "system",
	}
}

// Validate checks the settings and says what is wrong.
func (s Settings) Validate() error {
	host, port, err := net.SplitHostPort(s.Address)
	if err != nil {
		return fieldErr("address", CodeInvalidAddress, "address %q must be host:port: %w", s.Address, err)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return fieldErr("address", CodeInvalidAddress, "address %q: port must be a number from 0 to 65535", s.Address)
	}
	if host == "" {
		return fieldErr("address", CodeInvalidAddress, "address %q: give a host, such as 127.0.0.1 or 0.0.0.0", s.Address)
	}
	if _, err := ParseKeepAlive(s.KeepAlive); err != nil {
		return err
	}
	if s.ContextLength < 0 || (s.ContextLength > 0 && s.ContextLength < MinContext) {
		return fmt.Errorf("context_length must be 0 (automatic) or at least %d, got %d", MinContext, s.ContextLength)
	}
	if s.Slots < 0 || s.Slots > 64 {
		return fmt.Errorf("slots must be from 1 to 64, got %d", s.Slots)
	}
	if err := validCache(s.KVType, s.FlashAttn); err != nil {
		return err
	}
	if err := validDownloadDir(s.DownloadDir); err != nil {
		return err
	}
	for _, d := range s.ModelsDirs {
		if !filepath.IsAbs(d) {
			return fieldErr("models_dirs", CodeDirNotAbsolute, "models_dirs: %q is not an absolute path; give the full path of a folder, such as /Users/me/models", d)
		}
	}
	switch s.Language {
	case "", "system", "en", "ko":
	default:
		return fmt.Errorf("language must be system, en or ko, got %q", s.Language)
	}
	switch s.Theme {
	case "", "system", "light", "dark":
	default:
		return fmt.Errorf("theme must be system, light or dark, got %q", s.Theme)
	}
	if err := validateDrafts(s.DraftModels); err != nil {
		return err
	}
	return validateModelDefaults(s.ModelDefaults)
}

// validateModelDefaults checks model_defaults: a model name, and each value as the
// server-wide one is checked.
func validateModelDefaults(m map[string]ModelDefault) error {
	for model, d := range m {
		switch {
		case strings.TrimSpace(model) == "":
			return fmt.Errorf("model_defaults: an entry has no model name; write {\"model name\": {\"num_ctx\": 8192, \"keep_alive\": \"30m\"}}")
		case d.ContextLength < 0 || (d.ContextLength > 0 && d.ContextLength < MinContext):
			return fmt.Errorf("model_defaults: %q: num_ctx must be 0 (the default context) or at least %d, got %d", model, MinContext, d.ContextLength)
		}
		if d.KeepAlive != "" {
			if _, err := ParseKeepAlive(d.KeepAlive); err != nil {
				return fmt.Errorf("model_defaults: %q: %w", model, err)
			}
		}
	}
	return nil
}

// validateDrafts checks draft_models: model names on both sides.
func validateDrafts(m map[string]string) error {
	for model, draft := range m {
		switch {
		case strings.TrimSpace(model) == "":
			return fmt.Errorf("draft_models: an entry has no model name; write {\"model name\": \"draft model name\"}")
		case strings.TrimSpace(draft) == "":
			return fmt.Errorf("draft_models: %q has no draft model; name one, or leave the model out for none", model)
		}
	}
	return nil
}

// validCache checks the KV cache type and flash attention, alone and together.
func validCache(kv, flash string) error {
	switch kv {
	case "", "f16", "q8_0", "q4_0":
	default:
		return fmt.Errorf("kv_type must be f16, q8_0 or q4_0, got %q", kv)
	}
	switch flash {
	case "", "auto", "on", "off":
	default:
		return fmt.Errorf("flash_attn must be auto, on or off, got %q", flash)
	}
	if flash == "off" && (kv == "q8_0" || kv == "q4_0") {
		return fieldErr("flash_attn", CodeKVNeedsFlashAttn, "a %s KV cache needs flash attention (llama.cpp cannot quantize the cache without it); set flash attention to auto or on, or the KV cache to f16", kv)
	}
	return nil
}

// ParseKeepAlive reads a keep-alive value: a Go duration ("5m", "1h30m"), a number of
// seconds, or a negative number for forever (returned as -1).
func ParseKeepAlive(s string) (time.Duration, error) {
	if s == "" {
		return 5 * time.Minute, nil
	}
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		if n < 0 {
			return -1, nil
		}
		return time.Duration(n * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("keep_alive %q is not a duration such as 5m, 1h or -1", s)
	}
	if d < 0 {
		return -1, nil
	}
	return d, nil
}

// Store loads and saves the settings file. It is safe for concurrent use.
type Store struct {
	mu   sync.Mutex
	path string
	cur  Settings
}

// Open reads the settings at path, or starts from the defaults when there is no file.
func Open(path string) (*Store, error) {
	s := &Store{path: path, cur: Defaults()}
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return s, nil
	case err != nil:
		return nil, fmt.Errorf("read settings: %w", err)
	}
	cur := Defaults()
	if err := json.Unmarshal(b, &cur); err != nil {
		return nil, fmt.Errorf("settings file %s is not valid JSON (%w); fix or delete it", path, err)
	}
	if err := cur.Validate(); err != nil {
		return nil, fmt.Errorf("settings file %s: %w", path, err)
	}
	s.cur = cur
	return s, nil
}

// Get returns the current settings.
func (s *Store) Get() Settings {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

// Update validates and saves new settings atomically (temporary file, fsync, rename).
func (s *Store) Update(next Settings) error {
	if err := next.Validate(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := checkNewDirs(s.cur.ModelsDirs, next.ModelsDirs); err != nil {
		return err
	}
	if next.DownloadDir != s.cur.DownloadDir && next.DownloadDir != "" {
		if err := usableDownloadDir(next.DownloadDir); err != nil {
			return err
		}
	}
	b, err := json.MarshalIndent(next, "", "  ")
	if err != nil {
		return fmt.Errorf("encode settings: %w", err)
	}
	if err := WriteFileAtomic(s.path, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	s.cur = next
	return nil
}

// WriteFileAtomic writes data to a temporary file beside path, syncs it and renames it into
// place, so a crash leaves either the old file or the new one, never half of one.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op after the rename
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}

// checkNewDirs requires the models folders added to exist (folders already listed may be on
// a disk that is not mounted now, and stay).
func checkNewDirs(old, next []string) error {
	for _, d := range next {
		if slices.Contains(old, d) {
			continue
		}
		st, err := os.Stat(d)
		switch {
		case err != nil:
			return fieldErr("models_dirs", CodeDirUnusable, "models_dirs: cannot use %s: %w; give an existing folder", d, err)
		case !st.IsDir():
			return fieldErr("models_dirs", CodeDirIsFile, "models_dirs: %s is a file, not a folder", d)
		}
	}
	return nil
}
