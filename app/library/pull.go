package library

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/perchapp/perch/app/library/download"
	"github.com/perchapp/perch/app/library/ggufmeta"
	"github.com/perchapp/perch/app/library/hf"
	"github.com/perchapp/perch/app/library/registry"
)

// PullOption changes a pull.
type PullOption func(*pullOptions)

type pullOptions struct{ name string }

// WithName stores the pulled or imported model under name instead of the one the reference
// implies.
func WithName(name string) PullOption { return func(o *pullOptions) { o.name = name } }

// remoteFile is one blob to fetch.
type remoteFile struct {
	url       string
	header    http.Header
	digest    string // "" when the server does not say
	size      int64  // 0 when unknown
	mediaType string
	title     string
}

// plan is what a reference resolves to.
type plan struct {
	name  Name
	files []remoteFile
	// explain turns a download error into one that names the cause (a gated repository).
	explain func(error) error
}

func (s *Store) parseRef(ref string) (Ref, error) {
	var hosts []string
	if u, err := url.Parse(s.HF().Endpoint()); err == nil && u.Host != "" {
		hosts = append(hosts, u.Host)
	}
	return parseRef(ref, hosts...)
}

// Pull fetches ref into the store and returns the model, reporting progress to fn. ref is
// a Hugging Face reference (hf.co/org/repo[:QUANT] or a huggingface.co URL), an Ollama name
// (llama3.2:3b, ns/name:tag, 127.0.0.1:PORT/ns/name:tag), an https URL of a .gguf file, or
// a local .gguf path (imported). Concurrent pulls of the same reference share one download.
// Cancelling ctx stops the pull (once no other caller waits on it) and keeps the partial
// download, so pulling again resumes.
func (s *Store) Pull(ctx context.Context, ref string, fn func(Progress), opts ...PullOption) (Model, error) {
	var o pullOptions
	for _, opt := range opts {
		opt(&o)
	}
	if fn == nil {
		fn = func(Progress) {}
	}
	r, err := s.parseRef(ref)
	if err != nil {
		return Model{}, err
	}
	if r.Kind == RefFile {
		return s.importFile(ctx, r.Path, o.name, r.Raw, fn)
	}
	var rename Name
	if o.name != "" {
		if rename, err = ParseName(o.name); err != nil {
			return Model{}, err
		}
	}
	key := r.key() + "|" + rename.Full()
	return s.pulls.do(ctx, key, r.Raw, fn, func(ctx context.Context, emit func(Progress)) (Model, error) {
		if r.namesHost() {
			ctx = s.guardURL(ctx)
		}
		return s.pull(ctx, r, rename, emit)
	})
}

func (s *Store) pull(ctx context.Context, r Ref, rename Name, emit func(Progress)) (Model, error) {
	emit(Progress{Status: "pulling manifest"})
	p, err := s.plan(ctx, r)
	if err != nil {
		return Model{}, err
	}
	s.partialsOf.set(r.key(), s.downloadPaths(p))
	if rename.Model != "" {
		p.name = rename
	}

	var digests []string
	var need int64
	for _, f := range p.files {
		if f.digest != "" {
			digests = append(digests, f.digest)
			if _, err := os.Stat(s.blobPath(f.digest)); err == nil {
				continue
			}
			need += download.Remaining(s.blobPath(f.digest), f.size)
		} else {
			need += f.size
		}
	}
	unpin := s.pin(digests)
	defer unpin()
	if err := s.dl.CheckSpace(s.blobsDir(), need); err != nil {
		return Model{}, err
	}

	layers := make([]layer, 0, len(p.files))
	for _, f := range p.files {
		res, err := s.fetchBlob(ctx, f, emit)
		if err != nil {
			if p.explain != nil && ctx.Err() == nil {
				err = p.explain(err)
			}
			return Model{}, err
		}
		if f.digest == "" {
			defer s.pin([]string{res.Digest})()
		}
		l := layer{MediaType: f.mediaType, Digest: res.Digest, Size: res.Size}
		if f.title != "" {
			l.Annotations = map[string]string{annTitle: f.title}
		}
		layers = append(layers, l)
	}
	man := newManifest(r.Raw, layers)
	if err := s.checkGGUF(man); err != nil {
		return Model{}, fmt.Errorf("%s: %w", r.Raw, err)
	}
	emit(Progress{Status: "writing manifest"})
	if err := s.commit(p.name, man); err != nil {
		return Model{}, err
	}
	s.partialsOf.set(r.key(), nil)
	emit(Progress{Status: "success"})
	return s.Get(ctx, p.name.Full())
}

func (s *Store) plan(ctx context.Context, r Ref) (plan, error) {
	switch r.Kind {
	case RefHF:
		return s.planHF(ctx, r)
	case RefURL:
		return s.planURL(ctx, r)
	case RefOllama:
		return s.planOllama(ctx, r)
	}
	return plan{}, fmt.Errorf("%s: nothing to download", r.Raw)
}

// downloadPaths are where a plan's files download to (before the .partial suffix).
func (s *Store) downloadPaths(p plan) []string {
	var out []string
	for _, f := range p.files {
		out = append(out, s.downloadPath(f))
	}
	return out
}

// downloadPath is the blob's path, or, when the digest is unknown, a name from the URL.
func (s *Store) downloadPath(f remoteFile) string {
	if f.digest != "" {
		return s.blobPath(f.digest)
	}
	sum := sha256.Sum256([]byte(f.url))
	return filepath.Join(s.blobsDir(), "url-"+hex.EncodeToString(sum[:12]))
}

// blobKeyOf is the blob flight key of a download path.
func (s *Store) blobKeyOf(path string) string {
	return strings.Replace(filepath.Base(path), "-", ":", 1)
}

// commit writes the manifest once its blobs are all in place (under s.mu, so a concurrent
// Remove cannot take one away in between). The blobs of a manifest it replaces are removed
// when nothing else uses them.
func (s *Store) commit(n Name, man *manifest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range man.Layers {
		fi, err := os.Stat(s.blobPath(l.Digest))
		if err != nil || fi.Size() != l.Size {
			return fmt.Errorf("blob %s disappeared before the manifest of %s was written; pull again", l.Digest, n)
		}
	}
	old, _, _ := readManifest(s.manifestPath(n))
	if err := s.writeManifest(n, man); err != nil {
		return err
	}
	if old != nil {
		if err := s.collect(context.Background(), old, false); err != nil {
			s.log.Warn("remove the replaced model's files", "name", n.String(), "err", err)
		}
	}
	return nil
}

// checkGGUF makes sure the model layers are a GGUF model that parses, before any name
// points at them. A blob that is not is deleted unless another model uses it.
func (s *Store) checkGGUF(man *manifest) error {
	mls := man.modelLayers()
	if len(mls) == 0 {
		return errors.New("no model file to store")
	}
	bad := func(err error) error {
		// Pins are ignored: any other pull of these bytes fails this check too.
		s.mu.Lock()
		_ = s.collect(context.Background(), &manifest{Layers: mls}, true)
		s.mu.Unlock()
		return err
	}
	for _, l := range mls {
		if err := ggufmeta.CheckMagic(s.blobPath(l.Digest)); err != nil {
			return bad(fmt.Errorf("the downloaded file is not a GGUF model; nothing was stored: %w", err))
		}
	}
	files, err := s.modelFiles(mls)
	if err != nil {
		return err
	}
	info, err := s.meta.get(files[0])
	if err != nil {
		return bad(fmt.Errorf("the downloaded file is not a usable GGUF model; nothing was stored: %w", err))
	}
	if !info.Runnable() {
		return bad(fmt.Errorf("the downloaded GGUF is a %s, not a model that runs on its own; nothing was stored", describe(info)))
	}
	return nil
}

func describe(info ggufmeta.Info) string {
	if info.VocabOnly() {
		return "vocabulary-only file (no weights)"
	}
	return info.Type
}

// fetchBlob downloads one blob into place, sharing the download with any other pull of the
// same blob, and reports progress as "pulling <digest>".
func (s *Store) fetchBlob(ctx context.Context, f remoteFile, emit func(Progress)) (download.Result, error) {
	status := "pulling " + shortDigest(f.digest)
	if f.digest != "" {
		if fi, err := os.Stat(s.blobPath(f.digest)); err == nil && (f.size <= 0 || fi.Size() == f.size) {
			emit(Progress{Status: status, Digest: f.digest, Total: fi.Size(), Completed: fi.Size()})
			return download.Result{Digest: f.digest, Size: fi.Size()}, nil
		}
	}
	dest := s.downloadPath(f)
	key := s.blobKeyOf(dest)
	if f.digest == "" {
		status = "pulling " + path.Base(f.title) // the digest is known only at the end
	}
	res, err := s.blobs.do(ctx, key, f.url, func(p Progress) {
		if p.Status == "" {
			p.Status = status
		}
		p.Digest = f.digest
		emit(p)
	}, func(ctx context.Context, emit func(Progress)) (download.Result, error) {
		return s.dl.Fetch(ctx, download.Request{URL: f.url, Header: f.header, Digest: f.digest, Size: f.size, Path: dest},
			func(p download.Progress) {
				st := ""
				if p.Verifying {
					st = "verifying sha256 digest"
				}
				emit(Progress{Status: st, Total: p.Total, Completed: p.Completed, BytesPerSecond: p.BytesPerSecond, ETA: p.ETA})
			})
	})
	if err != nil {
		return download.Result{}, err
	}
	if f.digest == "" {
		final := s.blobPath(res.Digest)
		if _, err := os.Stat(final); err == nil {
			_ = os.Remove(dest)
		} else if err := os.Rename(dest, final); err != nil {
			return download.Result{}, fmt.Errorf("move the download into the store: %w", err)
		}
	}
	return res, nil
}

func shortDigest(d string) string {
	d = strings.TrimPrefix(d, "sha256:")
	return d[:min(12, len(d))]
}

func (s *Store) planHF(ctx context.Context, r Ref) (plan, error) {
	h := s.HF() // one token for the whole pull, even if the user changes it meanwhile
	info, err := h.Model(ctx, r.Repo)
	if err != nil {
		return plan{}, err
	}
	explain := func(err error) error {
		var he *download.HTTPError
		if errors.As(err, &he) && (he.StatusCode == http.StatusUnauthorized || he.StatusCode == http.StatusForbidden || he.StatusCode == http.StatusNotFound) {
			return h.StatusError(r.Repo, he.StatusCode, he.Header, strings.NewReader(he.Body))
		}
		return err
	}
	if info.IsGated() && h.Token() == "" {
		return plan{}, h.StatusError(r.Repo, http.StatusUnauthorized, http.Header{"X-Error-Code": {"GatedRepo"}}, nil)
	}
	files, err := h.Files(ctx, r.Repo)
	if err != nil {
		return plan{}, err
	}
	var q hf.Quant
	if r.File != "" {
		if q, err = pickFile(r.Repo, files, r.File); err != nil {
			return plan{}, err
		}
	} else if q, err = hf.Pick(r.Repo, files, r.Name.Tag); err != nil {
		return plan{}, err
	}
	n := r.Name
	n.Tag = q.Name
	if !tagRE.MatchString(n.Tag) {
		n.Tag = sanitize(n.Tag)
	}
	p := plan{name: n, explain: explain}
	for _, f := range q.Files {
		rf := remoteFile{url: h.FileURL(r.Repo, f.Path), header: h.Header(), size: f.Size,
			mediaType: registry.MediaModel, title: path.Base(f.Path)}
		if f.SHA256 != "" {
			rf.digest = "sha256:" + f.SHA256
		}
		p.files = append(p.files, rf)
	}
	return p, nil
}

// pickFile finds the file a URL named, with its sibling parts when it is a split GGUF.
func pickFile(repo string, files []hf.File, file string) (hf.Quant, error) {
	byPath := map[string]hf.File{}
	for _, f := range files {
		byPath[f.Path] = f
	}
	f, ok := byPath[file]
	if !ok {
		return hf.Quant{}, fmt.Errorf("hf.co/%s has no file %q: %w", repo, file, hf.ErrNotFound)
	}
	q := hf.Quant{Name: hf.QuantOf(file), Files: []hf.File{f}, Size: f.Size}
	if q.Name == "" {
		q.Name = strings.TrimSuffix(path.Base(file), path.Ext(file))
	}
	if _, count, prefix := hf.Shard(file); count > 0 {
		q.Files, q.Size = nil, 0
		for i := 1; i <= count; i++ {
			p := hf.ShardName(prefix, i, count)
			part, ok := byPath[p]
			if !ok {
				return hf.Quant{}, fmt.Errorf("hf.co/%s: split GGUF part %s is missing", repo, p)
			}
			q.Files = append(q.Files, part)
			q.Size += part.Size
		}
		q.Name = path.Base(prefix)
		if qq := hf.QuantOf(file); qq != "" {
			q.Name = qq
		}
	}
	return q, nil
}

func (s *Store) planOllama(ctx context.Context, r Ref) (plan, error) {
	n := r.Name
	m, err := s.reg.Manifest(ctx, n.Host, n.Namespace, n.Model, n.Tag)
	if err != nil {
		return plan{}, err
	}
	p := plan{name: n}
	for _, l := range m.Layers {
		switch l.MediaType {
		case registry.MediaModel, registry.MediaTemplate, registry.MediaParams, registry.MediaLicense, registry.MediaSystem:
		default:
			s.log.Info("layer not used by Perch skipped", "model", n.String(), "media_type", l.MediaType)
			continue
		}
		if !digestRE.MatchString(l.Digest) {
			return plan{}, fmt.Errorf("%s: the manifest names a bad digest %q", n, l.Digest)
		}
		rf := remoteFile{url: registry.BlobURL(n.Host, n.Namespace, n.Model, l.Digest), digest: l.Digest, size: l.Size, mediaType: l.MediaType}
		if l.MediaType == registry.MediaModel {
			rf.title = n.Model + ".gguf"
		}
		p.files = append(p.files, rf)
	}
	return p, nil
}

var hexRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// planURL asks the server for the size and, where it says (X-Linked-Etag, as Hugging Face
// does, or an ETag that is a sha256), the digest.
func (s *Store) planURL(ctx context.Context, r Ref) (plan, error) {
	u, _ := url.Parse(r.URL)
	stem := strings.TrimSuffix(path.Base(u.Path), path.Ext(u.Path))
	name, err := ParseName(sanitize(stem))
	if err != nil {
		return plan{}, fmt.Errorf("%s: cannot name the model after the file (%w); give a name", r.URL, err)
	}
	f := remoteFile{url: r.URL, mediaType: registry.MediaModel, title: path.Base(u.Path)}
	linked := http.Header{}
	client := *s.http
	client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.Response != nil {
			for _, k := range []string{"X-Linked-Etag", "X-Linked-Size"} {
				if v := req.Response.Header.Get(k); v != "" {
					linked.Set(k, v)
				}
			}
		}
		if len(via) >= 10 {
			return errors.New("too many redirects")
		}
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, r.URL, nil)
	if err != nil {
		return plan{}, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return plan{}, fmt.Errorf("reach %s: %w", r.URL, err)
	}
	resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusMethodNotAllowed || resp.StatusCode == http.StatusNotImplemented:
		// No HEAD here: size and digest are learned while downloading.
		return plan{name: name, files: []remoteFile{f}}, nil
	case resp.StatusCode != http.StatusOK:
		return plan{}, fmt.Errorf("%s: the server answered %s", r.URL, resp.Status)
	}
	f.size = resp.ContentLength
	if n, err := strconv.ParseInt(linked.Get("X-Linked-Size"), 10, 64); err == nil {
		f.size = n
	}
	for _, v := range []string{linked.Get("X-Linked-Etag"), resp.Header.Get("X-Linked-Etag"), resp.Header.Get("ETag")} {
		v = strings.ToLower(strings.Trim(strings.TrimPrefix(v, "W/"), `"`))
		if hexRE.MatchString(v) {
			f.digest = "sha256:" + v
			break
		}
	}
	return plan{name: name, files: []remoteFile{f}}, nil
}
