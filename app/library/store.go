package library

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/perchapp/perch/app/library/download"
	"github.com/perchapp/perch/app/library/ggufmeta"
	"github.com/perchapp/perch/app/library/hf"
	"github.com/perchapp/perch/app/library/registry"
	"github.com/perchapp/perch/engine"
)

var _ engine.Resolver = (*Store)(nil)

// Store is the model library. It is safe for concurrent use; several processes may share
// one store (every file appears by an atomic rename, and partial downloads are locked).
type Store struct {
	root string
	dirs []string
	log  *slog.Logger
	// hf is swapped whole when the user sets or clears the Hugging Face token (SetHFToken).
	hf   atomic.Pointer[hf.Client]
	reg  *registry.Client
	dl   *download.Downloader
	http *http.Client
	// allowPrivate: URL pulls may reach private addresses; nil: never.
	allowPrivate func() bool

	mu     sync.Mutex     // orders manifest writes against blob removal
	pinned map[string]int // blobs that pulls in progress are about to reference
	meta   metaCache
	hashes fileHashes // sha256 of models-directory files
	pulls  flights[Model]
	blobs  flights[download.Result]
	// partialsOf: the download paths of each pull, for DiscardPull.
	partialsOf partials
	// badFiles: models-directory files already reported as invalid.
	badFiles sync.Map
	// verify: the blobs checked in this process (verify.go).
	verify verifier
	// bdirs: where new blobs go and where older ones are (blobdirs.go).
	bdirs blobFolders
}

type options struct {
	dirs       []string
	log        *slog.Logger
	client     *http.Client
	hfEndpoint *string
	hfToken    *string
	dl         []download.Option
	retries    int
	backoff    time.Duration
	// allowPrivate: URL pulls may reach private addresses (netguard.go).
	allowPrivate func() bool
	downloadDir  string
}

// Option configures a Store.
type Option func(*options)

// WithDirs adds models directories whose .gguf files are served by file stem.
func WithDirs(dirs ...string) Option { return func(o *options) { o.dirs = append(o.dirs, dirs...) } }

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithHF sets the Hugging Face endpoint and token instead of HF_ENDPOINT and HF_TOKEN.
func WithHF(endpoint, token string) Option {
	return func(o *options) { o.hfEndpoint, o.hfToken = &endpoint, &token }
}

// WithDownloadDir makes new downloads go to dir/blobs instead of the store's own folder
// (SetDownloadDir).
func WithDownloadDir(dir string) Option { return func(o *options) { o.downloadDir = dir } }

// WithRetries sets how often API calls and download segments are retried on 5xx and
// network errors, and the first backoff.
func WithRetries(n int, backoff time.Duration) Option {
	return func(o *options) { o.retries, o.backoff = n, backoff }
}

// WithDownloadOptions passes options to the downloader (segments, stall timeout, and for
// tests a free-space probe or a file wrapper that fails like a full disk).
func WithDownloadOptions(opts ...download.Option) Option {
	return func(o *options) { o.dl = append(o.dl, opts...) }
}

// Open opens (creating when needed) the store at root, usually config.DefaultPaths().Models().
func Open(root string, opts ...Option) (*Store, error) {
	o := options{retries: 6, backoff: time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	if o.log == nil {
		o.log = slog.Default()
	}
	if o.client == nil {
		o.client = download.DefaultClient()
	}
	o.client = guardedClient(o.client)
	if root == "" {
		return nil, errors.New("open model store: no folder given")
	}
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("open model store: %w", err)
	}
	for _, d := range []string{"blobs", "manifests"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return nil, fmt.Errorf("open model store: %w", err)
		}
	}
	h := hf.FromEnv(o.client)
	if o.hfEndpoint != nil {
		h = hf.New(*o.hfEndpoint, *o.hfToken, o.client)
	}
	dlOpts := append([]download.Option{download.WithClient(o.client), download.WithLogger(o.log),
		download.WithRetries(o.retries, o.backoff)}, o.dl...)
	s := &Store{
		root:         root,
		dirs:         cleanDirs(o.dirs),
		log:          o.log,
		reg:          registry.New(o.client).WithRetries(min(o.retries, 3), o.backoff),
		dl:           download.New(dlOpts...),
		http:         o.client,
		pinned:       map[string]int{},
		hashes:       fileHashes{file: filepath.Join(root, fileHashesName)},
		allowPrivate: o.allowPrivate,
	}
	s.hf.Store(h.WithRetries(min(o.retries, 3), o.backoff))
	s.loadBlobDirs()
	// A downloads folder on a disk that is not mounted now must not keep Perch from starting:
	// new downloads go to the store's own folder until it is back.
	if err := s.SetDownloadDir(o.downloadDir); err != nil {
		s.log.Warn("the downloads folder cannot be used now; new downloads go to the data folder", "dir", o.downloadDir, "err", err)
	}
	s.removeStaleTemps()
	return s, nil
}

// Root is the store's folder.
func (s *Store) Root() string { return s.root }

// Dirs are the models directories served.
func (s *Store) Dirs() []string { return slices.Clone(s.dirs) }

// HF is the Hugging Face client the store uses (for search and inspection).
func (s *Store) HF() *hf.Client { return s.hf.Load() }

// SetHFToken makes the Hugging Face requests from now on send token ("" for none); those
// under way keep the one they started with.
func (s *Store) SetHFToken(token string) { s.hf.Store(s.HF().WithToken(token)) }

// removeStaleTemps deletes import leftovers of crashed processes (a day old, so a running
// import in another process is never touched). Partial downloads stay: they resume.
func (s *Store) removeStaleTemps() {
	for _, dir := range s.allBlobDirs() {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if !strings.HasPrefix(e.Name(), ".import-") {
				continue
			}
			if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > 24*time.Hour {
				_ = os.Remove(filepath.Join(dir, e.Name()))
			}
		}
	}
}

// entry is a stored model found by name.
type entry struct {
	name Name
	man  *manifest
	mod  time.Time
}

// List returns the store's models by name, then the models directories' files by name. A manifest
// whose blobs are missing or short (a crash, a hand-deleted file) is left out and logged.
func (s *Store) List(ctx context.Context) ([]Model, error) {
	entries, err := s.entries(ctx)
	if err != nil {
		return nil, err
	}
	var out []Model
	for _, e := range entries {
		m, err := s.model(e)
		if err != nil {
			s.log.Warn("model left out of the list", "name", e.name.String(), "err", err)
			continue
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b Model) int { return strings.Compare(a.Name, b.Name) })
	ext, err := s.externals(ctx)
	if err != nil {
		return nil, err
	}
	slices.SortFunc(ext, func(a, b Model) int { return strings.Compare(a.Name, b.Name) })
	return append(out, ext...), nil
}

// entries reads every manifest (manifests/host/namespace/model/tag).
func (s *Store) entries(ctx context.Context) ([]entry, error) {
	base := filepath.Join(s.root, "manifests")
	var out []entry
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == base {
				return err
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if strings.HasPrefix(d.Name(), ".") && p != base {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil // temporary files of atomic writes
		}
		rel, _ := filepath.Rel(base, p)
		parts := strings.Split(filepath.ToSlash(rel), "/")
		if d.IsDir() {
			if len(parts) >= 4 {
				return fs.SkipDir
			}
			return nil
		}
		if len(parts) != 4 {
			return nil
		}
		n, err := ParseName(parts[0] + "/" + parts[1] + "/" + parts[2] + ":" + parts[3])
		if err != nil {
			s.log.Warn("manifest with an invalid name ignored", "path", p)
			return nil
		}
		m, mod, err := readManifest(p)
		if err != nil {
			s.log.Warn("unreadable manifest ignored", "path", p, "err", err)
			return nil
		}
		out = append(out, entry{name: n, man: m, mod: mod})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list models in %s: %w", base, err)
	}
	return out, nil
}

// model builds a Model from a manifest, checking its blobs are whole.
func (s *Store) model(e entry) (Model, error) {
	mls := e.man.modelLayers()
	if len(mls) == 0 {
		return Model{}, errors.New("the manifest has no model layer")
	}
	for _, l := range e.man.Layers {
		fi, err := os.Stat(s.blobPath(l.Digest))
		if err != nil {
			return Model{}, fmt.Errorf("blob %s is missing: pull the model again", l.Digest)
		}
		if fi.Size() != l.Size {
			return Model{}, fmt.Errorf("blob %s has %d bytes, the manifest says %d: pull the model again", l.Digest, fi.Size(), l.Size)
		}
	}
	files, err := s.modelFiles(mls)
	if err != nil {
		return Model{}, err
	}
	m := Model{
		Name:       e.name.String(),
		Digest:     mls[0].Digest,
		Path:       files[0],
		Files:      files,
		ModifiedAt: e.mod,
		Source:     e.man.source(),
	}
	for _, l := range mls {
		m.Size += l.Size
	}
	info, err := s.meta.get(files[0])
	if err != nil {
		return Model{}, fmt.Errorf("read the GGUF header: %w", err)
	}
	fillInfo(&m, info)
	s.hints(&m, e.man)
	return m, nil
}

func fillInfo(m *Model, info ggufmeta.Info) {
	m.DisplayName = info.DisplayName()
	m.Quantization = info.Quantization
	m.Architecture = info.Architecture
	m.ParameterCount = info.ParameterCount
	m.ContextLength = info.ContextLength
	m.Embedding, m.FIM = info.Embedding, info.FIM
	if m.License == "" {
		m.License = info.License
	}
}

// hints reads the small text layers of an Ollama model.
func (s *Store) hints(m *Model, man *manifest) {
	var licenses []string
	for _, l := range man.Layers {
		if l.MediaType == registry.MediaModel || l.Size > 1<<20 {
			continue
		}
		read := func() string {
			b, err := os.ReadFile(s.blobPath(l.Digest))
			if err != nil {
				s.log.Warn("read model hint", "digest", l.Digest, "err", err)
			}
			return string(b)
		}
		switch l.MediaType {
		case registry.MediaTemplate:
			m.Template = read()
		case registry.MediaSystem:
			m.System = read()
		case registry.MediaLicense:
			licenses = append(licenses, read())
		case registry.MediaParams:
			var p map[string]any
			if err := json.Unmarshal([]byte(read()), &p); err != nil {
				s.log.Warn("model parameters are not JSON", "digest", l.Digest, "err", err)
				continue
			}
			m.Params = p
		}
	}
	if len(licenses) > 0 {
		m.License = strings.Join(licenses, "\n\n")
	}
}

// Get finds a model by name: the store first (exactly, then ignoring case; an hf.co name
// without a tag finds the repository's best local quantization), then models directories.
func (s *Store) Get(ctx context.Context, name string) (Model, error) {
	e, ext, err := s.find(ctx, name)
	if err != nil {
		return Model{}, err
	}
	if ext != nil {
		return *ext, nil
	}
	return s.model(*e)
}

// Resolve implements engine.Resolver.
func (s *Store) Resolve(ctx context.Context, name string) (engine.ModelRef, error) {
	m, err := s.Get(ctx, name)
	if err != nil {
		return engine.ModelRef{}, err
	}
	if err := s.checkBlobs(m); err != nil {
		return engine.ModelRef{}, err
	}
	return m.Ref(), nil
}

// Info is the parsed GGUF header of a model (with the full *GGUFFile, for memory estimates).
func (s *Store) Info(ctx context.Context, name string) (ggufmeta.Info, error) {
	m, err := s.Get(ctx, name)
	if err != nil {
		return ggufmeta.Info{}, err
	}
	return s.meta.get(m.Path)
}

func (s *Store) find(ctx context.Context, name string) (*entry, *Model, error) {
	n, hadTag, err := parseName(name)
	if err != nil {
		return nil, nil, err
	}
	if m, mod, err := readManifest(s.manifestPath(n)); err == nil {
		return &entry{name: n, man: m, mod: mod}, nil, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("model %s: %w", n, err)
	}
	entries, err := s.entries(ctx)
	if err != nil {
		return nil, nil, err
	}
	var sameRepo []entry
	for _, e := range entries {
		if strings.EqualFold(e.name.Full(), n.Full()) {
			return &e, nil, nil
		}
		if !hadTag && n.IsHF() && strings.EqualFold(e.name.Host+"/"+e.name.Namespace+"/"+e.name.Model, n.Host+"/"+n.Namespace+"/"+n.Model) {
			sameRepo = append(sameRepo, e)
		}
	}
	if len(sameRepo) > 0 {
		slices.SortStableFunc(sameRepo, func(a, b entry) int { return hf.Rank(a.name.Tag) - hf.Rank(b.name.Tag) })
		return &sameRepo[0], nil, nil
	}
	if n.Host == DefaultRegistry && n.Namespace == DefaultNamespace && n.Tag == DefaultTag {
		ext, err := s.externals(ctx)
		if err != nil {
			return nil, nil, err
		}
		for _, m := range ext {
			if strings.EqualFold(m.Name, n.Model) {
				return nil, &m, nil
			}
		}
	}
	return nil, nil, &NotFoundError{Name: strings.TrimSpace(name)}
}

// Remove deletes a model's manifest and the blobs no other model uses. Models-directory
// files are never deleted.
func (s *Store) Remove(ctx context.Context, name string) error {
	e, ext, err := s.find(ctx, name)
	if err != nil {
		return err
	}
	if ext != nil {
		return fmt.Errorf("%s: %w (%s); Perch never deletes those: delete the file yourself or drop its folder from the models directories", ext.Name, ErrExternal, ext.Path)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.Remove(s.manifestPath(e.name)); err != nil {
		return fmt.Errorf("remove %s: %w", e.name, err)
	}
	s.pruneDirs(filepath.Dir(s.manifestPath(e.name)))
	return s.collect(ctx, e.man, false)
}

// collect deletes the blobs of man that no manifest references and (unless force) no pull
// is about to. The caller holds s.mu.
func (s *Store) collect(ctx context.Context, man *manifest, force bool) error {
	entries, err := s.entries(ctx)
	if err != nil {
		return err
	}
	used := map[string]bool{}
	for _, e := range entries {
		for _, l := range e.man.Layers {
			used[l.Digest] = true
		}
	}
	var errs []error
	for i, l := range man.Layers {
		if used[l.Digest] || (s.pinned[l.Digest] > 0 && !force) {
			continue
		}
		if i == 0 || l.MediaType == registry.MediaModel {
			_ = os.RemoveAll(s.splitDir(l.Digest))
		}
		if err := os.Remove(s.blobPath(l.Digest)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove blob %s: %w", l.Digest, err))
		}
		_ = os.Remove(samplePath(s.blobPath(l.Digest)))
	}
	return errors.Join(errs...)
}

// pruneDirs removes empty folders from dir up to manifests/.
func (s *Store) pruneDirs(dir string) {
	base := filepath.Join(s.root, "manifests")
	for dir != base && strings.HasPrefix(dir, base) {
		if os.Remove(dir) != nil {
			return
		}
		dir = filepath.Dir(dir)
	}
}

// Copy gives a model a second name; the blobs are shared. Copying a models-directory file
// imports it into the store (hard-linked when possible).
func (s *Store) Copy(ctx context.Context, src, dst string) (Model, error) {
	dn, err := ParseName(dst)
	if err != nil {
		return Model{}, fmt.Errorf("copy to %q: %w", dst, err)
	}
	e, ext, err := s.find(ctx, src)
	if err != nil {
		return Model{}, err
	}
	if ext != nil {
		return s.Import(ctx, ext.Path, dst)
	}
	if dn == e.name {
		return s.model(*e)
	}
	if err := s.commit(dn, e.man); err != nil {
		return Model{}, err
	}
	return s.Get(ctx, dn.Full())
}

// splitDir holds hard links to a split model's blobs under their part names
// (name-00001-of-00003.gguf …), because llama.cpp finds the other parts by the first
// part's file name.
func (s *Store) splitDir(firstDigest string) string {
	return filepath.Join(s.root, "splits", strings.TrimPrefix(firstDigest, "sha256:"))
}

// modelFiles returns the paths of a model's GGUF parts, making the split links if needed.
func (s *Store) modelFiles(mls []layer) ([]string, error) {
	if len(mls) == 1 {
		return []string{s.blobPath(mls[0].Digest)}, nil
	}
	dir := s.splitDir(mls[0].Digest)
	files := make([]string, len(mls))
	for i, l := range mls {
		title := filepath.Base(l.Annotations[annTitle])
		if title == "." || title == "/" || title == "" || !strings.HasSuffix(strings.ToLower(title), fmt.Sprintf("-%05d-of-%05d.gguf", i+1, len(mls))) {
			title = fmt.Sprintf("model-%05d-of-%05d.gguf", i+1, len(mls))
		}
		files[i] = filepath.Join(dir, title)
		if fi, err := os.Stat(files[i]); err == nil && fi.Size() == l.Size {
			continue
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("link split parts: %w", err)
		}
		_ = os.Remove(files[i])
		if err := os.Link(s.blobPath(l.Digest), files[i]); err != nil {
			if err := os.Symlink(s.blobPath(l.Digest), files[i]); err != nil {
				return nil, fmt.Errorf("link split part %d: %w", i+1, err)
			}
		}
	}
	return files, nil
}

// pin marks blobs a pull is about to reference, so a concurrent Remove keeps them.
func (s *Store) pin(digests []string) func() {
	s.mu.Lock()
	for _, d := range digests {
		s.pinned[d]++
	}
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		for _, d := range digests {
			if s.pinned[d]--; s.pinned[d] <= 0 {
				delete(s.pinned, d)
			}
		}
		s.mu.Unlock()
	}
}
