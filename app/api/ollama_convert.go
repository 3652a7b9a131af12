package api

import (
	ollamawire "github.com/perchapp/perch/app/wire/ollama"
	"github.com/perchapp/perch/engine"
)

// Model metadata in Ollama's shapes, from the library's facts (the conversions themselves
// are in app/wire/ollama).

func detailsOf(m LibraryModel) ollamawire.ModelDetails {
	return ollamawire.Details(m.Architecture, m.ParameterCount, m.Quantization)
}

func listModelToOllama(m LibraryModel) ollamawire.ListModel {
	name := ollamawire.Name(m.Name)
	return ollamawire.ListModel{Name: name, Model: name, ModifiedAt: m.ModifiedAt, Size: m.Size, Digest: ollamawire.StripDigest(m.Digest), Details: detailsOf(m)}
}

// templateOf is the template /api/show reports: the Ollama layer's, else the GGUF's own.
func templateOf(m LibraryModel) string {
	if m.Template != "" {
		return m.Template
	}
	return m.ChatTemplate
}

func showResponseOf(m LibraryModel) ollamawire.ShowResponse {
	tmpl := templateOf(m)
	return ollamawire.ShowResponse{
		License: m.License, Modelfile: ollamawire.Modelfile(m.Name, m.Path, m.Template, m.System, m.License, m.Params),
		Parameters: ollamawire.ParametersText(m.Params), Template: tmpl, System: m.System, Details: detailsOf(m),
		ModelInfo:    ollamawire.ModelInfo(m.Metadata, m.Architecture, m.ParameterCount, m.ContextLength, m.EmbeddingSize),
		Capabilities: ollamawire.Capabilities(tmpl, m.Embedding, m.FIM), ModifiedAt: m.ModifiedAt,
	}
}

// processModelOf describes a loaded model; m carries the library's facts when known.
func processModelOf(st engine.Status, m LibraryModel) ollamawire.ProcessModel {
	return ollamawire.ProcessModelOf(st, detailsOf(m), m.Digest)
}

// pullStatus writes a library progress report in Ollama's words.
func pullStatus(p PullProgress) ollamawire.Progress {
	out := ollamawire.Progress{Status: p.Status, Digest: p.Digest, Total: p.Total, Completed: p.Completed}
	if out.Status != "" {
		return out
	}
	switch p.Phase {
	case PullManifest:
		out.Status = "pulling manifest"
	case PullDownload:
		short := ollamawire.StripDigest(p.Digest)
		if len(short) > 12 {
			short = short[:12]
		}
		out.Status = "pulling " + short
	case PullVerify:
		out.Status = "verifying sha256 digest"
	case PullWrite:
		out.Status = "writing manifest"
	case PullDone:
		out.Status = "success"
	default:
		out.Status = string(p.Phase)
	}
	return out
}

// isDownload tells byte-count reports from the steps around them.
func isDownload(p PullProgress) bool {
	return p.Phase == PullDownload || (p.Phase == "" && PhaseOf(p.Status) == PullDownload)
}
