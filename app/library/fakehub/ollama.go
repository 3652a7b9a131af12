package fakehub

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Ollama media types, as the registry uses them.
const (
	MediaModel    = "application/vnd.ollama.image.model"
	MediaTemplate = "application/vnd.ollama.image.template"
	MediaParams   = "application/vnd.ollama.image.params"
	MediaLicense  = "application/vnd.ollama.image.license"
	MediaSystem   = "application/vnd.ollama.image.system"
	mediaConfig   = "application/vnd.docker.container.image.v1+json"
	mediaManifest = "application/vnd.docker.distribution.manifest.v2+json"
)

// Layer is a layer of a fake Ollama model.
type Layer struct {
	MediaType string
	Data      []byte
}

type descriptor struct {
	MediaType string `json:"mediaType"`
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
}

// AddOllama publishes ns/name:tag in the registry with these layers (the model first, then
// template, params, license, system as wanted).
func (h *Hub) AddOllama(ns, name, tag string, layers ...Layer) {
	cfg := []byte(`{"model_format":"gguf","model_family":"llama","model_families":["llama"],"architecture":"amd64","os":"linux"}`)
	m := map[string]any{
		"schemaVersion": 2,
		"mediaType":     mediaManifest,
		"config":        descriptor{mediaConfig, "sha256:" + h.AddBlob(cfg), int64(len(cfg))},
	}
	var ls []descriptor
	for _, l := range layers {
		ls = append(ls, descriptor{l.MediaType, "sha256:" + h.AddBlob(l.Data), int64(len(l.Data))})
	}
	m["layers"] = ls
	b, _ := json.Marshal(m)
	h.mu.Lock()
	h.ollama[ns+"/"+name+":"+tag] = b
	h.mu.Unlock()
}

type registryError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func regError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string][]registryError{"errors": {{code, msg}}})
}

// serveRegistry answers /v2/{ns}/{name}/manifests/{tag} and /v2/{ns}/{name}/blobs/{digest}
// (a 307 to the CDN, as registry.ollama.ai does).
func (h *Hub) serveRegistry(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/v2/"), "/")
	if len(parts) != 4 {
		regError(w, http.StatusNotFound, "NAME_UNKNOWN", "repository name not known to registry")
		return
	}
	repo := parts[0] + "/" + parts[1]
	switch parts[2] {
	case "manifests":
		h.mu.Lock()
		b, ok := h.ollama[repo+":"+parts[3]]
		h.mu.Unlock()
		if !ok {
			regError(w, http.StatusNotFound, "MANIFEST_UNKNOWN", "manifest unknown")
			return
		}
		w.Header().Set("Content-Type", mediaManifest)
		w.Header().Set("Docker-Content-Digest", "sha256:"+h.AddBlob(b))
		if r.Method != http.MethodHead {
			_, _ = w.Write(b)
		}
	case "blobs":
		hx, ok := strings.CutPrefix(parts[3], "sha256:")
		h.mu.Lock()
		_, known := h.blobs[hx]
		h.mu.Unlock()
		if !ok || !known {
			regError(w, http.StatusNotFound, "BLOB_UNKNOWN", "blob unknown to registry")
			return
		}
		http.Redirect(w, r, h.BlobURL(hx), http.StatusTemporaryRedirect)
	default:
		regError(w, http.StatusNotFound, "UNSUPPORTED", "unsupported")
	}
}
