package library

import (
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/perchapp/perch/app/library/registry"
)

// RefKind says where a reference points.
type RefKind int

// The kinds of reference.
const (
	RefOllama RefKind = iota // name[:tag], ns/name:tag, host/ns/name:tag
	RefHF                    // hf.co/org/repo[:QUANT], or a huggingface.co URL
	RefURL                   // https://…/file.gguf
	RefFile                  // a local .gguf file
)

// Ref is a parsed reference to pull.
type Ref struct {
	Kind RefKind
	Raw  string
	// Name is the model's name in the store (Ollama and Hugging Face references). For a
	// Hugging Face reference without a tag, Tag is "" until the quantization is chosen.
	Name Name
	// Repo is "org/repo" and File a path in it, when the reference named a file.
	Repo, File string
	URL        string // RefURL
	Path       string // RefFile, absolute
}

// ParseRef reads what `perch pull` accepts: a model name (Ollama registry), a Hugging Face
// reference or URL, a URL of a .gguf file, or a path to a local .gguf file.
func ParseRef(s string) (Ref, error) { return parseRef(s) }

func parseRef(s string, hfHosts ...string) (Ref, error) {
	raw := strings.TrimSpace(s)
	if raw == "" {
		return Ref{}, fmt.Errorf("%w: the reference is empty", ErrInvalidName)
	}
	if strings.HasPrefix(raw, "https://") || strings.HasPrefix(raw, "http://") {
		return parseURLRef(raw, hfHosts)
	}
	if p, ok := localFile(raw); ok {
		return Ref{Kind: RefFile, Raw: raw, Path: p}, nil
	}
	if strings.EqualFold(filepath.Ext(raw), ".gguf") {
		_, err := os.Stat(raw)
		return Ref{}, fmt.Errorf("%w: %q looks like a GGUF file but cannot be read: %w", ErrInvalidName, raw, err)
	}
	n, hadTag, err := parseName(raw)
	if err != nil {
		return Ref{}, err
	}
	if n.IsHF() {
		if !hadTag {
			n.Tag = ""
		}
		return Ref{Kind: RefHF, Raw: raw, Name: n, Repo: n.Namespace + "/" + n.Model}, nil
	}
	return Ref{Kind: RefOllama, Raw: raw, Name: n}, nil
}

// localFile says whether s names a local file to import: a path ending in .gguf, or an
// explicit path (/…, ./…, ../…, ~/…) to a file that exists.
func localFile(s string) (string, bool) {
	p := s
	if strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			p = filepath.Join(home, p[2:])
		}
	}
	explicit := filepath.IsAbs(p) || strings.HasPrefix(p, "./") || strings.HasPrefix(p, "../") || strings.HasPrefix(s, "~/")
	if !explicit && !strings.EqualFold(filepath.Ext(p), ".gguf") {
		return "", false
	}
	if !explicit {
		// "model.gguf" could be a file here; a name never ends in .gguf.
		if _, err := os.Stat(p); err != nil {
			return "", false
		}
	} else if fi, err := os.Stat(p); err != nil || fi.IsDir() {
		return "", false
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", false
	}
	return abs, true
}

func parseURLRef(raw string, hfHosts []string) (Ref, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return Ref{}, fmt.Errorf("%w: %q is not a valid URL", ErrInvalidName, raw)
	}
	host := strings.ToLower(u.Host)
	isHF := hostAliases[host] == HFHost
	for _, h := range hfHosts {
		isHF = isHF || strings.EqualFold(h, u.Host)
	}
	if isHF {
		return parseHFURL(raw, u)
	}
	if u.Scheme == "http" && !registry.IsLoopback(u.Host) {
		return Ref{}, fmt.Errorf("%w: %q uses plain http; use https (plain http is allowed only for 127.0.0.1 and localhost)", ErrInvalidName, raw)
	}
	if !strings.EqualFold(path.Ext(u.Path), ".gguf") {
		return Ref{}, fmt.Errorf("%w: %q does not point to a .gguf file; give the URL of a GGUF file or a Hugging Face repository", ErrInvalidName, raw)
	}
	return Ref{Kind: RefURL, Raw: raw, URL: raw}, nil
}

// parseHFURL reads https://huggingface.co/org/repo, …/tree/main, and file URLs
// …/resolve/main/path.gguf or …/blob/main/path.gguf.
func parseHFURL(raw string, u *url.URL) (Ref, error) {
	parts := strings.Split(strings.Trim(u.Path, "/"), "/")
	if len(parts) < 2 {
		return Ref{}, fmt.Errorf("%w: %q does not name a repository (https://huggingface.co/org/repo)", ErrInvalidName, raw)
	}
	repoName := parts[1]
	tag := ""
	if i := strings.LastIndexByte(repoName, ':'); i > 0 && len(parts) == 2 {
		repoName, tag = repoName[:i], repoName[i+1:]
	}
	spec := HFHost + "/" + parts[0] + "/" + repoName
	if tag != "" {
		spec += ":" + tag
	}
	n, _, err := parseName(spec)
	if err != nil {
		return Ref{}, err
	}
	if tag == "" {
		n.Tag = ""
	}
	r := Ref{Kind: RefHF, Raw: raw, Name: n, Repo: n.Namespace + "/" + n.Model}
	if len(parts) >= 5 && (parts[2] == "resolve" || parts[2] == "blob") {
		file := strings.Join(parts[4:], "/")
		if !strings.EqualFold(path.Ext(file), ".gguf") {
			return Ref{}, fmt.Errorf("%w: %q is not a .gguf file", ErrInvalidName, file)
		}
		for _, p := range parts[4:] {
			if p == ".." || p == "." {
				return Ref{}, fmt.Errorf("%w: %q climbs out of the repository", ErrInvalidName, file)
			}
		}
		r.File = file
	}
	return r, nil
}

// key identifies a pull, so two pulls of the same thing share one.
func (r Ref) key() string {
	switch r.Kind {
	case RefHF:
		k := "hf:" + strings.ToLower(r.Repo) + ":" + strings.ToUpper(r.Name.Tag)
		if r.File != "" {
			k += ":" + r.File
		}
		return k
	case RefURL:
		return "url:" + r.URL
	case RefFile:
		return "file:" + r.Path
	}
	return "ollama:" + strings.ToLower(r.Name.Full())
}
