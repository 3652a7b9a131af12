package library

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/perchapp/perch/app/config"
	"github.com/perchapp/perch/app/library/registry"
)

// The store's manifests are Ollama's (Docker distribution v2 with Ollama media types), with
// OCI annotations for what Ollama has no field for: a layer's file name (split GGUF parts
// keep theirs) and the reference the model was pulled from.
type manifest struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	Config        *layer            `json:"config,omitempty"`
	Layers        []layer           `json:"layers"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

type layer struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

const (
	annTitle   = "org.opencontainers.image.title"
	annSource  = "org.opencontainers.image.source"
	annCreated = "org.opencontainers.image.created"
)

var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

func newManifest(source string, layers []layer) *manifest {
	return &manifest{
		SchemaVersion: 2,
		MediaType:     registry.MediaManifest,
		Layers:        layers,
		Annotations:   map[string]string{annSource: source, annCreated: time.Now().UTC().Format(time.RFC3339)},
	}
}

func (s *Store) manifestPath(n Name) string { return filepath.Join(s.root, "manifests", n.path()) }

func readManifest(path string) (*manifest, time.Time, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, time.Time{}, err
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, time.Time{}, err
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, time.Time{}, fmt.Errorf("manifest %s is not valid JSON: %w", path, err)
	}
	for _, l := range m.Layers {
		if !digestRE.MatchString(l.Digest) {
			return nil, time.Time{}, fmt.Errorf("manifest %s names a bad digest %q", path, l.Digest)
		}
	}
	return &m, fi.ModTime(), nil
}

// writeManifest writes atomically (temporary file, fsync, rename).
func (s *Store) writeManifest(n Name, m *manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	if err := config.WriteFileAtomic(s.manifestPath(n), b, 0o644); err != nil {
		return fmt.Errorf("write the manifest of %s: %w", n, err)
	}
	return nil
}

// modelLayers are the GGUF layers in part order.
func (m *manifest) modelLayers() []layer {
	var out []layer
	for _, l := range m.Layers {
		if l.MediaType == registry.MediaModel {
			out = append(out, l)
		}
	}
	return out
}

func (m *manifest) source() string { return m.Annotations[annSource] }
