package ollama

import (
	"github.com/perchapp/perch/app/wire/perch"
	"github.com/perchapp/perch/engine"
)

// Model metadata and pull progress in Ollama's shapes, from the model store's (app/wire/perch).

// DetailsOf is a stored model's details block.
func DetailsOf(m perch.LibraryModel) ModelDetails {
	return Details(m.Architecture, m.ParameterCount, m.Quantization)
}

// ListModelOf is a stored model as /api/tags lists it.
func ListModelOf(m perch.LibraryModel) ListModel {
	name := Name(m.Name)
	return ListModel{Name: name, Model: name, ModifiedAt: m.ModifiedAt, Size: m.Size, Digest: StripDigest(m.Digest), Details: DetailsOf(m)}
}

// templateOf is the template /api/show reports: the Ollama layer's, else the GGUF's own.
func templateOf(m perch.LibraryModel) string {
	if m.Template != "" {
		return m.Template
	}
	return m.ChatTemplate
}

// ShowOf is what /api/show answers for a stored model.
func ShowOf(m perch.LibraryModel) ShowResponse {
	tmpl := templateOf(m)
	return ShowResponse{
		License: m.License, Modelfile: Modelfile(m.Name, m.Path, m.Template, m.System, m.License, m.Params),
		Parameters: ParametersText(m.Params), Template: tmpl, System: m.System, Details: DetailsOf(m),
		ModelInfo:    ModelInfo(m.Metadata, m.Architecture, m.ParameterCount, m.ContextLength, m.EmbeddingSize),
		Capabilities: Capabilities(tmpl, m.Embedding, m.FIM), ModifiedAt: m.ModifiedAt,
	}
}

// ProcessOf describes a loaded model for /api/ps; m carries the library's facts when known.
func ProcessOf(st engine.Status, m perch.LibraryModel) ProcessModel {
	return ProcessModelOf(st, DetailsOf(m), m.Digest)
}

// PullProgressOf writes a library progress report in Ollama's words: the library's own
// status when it has one, else the phase's.
func PullProgressOf(p perch.PullProgress) Progress {
	out := Progress{Status: p.Status, Digest: p.Digest, Total: p.Total, Completed: p.Completed}
	if out.Status != "" {
		return out
	}
	switch p.Phase {
	case perch.PullManifest:
		out.Status = "pulling manifest"
	case perch.PullDownload:
		short := StripDigest(p.Digest)
		if len(short) > 12 {
			short = short[:12]
		}
		out.Status = "pulling " + short
	case perch.PullVerify:
		out.Status = "verifying sha256 digest"
	case perch.PullWrite:
		out.Status = "writing manifest"
	case perch.PullDone:
		out.Status = "success"
	default:
		out.Status = string(p.Phase)
	}
	return out
}

// IsDownload tells byte-count reports from the steps around them.
func IsDownload(p perch.PullProgress) bool {
	return p.Phase == perch.PullDownload || (p.Phase == "" && perch.PhaseOf(p.Status) == perch.PullDownload)
}
