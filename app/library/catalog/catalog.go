// Package catalog is Perch's curated list of good GGUF models (chat, coding, reasoning,
// embeddings, including models strong in Korean), embedded in the binary, refreshable from
// Hugging Face, and searchable together with the Hub.
package catalog

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/perchapp/perch/app/config"
	"github.com/perchapp/perch/app/library/ggufmeta"
	"github.com/perchapp/perch/app/library/hf"
)

//go:embed catalog.json
var embedded []byte

// Catalog is the list of models.
type Catalog struct {
	Version int     `json:"version"`
	Note    string  `json:"note,omitempty"`
	Models  []Entry `json:"models"`
}

// Entry is a model in the catalog.
type Entry struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Publisher   string   `json:"publisher"`
	Tasks       []string `json:"tasks"`     // chat, coding, reasoning, embedding; documents (TaskDocuments)
	Languages   []string `json:"languages"` // ISO codes, and "multilingual"
	Description string   `json:"description"`
	// Repo is the Hugging Face repository ("org/name").
	Repo    string  `json:"repo"`
	License string  `json:"license"`
	Quants  []Quant `json:"quants"`
	// Recommended is the quantization a pull without a tag gets.
	Recommended string `json:"recommended"`
	Shape       Shape  `json:"shape"`
	// Approximate is true while the sizes are the embedded estimates, false once refreshed.
	Approximate bool      `json:"approximate"`
	RefreshedAt time.Time `json:"refreshed_at,omitzero"`
}

// Quant is a quantization of an entry: its file (the first part, for a split GGUF) and the
// bytes of all its parts.
type Quant struct {
	Name string `json:"name"`
	File string `json:"file"`
	Size int64  `json:"size"`
}

// Shape is what a memory estimate needs before anything is downloaded.
type Shape struct {
	Architecture    string `json:"architecture"`
	Parameters      uint64 `json:"parameters"`
	BlockCount      uint64 `json:"block_count"`
	HeadCount       uint64 `json:"head_count"`
	HeadCountKV     uint64 `json:"head_count_kv"`
	HeadDim         uint64 `json:"head_dim"`
	EmbeddingLength uint64 `json:"embedding_length"`
	ContextLength   uint64 `json:"context_length"`
	// SlidingWindow is the window of the sliding-window attention layers (0: none).
	SlidingWindow uint64 `json:"sliding_window,omitempty"`
	// SWAPattern n makes every layer but each n-th a sliding-window layer, as llama.cpp's
	// set_swa_pattern does (Gemma 3: 6, Gemma 2 and gpt-oss: 2, Command R7B: 4).
	SWAPattern uint64 `json:"swa_pattern,omitempty"`
	// Vocab and FeedForwardLength size the compute buffer (the logits and the widest layer).
	Vocab             uint64 `json:"vocab,omitempty"`
	FeedForwardLength uint64 `json:"feed_forward_length,omitempty"`
	// A mixture of experts runs ExpertsUsed of ExpertCount experts of ExpertFFN width a token.
	ExpertCount uint64 `json:"expert_count,omitempty"`
	ExpertsUsed uint64 `json:"expert_used_count,omitempty"`
	ExpertFFN   uint64 `json:"expert_feed_forward_length,omitempty"`
	// Approximate marks a shape written from the published configuration without the GGUF
	// header at hand to check it against.
	Approximate bool `json:"approximate,omitempty"`
}

// Ref is the reference that pulls the entry ("" quant: the recommended one).
func (e Entry) Ref(quant string) string {
	if quant == "" {
		quant = e.Recommended
	}
	return "hf.co/" + e.Repo + ":" + quant
}

// Quant returns the entry's quantization by name (case-insensitive).
func (e Entry) Quant(name string) (Quant, bool) {
	for _, q := range e.Quants {
		if strings.EqualFold(q.Name, name) {
			return q, true
		}
	}
	return Quant{}, false
}

// Embedded returns the catalog built into Perch.
func Embedded() *Catalog {
	c, err := Parse(embedded)
	if err != nil {
		panic("catalog: the embedded catalog.json is invalid: " + err.Error()) // a build error
	}
	return c
}

// Parse reads and checks a catalog.
func Parse(b []byte) (*Catalog, error) {
	var c Catalog
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	ids := map[string]bool{}
	for i, e := range c.Models {
		switch {
		case e.ID == "" || e.Repo == "" || len(e.Quants) == 0:
			return nil, fmt.Errorf("catalog: model %d needs an id, a repo and quantizations", i)
		case ids[e.ID]:
			return nil, fmt.Errorf("catalog: id %q appears twice", e.ID)
		}
		if _, ok := e.Quant(e.Recommended); !ok {
			return nil, fmt.Errorf("catalog: %s recommends %q, which it does not list", e.ID, e.Recommended)
		}
		ids[e.ID] = true
	}
	return &c, nil
}

// Open returns the refreshed catalog saved at path when there is one of the embedded
// version, and the embedded catalog otherwise.
func Open(path string) *Catalog {
	emb := Embedded()
	if b, err := os.ReadFile(path); err == nil {
		if c, err := Parse(b); err == nil && c.Version == emb.Version {
			return c
		}
	}
	return emb
}

// Save writes the catalog to path atomically (for Open to find it).
func (c *Catalog) Save(path string) error {
	b, err := json.MarshalIndent(c, "", " ")
	if err != nil {
		return err
	}
	if err := config.WriteFileAtomic(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("save the catalog: %w", err)
	}
	return nil
}

// Get returns the entry with this id.
func (c *Catalog) Get(id string) (Entry, bool) {
	for _, e := range c.Models {
		if strings.EqualFold(e.ID, id) {
			return e, true
		}
	}
	return Entry{}, false
}

// TaskDocuments marks the embedding model recommended for Documents (collections to chat
// with): the UI offers it first and picks it by default when it is installed. Exactly one
// entry carries it, an embedding model that handles Korean.
const TaskDocuments = "documents"

// DocumentsEmbedding returns the embedding model recommended for Documents.
func (c *Catalog) DocumentsEmbedding() (Entry, bool) {
	for _, e := range c.Models {
		if slices.Contains(e.Tasks, TaskDocuments) && slices.Contains(e.Tasks, "embedding") {
			return e, true
		}
	}
	return Entry{}, false
}

// Filter returns the entries for a task ("" for all).
func (c *Catalog) Filter(task string) []Entry {
	var out []Entry
	for _, e := range c.Models {
		if task == "" || slices.Contains(e.Tasks, task) {
			out = append(out, e)
		}
	}
	return out
}

// Search returns the entries whose id, name, publisher, repository, description, tasks or
// languages contain every word of text (case-insensitive); all of them for empty text.
func (c *Catalog) Search(text string) []Entry {
	words := strings.Fields(strings.ToLower(text))
	var out []Entry
	for _, e := range c.Models {
		hay := strings.ToLower(strings.Join(append(append([]string{e.ID, e.Name, e.Publisher, e.Repo, e.Description}, e.Tasks...), e.Languages...), " "))
		if !slices.ContainsFunc(words, func(w string) bool { return !strings.Contains(hay, w) }) {
			out = append(out, e)
		}
	}
	return out
}

// Refresh re-reads each entry's quantizations, files and sizes from the Hub (h), and marks
// them exact. An entry that fails keeps its old values; the errors are returned together.
func (c *Catalog) Refresh(ctx context.Context, h *hf.Client) error {
	var errs []error
	for i := range c.Models {
		e := &c.Models[i]
		files, err := h.Files(ctx, e.Repo)
		if err != nil {
			errs = append(errs, fmt.Errorf("refresh %s: %w", e.ID, err))
			if ctx.Err() != nil {
				break
			}
			continue
		}
		qs := hf.Quants(files)
		if len(qs) == 0 {
			errs = append(errs, fmt.Errorf("refresh %s: hf.co/%s has no GGUF files now", e.ID, e.Repo))
			continue
		}
		e.Quants = e.Quants[:0]
		for _, q := range qs {
			e.Quants = append(e.Quants, Quant{Name: q.Name, File: q.Files[0].Path, Size: q.Size})
		}
		if _, ok := e.Quant(e.Recommended); !ok {
			e.Recommended = qs[0].Name
		}
		e.Approximate = false
		e.RefreshedAt = time.Now().UTC()
	}
	return errors.Join(errs...)
}

// Inspect reads the remote GGUF header of an entry's quantization ("" for the recommended)
// by HTTP Range requests, updates the entry's shape from it, and returns it (with the parsed
// file, for the memory planner).
func (c *Catalog) Inspect(ctx context.Context, h *hf.Client, id, quant string) (ggufmeta.Info, error) {
	idx := slices.IndexFunc(c.Models, func(e Entry) bool { return strings.EqualFold(e.ID, id) })
	if idx < 0 {
		return ggufmeta.Info{}, fmt.Errorf("catalog: no model %q", id)
	}
	e := &c.Models[idx]
	if quant == "" {
		quant = e.Recommended
	}
	q, ok := e.Quant(quant)
	if !ok {
		var have []string
		for _, q := range e.Quants {
			have = append(have, q.Name)
		}
		return ggufmeta.Info{}, fmt.Errorf("catalog: %s has no %s; it has %s", id, quant, strings.Join(have, ", "))
	}
	info, err := ggufmeta.ReadRemote(ctx, h.FileURL(e.Repo, q.File), h.Token())
	if err != nil {
		return ggufmeta.Info{}, err
	}
	e.Shape = Shape{
		Architecture: info.Architecture, Parameters: info.ParameterCount, BlockCount: info.BlockCount,
		HeadCount: info.HeadCount, HeadCountKV: info.HeadCountKV, HeadDim: uint64(info.KeyLength),
		EmbeddingLength: info.EmbeddingLength, ContextLength: info.ContextLength,
		SlidingWindow: e.Shape.SlidingWindow,
	}
	if info.File != nil {
		e.Shape.SlidingWindow = info.File.Architecture().AttentionSlidingWindow
	}
	return info, nil
}

// Results are what Find found: catalog entries, and Hugging Face repositories (HubErr says
// why there are none when the Hub could not be asked, such as offline).
type Results struct {
	Catalog []Entry           `json:"catalog"`
	Hub     []hf.SearchResult `json:"hub"`
	HubErr  error             `json:"-"`
}

// Find searches the catalog and the Hub (up to limit repositories) for text.
func (c *Catalog) Find(ctx context.Context, h *hf.Client, text string, limit int) Results {
	r := Results{Catalog: c.Search(text)}
	if h != nil && strings.TrimSpace(text) != "" {
		r.Hub, r.HubErr = h.Search(ctx, text, limit)
	}
	return r
}
