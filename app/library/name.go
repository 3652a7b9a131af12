package library

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/perchapp/perch/app/library/hf"
)

// Defaults of a model name, as in Ollama: "llama3.2" is registry.ollama.ai/library/llama3.2:latest.
const (
	DefaultRegistry  = "registry.ollama.ai"
	DefaultNamespace = "library"
	DefaultTag       = "latest"
	// HFHost is the host of Hugging Face names, whatever HF_ENDPOINT says.
	HFHost = "hf.co"
)

// ErrInvalidName is returned (wrapped) for a name that cannot be a model's.
var ErrInvalidName = errors.New("invalid model name")

// Name is a model's name in the store: host/namespace/model:tag.
type Name struct {
	Host, Namespace, Model, Tag string
}

var (
	hostRE = regexp.MustCompile(`^(?:[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$`)
	partRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)
	tagRE  = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`)
)

// hostAliases map other spellings of a host to the one names use.
var hostAliases = map[string]string{
	"huggingface.co":     HFHost,
	"www.huggingface.co": HFHost,
	"hf.co":              HFHost,
	"ollama.com":         DefaultRegistry,
	"www.ollama.com":     DefaultRegistry,
}

// ParseName reads "model[:tag]", "namespace/model[:tag]" or "host/namespace/model[:tag]"
// (tag latest when left out). Hugging Face hosts become hf.co, and a tag naming a
// quantization is upper-cased there (hf.co/org/repo:q4_k_m is …:Q4_K_M).
func ParseName(s string) (Name, error) {
	n, _, err := parseName(s)
	return n, err
}

// parseName is ParseName that also says whether a tag was given.
func parseName(s string) (Name, bool, error) {
	orig := s
	s = strings.TrimSpace(s)
	bad := func(format string, args ...any) (Name, bool, error) {
		return Name{}, false, fmt.Errorf("%w %q: %s (names look like llama3.2:3b, namespace/model:tag or hf.co/org/repo:Q4_K_M)",
			ErrInvalidName, orig, fmt.Sprintf(format, args...))
	}
	if s == "" {
		return bad("it is empty")
	}
	if len(s) > 400 {
		return bad("it is longer than 400 characters")
	}
	tag := ""
	hadTag := false
	if i := strings.LastIndexByte(s, ':'); i > strings.LastIndexByte(s, '/') {
		tag, s, hadTag = s[i+1:], s[:i], true
		if tag == "" {
			return bad("the tag after ':' is empty")
		}
	}
	parts := strings.Split(s, "/")
	for _, p := range parts {
		if p == "." || p == ".." {
			return bad("%q is not allowed in a name", p)
		}
		if p == "" {
			return bad("it has an empty part")
		}
	}
	var n Name
	switch len(parts) {
	case 1:
		n = Name{DefaultRegistry, DefaultNamespace, parts[0], tag}
	case 2:
		n = Name{DefaultRegistry, parts[0], parts[1], tag}
	case 3:
		n = Name{strings.ToLower(parts[0]), parts[1], parts[2], tag}
	default:
		return bad("it has %d parts separated by '/'; at most 3 are allowed", len(parts))
	}
	if a, ok := hostAliases[n.Host]; ok {
		n.Host = a
	}
	if !hostRE.MatchString(n.Host) {
		return bad("%q is not a host name", n.Host)
	}
	if !partRE.MatchString(n.Namespace) {
		return bad("%q must start with a letter or digit and hold only letters, digits, '.', '_' and '-'", n.Namespace)
	}
	if !partRE.MatchString(n.Model) {
		return bad("%q must start with a letter or digit and hold only letters, digits, '.', '_' and '-'", n.Model)
	}
	if n.Tag == "" {
		n.Tag = DefaultTag
	}
	if !tagRE.MatchString(n.Tag) {
		return bad("tag %q may hold only letters, digits, '.', '_' and '-' (at most 128)", n.Tag)
	}
	if n.Host == HFHost && hf.IsQuant(n.Tag) {
		n.Tag = strings.ToUpper(n.Tag)
	}
	return n, hadTag, nil
}

// String is the short form people type: "llama3.2:3b", "user/model:tag",
// "hf.co/org/repo:Q4_K_M".
func (n Name) String() string {
	switch {
	case n.Host == DefaultRegistry && n.Namespace == DefaultNamespace:
		return n.Model + ":" + n.Tag
	case n.Host == DefaultRegistry:
		return n.Namespace + "/" + n.Model + ":" + n.Tag
	}
	return n.Full()
}

// Full is host/namespace/model:tag.
func (n Name) Full() string { return n.Host + "/" + n.Namespace + "/" + n.Model + ":" + n.Tag }

// IsHF says whether the name is a Hugging Face repository's.
func (n Name) IsHF() bool { return n.Host == HFHost }

// path is where the manifest lives below manifests/ (every part was validated, so none
// climbs out).
func (n Name) path() string { return filepath.Join(n.Host, n.Namespace, n.Model, n.Tag) }

// sanitize turns a file stem into a valid name part: lower case, other characters as '-'.
func sanitize(stem string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(stem) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	s := strings.TrimLeft(b.String(), "._-")
	if len(s) > 128 {
		s = s[:128]
	}
	return s
}
