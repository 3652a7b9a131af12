package ggufmeta

import (
	"path/filepath"
	"testing"

	"github.com/perchapp/perch/engine/sharedtest"
	"github.com/perchapp/perch/engine/synth/synthtest"
)

func TestDisplayName(t *testing.T) {
	tests := []struct {
		name string
		info Info
		want string
	}{
		{"basename and size label", Info{Architecture: "qwen3", Name: "Qwen3 8B", BaseName: "Qwen3", SizeLabel: "8B", Quantization: "Q4_K_M"}, "Qwen3 8B · Q4_K_M"},
		{"repository-style basename", Info{Architecture: "llama", Name: "Llama 3.2 3B Instruct", BaseName: "Llama-3.2", SizeLabel: "3B", Quantization: "Q8_0"}, "Llama 3.2 3B · Q8_0"},
		{"name only", Info{Architecture: "llama", Name: "LLaMA v2", Quantization: "F16"}, "LLaMA v2 · F16"},
		{"name with size label", Info{Architecture: "gemma3", Name: "Gemma 3", SizeLabel: "4B", Quantization: "q4_k_m"}, "Gemma 3 4B · Q4_K_M"},
		{"size already in the name", Info{Architecture: "qwen3", Name: "Qwen3-8B", SizeLabel: "8b", Quantization: "Q4_K_M"}, "Qwen3-8B · Q4_K_M"},
		{"name is the architecture", Info{Architecture: "llama", Name: "llama", Quantization: "F32"}, ""},
		{"name is a path", Info{Architecture: "llama", Name: "/home/me/models/x", Quantization: "F16"}, ""},
		{"no name", Info{Architecture: "llama", Quantization: "Q4_0"}, ""},
		{"no quantization", Info{Architecture: "qwen3", BaseName: "Qwen3", SizeLabel: "0.6B"}, "Qwen3 0.6B"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.info.DisplayName(); got != tt.want {
				t.Errorf("DisplayName() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestDisplayNameFromHeader: general.basename and general.size_label are read from the file.
func TestDisplayNameFromHeader(t *testing.T) {
	p := filepath.Join(t.TempDir(), "m.gguf")
	synthtest.Header(t, p, "general.architecture", "qwen3", "general.name", "Qwen3 8B", "general.basename", "Qwen3",
		"general.size_label", "8B", "general.file_type", uint32(15), "qwen3.block_count", uint32(1), "qwen3.embedding_length", uint32(4))
	info, err := Read(p)
	if err != nil {
		t.Fatal(err)
	}
	if info.BaseName != "Qwen3" || info.SizeLabel != "8B" {
		t.Fatalf("BaseName %q SizeLabel %q, want Qwen3, 8B", info.BaseName, info.SizeLabel)
	}
	if got := info.DisplayName(); got != "Qwen3 8B · Q4_K_M" {
		t.Errorf("DisplayName() = %q, want %q", got, "Qwen3 8B · Q4_K_M")
	}
	real, err := Read(sharedtest.Path(t, "models", "llama-2-tiny-random.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	if got := real.DisplayName(); got != "LLaMA v2 · F16" {
		t.Errorf("llama-2-tiny-random: DisplayName() = %q, want %q", got, "LLaMA v2 · F16")
	}
}
