package library

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseName(t *testing.T) {
	cases := []struct {
		in, full, short string
	}{
		{"llama3.2", "registry.ollama.ai/library/llama3.2:latest", "llama3.2:latest"},
		{"llama3.2:3b", "registry.ollama.ai/library/llama3.2:3b", "llama3.2:3b"},
		{"user/model:v1", "registry.ollama.ai/user/model:v1", "user/model:v1"},
		{"hf.co/bartowski/Qwen2.5-7B-Instruct-GGUF:q4_k_m", "hf.co/bartowski/Qwen2.5-7B-Instruct-GGUF:Q4_K_M", "hf.co/bartowski/Qwen2.5-7B-Instruct-GGUF:Q4_K_M"},
		{"huggingface.co/org/repo:IQ4_xs", "hf.co/org/repo:IQ4_XS", "hf.co/org/repo:IQ4_XS"},
		{"127.0.0.1:5000/library/tiny:latest", "127.0.0.1:5000/library/tiny:latest", "127.0.0.1:5000/library/tiny:latest"},
		{"ollama.com/library/qwen3:8b", "registry.ollama.ai/library/qwen3:8b", "qwen3:8b"},
		{"  mistral  ", "registry.ollama.ai/library/mistral:latest", "mistral:latest"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			n, err := ParseName(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if n.Full() != c.full || n.String() != c.short {
				t.Errorf("ParseName(%q) = %s (%s), want %s (%s)", c.in, n.Full(), n, c.full, c.short)
			}
		})
	}
}

func TestParseNameRefuses(t *testing.T) {
	for _, in := range []string{
		"", "../../x", "..", "a/../b", "./x", "x:", "a/b/c/d", "-x", "x y", "x:../y",
		"bad host!/ns/x", "a//b", "x:" + string(make([]byte, 200)), "/etc/passwd:latest",
	} {
		t.Run(in, func(t *testing.T) {
			if n, err := ParseName(in); !errors.Is(err, ErrInvalidName) {
				t.Fatalf("ParseName(%q) = %v, %v; want ErrInvalidName", in, n, err)
			}
		})
	}
}

func TestSanitize(t *testing.T) {
	cases := map[string]string{
		"stories260K":                "stories260k",
		"Llama 3 (8B) Q4":            "llama-3--8b--q4",
		"._hidden":                   "hidden",
		"Qwen2.5-7B-Instruct-Q4_K_M": "qwen2.5-7b-instruct-q4_k_m",
	}
	for in, want := range cases {
		if got := sanitize(in); got != want {
			t.Errorf("sanitize(%q) = %q, want %q", in, got, want)
		}
	}
}

// Whatever parses stays four plain path components below manifests/.
func FuzzParseName(f *testing.F) {
	for _, s := range []string{"llama3.2:3b", "hf.co/org/repo:Q4_K_M", "../../x", "a/b/c:d", "127.0.0.1:5000/ns/m:t", "x:..", "a\\..\\b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseName(s)
		if err != nil {
			return
		}
		parts := strings.Split(filepath.ToSlash(n.path()), "/")
		if len(parts) != 4 {
			t.Fatalf("%q → %q has %d parts", s, n.path(), len(parts))
		}
		for _, p := range parts {
			if p == "" || p == "." || p == ".." || strings.ContainsAny(p, "\\/\x00") {
				t.Fatalf("%q → unsafe part %q", s, p)
			}
		}
		if again, err := ParseName(n.Full()); err != nil || again != n {
			t.Fatalf("%q → %s does not parse back (%v)", s, n.Full(), err)
		}
	})
}
