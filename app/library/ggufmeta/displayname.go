package ggufmeta

import "strings"

// DisplayName is the model's name for people, from its header: "Qwen3 8B · Q4_K_M" from
// general.basename and general.size_label (or general.name) and the quantization. It is ""
// when the header names nothing useful, such as a general.name that is only the
// architecture ("llama") or a path, so the caller falls back to the model's reference.
func (i Info) DisplayName() string {
	name := i.readableName()
	if name == "" {
		return ""
	}
	if i.Quantization != "" {
		name += " · " + strings.ToUpper(i.Quantization)
	}
	return name
}

// readableName is the name part without the quantization.
func (i Info) readableName() string {
	size := strings.TrimSpace(i.SizeLabel)
	if base := strings.TrimSpace(i.BaseName); useful(base, i.Architecture, size) {
		// Converters write the base as a repository name ("Llama-3.2"); spaces read better.
		if !strings.Contains(base, " ") {
			base = strings.NewReplacer("-", " ", "_", " ").Replace(base)
		}
		if size != "" && !containsFold(base, size) {
			base += " " + size
		}
		return base
	}
	name := strings.TrimSpace(i.Name)
	if !useful(name, i.Architecture, size) {
		return ""
	}
	if size != "" && !containsFold(name, size) {
		name += " " + size
	}
	return name
}

// useful says whether a header name says more than the architecture: old converters wrote
// the architecture, a directory ("models", "."), or a path as general.name. A name that is
// the architecture ("Qwen3" for qwen3) is useful with a size label after it.
func useful(name, arch, size string) bool {
	switch {
	case name == "", strings.EqualFold(name, arch) && size == "", strings.ContainsAny(name, `/\`):
		return false
	case strings.Trim(name, ".") == "", strings.EqualFold(name, "models"), strings.EqualFold(name, "model"):
		return false
	}
	return len(name) <= 80
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
