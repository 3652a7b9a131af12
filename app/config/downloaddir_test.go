package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The downloads folder must be absolute, outside hidden folders, a folder (created when
// missing) and writable; a refused one leaves the saved settings as they were.
func TestDownloadDirSetting(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	locked := filepath.Join(dir, "locked")
	if err := os.Mkdir(locked, 0o555); err != nil {
		t.Fatal(err)
	}
	s, err := Open(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, dir, want string // want "" : accepted
	}{
		{"relative", "Models", "not an absolute path"},
		{"hidden", filepath.Join(dir, ".cache", "models"), "inside the hidden folder " + filepath.Join(dir, ".cache")},
		{"a file", file, "is a file, not a folder"},
		{"created", filepath.Join(dir, "new", "Models"), ""},
		{"existing", dir, ""},
		{"back to the default", "", ""},
	}
	if os.Geteuid() != 0 { // root writes anywhere
		tests = append(tests, struct{ name, dir, want string }{"not writable", locked, "cannot write in"})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.Get().DownloadDir
			next := s.Get()
			next.DownloadDir = tt.dir
			err := s.Update(next)
			if tt.want == "" && err != nil || tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("download_dir %q: %v; want %q", tt.dir, err, tt.want)
			}
			if err != nil && s.Get().DownloadDir != before {
				t.Errorf("a refused folder was saved")
			}
			if tt.want == "" && tt.dir != "" {
				if st, err := os.Stat(tt.dir); err != nil || !st.IsDir() {
					t.Errorf("the folder was not created: %v", err)
				}
			}
		})
	}
}

// TestSettingFieldErrors: refusals of a setting name the field and a stable code the UI words
// in the user's language, and keep the cause.
func TestSettingFieldErrors(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		change      func(*Settings)
		field, code string
	}{
		{"relative downloads", func(s *Settings) { s.DownloadDir = "Models" }, "download_dir", CodeDirNotAbsolute},
		{"hidden downloads", func(s *Settings) { s.DownloadDir = filepath.Join(dir, ".cache") }, "download_dir", CodeDirHidden},
		{"downloads a file", func(s *Settings) { s.DownloadDir = file }, "download_dir", CodeDirIsFile},
		{"relative models folder", func(s *Settings) { s.ModelsDirs = []string{"gguf"} }, "models_dirs", CodeDirNotAbsolute},
		{"missing models folder", func(s *Settings) { s.ModelsDirs = []string{filepath.Join(dir, "none")} }, "models_dirs", CodeDirUnusable},
		{"address", func(s *Settings) { s.Address = "localhost" }, "address", CodeInvalidAddress},
		{"port", func(s *Settings) { s.Address = "127.0.0.1:99999" }, "address", CodeInvalidAddress},
		{"quantized cache without flash attention", func(s *Settings) { s.KVType, s.FlashAttn = "q8_0", "off" }, "flash_attn", CodeKVNeedsFlashAttn},
	}
	s, err := Open(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			next := s.Get()
			tt.change(&next)
			err := s.Update(next)
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field || fe.Code != tt.code || fe.Message == "" {
				t.Errorf("Update: %v (%+v); want field %s, code %s", err, fe, tt.field, tt.code)
			}
		})
	}
	next := s.Get()
	next.ModelsDirs = []string{filepath.Join(dir, "none")}
	if err := s.Update(next); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a missing folder's error lost its cause: %v", err)
	}
}
