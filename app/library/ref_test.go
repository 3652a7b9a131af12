package library

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestParseRef(t *testing.T) {
	dir := t.TempDir()
	local := filepath.Join(dir, "Model.gguf")
	if err := os.WriteFile(local, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		in         string
		kind       RefKind
		name, file string
	}{
		{"hf.co/org/Repo-GGUF:q8_0", RefHF, "hf.co/org/Repo-GGUF:Q8_0", ""},
		{"hf.co/org/Repo-GGUF", RefHF, "hf.co/org/Repo-GGUF:", ""},
		{"huggingface.co/org/Repo-GGUF:Q4_K_M", RefHF, "hf.co/org/Repo-GGUF:Q4_K_M", ""},
		{"https://huggingface.co/org/Repo-GGUF", RefHF, "hf.co/org/Repo-GGUF:", ""},
		{"https://huggingface.co/org/Repo-GGUF/tree/main", RefHF, "hf.co/org/Repo-GGUF:", ""},
		{"https://huggingface.co/org/Repo-GGUF/resolve/main/sub/m-Q4_K_M.gguf?download=true", RefHF, "hf.co/org/Repo-GGUF:", "sub/m-Q4_K_M.gguf"},
		{"https://huggingface.co/org/Repo-GGUF/blob/main/m-Q8_0.gguf", RefHF, "hf.co/org/Repo-GGUF:", "m-Q8_0.gguf"},
		{"llama3.2:3b", RefOllama, "registry.ollama.ai/library/llama3.2:3b", ""},
		{"127.0.0.1:8080/library/tiny:latest", RefOllama, "127.0.0.1:8080/library/tiny:latest", ""},
		{"https://example.com/models/Foo-Q4_K_M.gguf", RefURL, "", ""},
		{"http://127.0.0.1:9/m.gguf", RefURL, "", ""},
		{local, RefFile, "", ""},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			r, err := ParseRef(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if r.Kind != c.kind {
				t.Fatalf("kind %d, want %d", r.Kind, c.kind)
			}
			if c.name != "" && r.Name.Full() != c.name {
				t.Errorf("name %s, want %s", r.Name.Full(), c.name)
			}
			if r.File != c.file {
				t.Errorf("file %q, want %q", r.File, c.file)
			}
		})
	}
}

func TestParseRefRefuses(t *testing.T) {
	for _, in := range []string{
		"", "../../x", "http://example.com/m.gguf", "https://example.com/page.html",
		"https://huggingface.co/org", "https://huggingface.co/org/repo/resolve/main/../../etc/passwd.gguf",
		"https://huggingface.co/org/repo/resolve/main/README.md", "missing-file.gguf",
	} {
		t.Run(in, func(t *testing.T) {
			if r, err := ParseRef(in); !errors.Is(err, ErrInvalidName) {
				t.Fatalf("ParseRef(%q) = %+v, %v; want ErrInvalidName", in, r, err)
			}
		})
	}
}

// Only a registry the client names is guarded; registry.ollama.ai, the default, is not.
func TestRefNamesHost(t *testing.T) {
	for _, c := range []struct {
		ref  string
		want bool
	}{
		{"llama3.2", false},
		{"registry.ollama.ai/library/llama3.2:3b", false},
		{"127.0.0.1:8080/library/x", true},
		{"example.com/ns/x", true},
		{"https://example.com/x.gguf", true},
		{"hf.co/org/repo", false},
	} {
		r, err := ParseRef(c.ref)
		if err != nil || r.namesHost() != c.want {
			t.Errorf("%s: namesHost %v, %v; want %v", c.ref, r.namesHost(), err, c.want)
		}
	}
}
