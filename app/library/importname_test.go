package library

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perchapp/perch/app/wire"
)

func TestImportName(t *testing.T) {
	tests := []struct{ name, file, want, param string }{
		{"", "/Users/me/Qwen3-8B-Q4_K_M.gguf", "qwen3-8b-q4_k_m", ""},
		{"", `C:\Models\My Model.gguf`, "my-model", ""},
		{"mine", "/x/y.gguf", "mine", ""},
		{"bad name!", "/x/y.gguf", "", "name"},
	}
	for _, tt := range tests {
		got, err := ImportName(tt.name, tt.file)
		if tt.param != "" {
			var pe *wire.ParamError
			if !errors.As(err, &pe) || pe.Param != tt.param {
				t.Errorf("ImportName(%q, %q) = %q, %v; want a ParamError for %s", tt.name, tt.file, got, err, tt.param)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ImportName(%q, %q) = %q, %v; want %q", tt.name, tt.file, got, err, tt.want)
		}
	}
}

func TestCheckImportPath(t *testing.T) {
	dir := t.TempDir()
	gguf := filepath.Join(dir, "Tiny.gguf")
	if err := os.WriteFile(gguf, []byte("GGUF\x03\x00\x00\x00 and the rest"), 0o644); err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte("not a model at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ path, name, wantPath, wantName, param, msg string }{
		{gguf, "", gguf, "tiny", "", ""},
		{dir + "/./Tiny.gguf", "t", gguf, "t", "", ""},
		{"", "", "", "", "path", "absolute path"},
		{"models/x.gguf", "", "", "", "path", "absolute path"},
		{gguf, "no spaces please", "", "", "name", ""},
		{text, "", "", "", "path", "no readable GGUF model file"},
		{filepath.Join(dir, "missing.gguf"), "", "", "", "path", "no readable GGUF model file"},
	}
	for _, tt := range tests {
		p, n, err := CheckImportPath(tt.path, tt.name)
		if tt.param == "" {
			if err != nil || p != tt.wantPath || n != tt.wantName {
				t.Errorf("CheckImportPath(%q, %q) = %q, %q, %v; want %q, %q", tt.path, tt.name, p, n, err, tt.wantPath, tt.wantName)
			}
			continue
		}
		var pe *wire.ParamError
		if !errors.As(err, &pe) || pe.Param != tt.param || !strings.Contains(pe.Message, tt.msg) {
			t.Errorf("CheckImportPath(%q, %q): %v; want a ParamError for %s saying %q", tt.path, tt.name, err, tt.param, tt.msg)
		}
	}
}
