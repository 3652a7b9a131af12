package fake

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	perchwire "github.com/perchapp/perch/app/wire/perch"
	"github.com/perchapp/perch/engine"
)

// Library is an in-memory model store.
type Library struct {
	mu     sync.Mutex
	models map[string]perchwire.LibraryModel
	// Pullable are the references Pull knows, with the model each one adds.
	Pullable map[string]perchwire.LibraryModel
	// PullStep is slept between progress reports.
	PullStep time.Duration
}

// NewLibrary holds models, keyed by their names.
func NewLibrary(models ...perchwire.LibraryModel) *Library {
	l := &Library{models: map[string]perchwire.LibraryModel{}, Pullable: map[string]perchwire.LibraryModel{}}
	for _, m := range models {
		l.models[m.Name] = m
	}
	return l
}

// DefaultLibrary lists the Default engine's usable models.
func DefaultLibrary() *Library {
	when := time.Date(2025, 5, 10, 8, 6, 48, 0, time.UTC)
	base := perchwire.LibraryModel{Architecture: "llama", ParameterCount: 260_000, Quantization: "Q8_0", ContextLength: 256, Size: 1 << 20, ModifiedAt: when}
	mk := func(name string, f func(*perchwire.LibraryModel)) perchwire.LibraryModel {
		m := base
		m.Name, m.Digest, m.Path = name, digestOf(name), "/models/blobs/sha256-"+strings.TrimPrefix(digestOf(name), "sha256:")
		if f != nil {
			f(&m)
		}
		return m
	}
	l := NewLibrary(
		mk("tiny", func(m *perchwire.LibraryModel) {
			m.Params = map[string]any{"stop": []any{"</s>"}, "temperature": 0.7}
			m.Metadata = map[string]any{"general.architecture": "llama", "llama.block_count": 5}
		}),
		mk("tiny-think", func(m *perchwire.LibraryModel) {
			m.Template = "{% for m in messages %}<|{{ m.role }}|>{{ m.content }}{% endfor %}<think>"
		}),
		mk("fim", func(m *perchwire.LibraryModel) { m.FIM = true }),
		mk("crash", nil), mk("busy", nil), mk("huge", nil),
		mk("embed", func(m *perchwire.LibraryModel) {
			m.Architecture, m.Embedding, m.EmbeddingSize, m.ContextLength = "bert", true, 8, 64
		}),
	)
	l.Pullable["tiny-copy-source"] = mk("pulled", nil)
	return l
}

func notFound(name string) error { return fmt.Errorf("%w: %s", engine.ErrUnknownModel, name) }

func (l *Library) List(ctx context.Context) ([]perchwire.LibraryModel, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]perchwire.LibraryModel, 0, len(l.models))
	for _, m := range l.models {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b perchwire.LibraryModel) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func (l *Library) Get(ctx context.Context, name string) (perchwire.LibraryModel, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	m, ok := l.models[name]
	if !ok {
		return m, notFound(name)
	}
	return m, nil
}

func (l *Library) Remove(ctx context.Context, name string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.models[name]; !ok {
		return notFound(name)
	}
	delete(l.models, name)
	return nil
}

func (l *Library) Copy(ctx context.Context, src, dst string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	m, ok := l.models[src]
	if !ok {
		return notFound(src)
	}
	m.Name = dst
	l.models[dst] = m
	return nil
}

// Pull reports Ollama-like progress for a known reference (any name in Pullable, or any
// name ending in ":pullable") and adds the model.
func (l *Library) Pull(ctx context.Context, ref string, progress func(perchwire.PullProgress)) error {
	l.mu.Lock()
	m, ok := l.Pullable[ref]
	l.mu.Unlock()
	if !ok && !strings.HasSuffix(ref, ":pullable") {
		return fmt.Errorf("pull %s: %w (no such repository or tag)", ref, engine.ErrUnknownModel)
	}
	if !ok {
		m = perchwire.LibraryModel{Name: ref, Digest: digestOf(ref), Architecture: "llama", Size: 4096, ModifiedAt: time.Now()}
	}
	m.Name = ref
	progress(perchwire.PullProgress{Phase: perchwire.PullManifest})
	const total = 4096
	for done := int64(0); done <= total; done += 1024 {
		if l.PullStep > 0 {
			select {
			case <-time.After(l.PullStep):
			case <-ctx.Done():
			}
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("pull %s: %w", ref, err)
		}
		st := "pulling " + strings.TrimPrefix(m.Digest, "sha256:")[:12]
		progress(perchwire.PullProgress{Phase: perchwire.PhaseOf(st), Status: st, Digest: m.Digest, Total: total, Completed: done})
	}
	progress(perchwire.PullProgress{Phase: perchwire.PullVerify})
	progress(perchwire.PullProgress{Phase: perchwire.PullWrite})
	l.mu.Lock()
	l.models[ref] = m
	l.mu.Unlock()
	progress(perchwire.PullProgress{Phase: perchwire.PullDone})
	return nil
}
