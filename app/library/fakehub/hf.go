package fakehub

import (
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
)

// File is a file in a fake Hugging Face repository.
type File struct {
	Path string // may contain folders: "Q4_K_M/model-Q4_K_M-00001-of-00002.gguf"
	Data []byte
}

type repo struct {
	id        string
	gated     bool
	downloads int
	files     []File
	sha256    map[string]string // path → hex
}

// AddRepo publishes a repository ("org/name"). A gated one answers downloads with 401
// unless the request carries the hub's Token.
func (h *Hub) AddRepo(id string, gated bool, files ...File) {
	rp := &repo{id: id, gated: gated, files: files, sha256: map[string]string{}, downloads: 1000 - len(h.repos)}
	for _, f := range files {
		rp.sha256[f.Path] = h.AddBlob(f.Data)
	}
	h.mu.Lock()
	h.repos[strings.ToLower(id)] = rp
	h.mu.Unlock()
}

func (h *Hub) repo(id string) *repo {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.repos[strings.ToLower(id)]
}

// hfError answers as the Hub does: a status, X-Error-Code and a JSON error.
func hfError(w http.ResponseWriter, status int, code, msg string) {
	if code != "" {
		w.Header().Set("X-Error-Code", code)
	}
	w.Header().Set("X-Error-Message", msg)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}

func (h *Hub) authorized(r *http.Request) bool {
	return r.Header.Get("Authorization") == "Bearer "+h.Token
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

type sibling struct {
	RFilename string `json:"rfilename"`
}

func (rp *repo) info(full bool) map[string]any {
	sibs := []sibling{{".gitattributes"}, {"README.md"}}
	for _, f := range rp.files {
		sibs = append(sibs, sibling{f.Path})
	}
	org, _, _ := strings.Cut(rp.id, "/")
	m := map[string]any{
		"_id": "fake" + rp.id, "id": rp.id, "modelId": rp.id, "author": org,
		"sha": "0123456789abcdef0123456789abcdef01234567", "private": false, "disabled": false,
		"gated": false, "downloads": rp.downloads, "likes": 7, "tags": []string{"gguf", "text-generation"},
		"pipeline_tag": "text-generation", "library_name": "gguf", "lastModified": "2025-01-02T03:04:05.000Z",
	}
	if rp.gated {
		m["gated"] = "manual"
	}
	if full {
		m["siblings"] = sibs
	}
	return m
}

// serveModelAPI answers /api/models/{org}/{name}[/revision/{rev}] and
// /api/models/{org}/{name}/tree/{rev}[/{path}].
func (h *Hub) serveModelAPI(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/api/models/"), "/")
	if len(parts) < 2 {
		hfError(w, http.StatusNotFound, "", "Not Found")
		return
	}
	rp := h.repo(parts[0] + "/" + parts[1])
	if rp == nil {
		// The Hub does not say whether a repository exists without access to it.
		hfError(w, http.StatusUnauthorized, "RepoNotFound", "Repository not found")
		return
	}
	rest := parts[2:]
	switch {
	case len(rest) == 0, len(rest) == 2 && rest[0] == "revision":
		writeJSON(w, rp.info(true))
	case len(rest) >= 2 && rest[0] == "tree":
		h.serveTree(w, r, rp, strings.Join(rest[2:], "/"))
	default:
		hfError(w, http.StatusNotFound, "", "Not Found")
	}
}

type lfs struct {
	OID         string `json:"oid"`
	Size        int64  `json:"size"`
	PointerSize int    `json:"pointerSize"`
}

type treeEntry struct {
	Type string `json:"type"`
	OID  string `json:"oid"`
	Size int64  `json:"size"`
	Path string `json:"path"`
	LFS  *lfs   `json:"lfs,omitempty"`
}

func gitOID(b []byte) string {
	s := sha1.Sum(append([]byte(fmt.Sprintf("blob %d\x00", len(b))), b...))
	return hex.EncodeToString(s[:])
}

// serveTree lists the repository like the Hub: files (LFS ones with lfs.oid = sha256) and
// folders, recursively with ?recursive=true, paginated with a Link header.
func (h *Hub) serveTree(w http.ResponseWriter, r *http.Request, rp *repo, under string) {
	recursive := r.URL.Query().Get("recursive") == "true" || r.URL.Query().Get("recursive") == "1"
	attrs := []byte("*.gguf filter=lfs diff=lfs merge=lfs -text\n")
	entries := []treeEntry{{Type: "file", OID: gitOID(attrs), Size: int64(len(attrs)), Path: ".gitattributes"}}
	dirs := map[string]bool{}
	for _, f := range rp.files {
		for d := path.Dir(f.Path); d != "."; d = path.Dir(d) {
			dirs[d] = true
		}
		entries = append(entries, treeEntry{Type: "file", OID: gitOID(f.Data), Size: int64(len(f.Data)), Path: f.Path,
			LFS: &lfs{OID: rp.sha256[f.Path], Size: int64(len(f.Data)), PointerSize: 134}})
	}
	for d := range dirs {
		entries = append(entries, treeEntry{Type: "directory", OID: gitOID([]byte(d)), Path: d})
	}
	slices.SortFunc(entries, func(a, b treeEntry) int { return strings.Compare(a.Path, b.Path) })
	var out []treeEntry
	for _, e := range entries {
		rel := e.Path
		if under != "" {
			var ok bool
			if rel, ok = strings.CutPrefix(e.Path, under+"/"); !ok {
				continue
			}
		}
		if !recursive && strings.Contains(rel, "/") {
			continue
		}
		out = append(out, e)
	}
	h.mu.Lock()
	page := h.pageSize
	h.mu.Unlock()
	if page > 0 {
		from, _ := strconv.Atoi(r.URL.Query().Get("cursor"))
		from = min(max(from, 0), len(out))
		to := min(from+page, len(out))
		if to < len(out) {
			q := r.URL.Query()
			q.Set("cursor", strconv.Itoa(to))
			next := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path, RawQuery: q.Encode()}
			w.Header().Set("Link", fmt.Sprintf("<%s>; rel=\"next\"", next.String()))
		}
		out = out[from:to]
	}
	if out == nil {
		out = []treeEntry{}
	}
	writeJSON(w, out)
}

// serveResolve answers /{org}/{name}/resolve/{rev}/{path}: a 302 to the CDN with the
// X-Linked-Size and X-Linked-Etag headers the Hub sends for LFS files.
func (h *Hub) serveResolve(w http.ResponseWriter, r *http.Request) {
	parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/"), "/", 5)
	if len(parts) < 5 || parts[2] != "resolve" {
		http.NotFound(w, r)
		return
	}
	rp := h.repo(parts[0] + "/" + parts[1])
	if rp == nil {
		hfError(w, http.StatusUnauthorized, "RepoNotFound", "Repository not found")
		return
	}
	if rp.gated && !h.authorized(r) {
		hfError(w, http.StatusUnauthorized, "GatedRepo",
			fmt.Sprintf("Access to model %s is restricted. You must have access to it and be authenticated to access it. Please log in.", rp.id))
		return
	}
	file := parts[4]
	hx, ok := rp.sha256[file]
	if !ok {
		hfError(w, http.StatusNotFound, "EntryNotFound", fmt.Sprintf("%s does not exist on \"main\"", file))
		return
	}
	w.Header().Set("X-Repo-Commit", "0123456789abcdef0123456789abcdef01234567")
	w.Header().Set("X-Linked-Etag", `"`+hx+`"`)
	w.Header().Set("X-Linked-Size", strconv.Itoa(len(h.blobs[hx])))
	w.Header().Set("ETag", `"`+hx+`"`)
	w.Header().Set("Location", h.BlobURL(hx)+"?signature=fake")
	w.WriteHeader(http.StatusFound)
}

// serveSearch answers /api/models?search=…&filter=gguf[&full=true][&limit=N], most
// downloaded first.
func (h *Hub) serveSearch(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	text := strings.ToLower(q.Get("search"))
	full := q.Get("full") == "true" || q.Get("full") == "1"
	limit, _ := strconv.Atoi(q.Get("limit"))
	h.mu.Lock()
	var found []*repo
	for _, rp := range h.repos {
		if strings.Contains(strings.ToLower(rp.id), text) && (q.Get("filter") != "gguf" || rp.hasGGUF()) {
			found = append(found, rp)
		}
	}
	h.mu.Unlock()
	slices.SortFunc(found, func(a, b *repo) int { return b.downloads - a.downloads })
	if limit > 0 && len(found) > limit {
		found = found[:limit]
	}
	out := []map[string]any{}
	for _, rp := range found {
		out = append(out, rp.info(full))
	}
	writeJSON(w, out)
}

func (rp *repo) hasGGUF() bool {
	for _, f := range rp.files {
		if strings.HasSuffix(strings.ToLower(f.Path), ".gguf") {
			return true
		}
	}
	return false
}
