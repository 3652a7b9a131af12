// Package fakehub runs, on 127.0.0.1, a server that speaks the real Hugging Face and Ollama
// registry protocols for tests, serving real files, with faults to inject (dropped
// connections, corrupt bytes, server errors, slow transfers, servers that ignore Range) and
// counters of what it served. It is for tests only; nothing in Perch imports it otherwise.
package fakehub

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Fault is what goes wrong when a blob is served.
type Fault struct {
	// FailFirst requests for the blob are answered with FailStatus (500 by default).
	FailFirst  int
	FailStatus int
	// DropAfter, when positive, cuts the connection once this many bytes of the blob have
	// been served in total (once; later requests are served normally).
	DropAfter int64
	// Corrupt serves the blob with one byte changed.
	Corrupt bool
	// BytesPerSecond, when positive, throttles the transfer.
	BytesPerSecond int
	// NoRanges answers every request with the whole blob (200), as some servers do.
	NoRanges bool
}

// Hub is the fake server: Hugging Face (API, resolve, CDN) and an Ollama registry (/v2/).
type Hub struct {
	// URL is http://127.0.0.1:PORT (HF_ENDPOINT for tests); Host is 127.0.0.1:PORT (the
	// registry host in Ollama references).
	URL, Host string
	// Token is the HF token gated repositories accept.
	Token string

	srv      *httptest.Server
	mu       sync.Mutex
	blobs    map[string][]byte // sha256 hex → content
	faults   map[string]*Fault
	served   map[string]int64 // bytes written per blob
	requests map[string]int   // per URL path
	repos    map[string]*repo
	ollama   map[string][]byte // "ns/name:tag" → manifest JSON
	pageSize int
}

// New starts a hub and stops it when the test ends.
func New(t testing.TB) *Hub {
	t.Helper()
	h := &Hub{
		Token:    "hf_test_token",
		blobs:    map[string][]byte{},
		faults:   map[string]*Fault{},
		served:   map[string]int64{},
		requests: map[string]int{},
		repos:    map[string]*repo{},
		ollama:   map[string][]byte{},
	}
	h.srv = httptest.NewServer(http.HandlerFunc(h.route))
	t.Cleanup(h.srv.Close)
	h.URL = h.srv.URL
	h.Host = strings.TrimPrefix(h.srv.URL, "http://")
	return h
}

// AddBlob stores content and returns its sha256 in hex.
func (h *Hub) AddBlob(content []byte) string {
	sum := sha256.Sum256(content)
	hx := hex.EncodeToString(sum[:])
	h.mu.Lock()
	h.blobs[hx] = content
	h.mu.Unlock()
	return hx
}

// ReadFile reads a file for serving, failing the test when it cannot.
func ReadFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// SetFault sets what goes wrong when the blob with this sha256 hex is served.
func (h *Hub) SetFault(hx string, f Fault) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if f.FailStatus == 0 {
		f.FailStatus = http.StatusInternalServerError
	}
	h.faults[hx] = &f
}

// BlobURL is where the CDN serves a blob.
func (h *Hub) BlobURL(hx string) string { return h.URL + "/cdn/" + hx }

// Served is how many bytes of the blob the server has written in total.
func (h *Hub) Served(hx string) int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.served[hx]
}

// Requests is how many requests reached a URL path.
func (h *Hub) Requests(path string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.requests[path]
}

// SetPageSize makes the tree API paginate with Link headers, this many entries a page.
func (h *Hub) SetPageSize(n int) {
	h.mu.Lock()
	h.pageSize = n
	h.mu.Unlock()
}

func (h *Hub) route(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.requests[r.URL.Path]++
	h.mu.Unlock()
	switch p := r.URL.Path; {
	case strings.HasPrefix(p, "/cdn/"):
		// /cdn/{sha256}[/{any file name}]
		hx, _, _ := strings.Cut(strings.TrimPrefix(p, "/cdn/"), "/")
		h.serveBlob(w, r, hx)
	case strings.HasPrefix(p, "/v2/"):
		h.serveRegistry(w, r)
	case p == "/api/models":
		h.serveSearch(w, r)
	case strings.HasPrefix(p, "/api/models/"):
		h.serveModelAPI(w, r)
	default:
		h.serveResolve(w, r)
	}
}

// serveBlob serves content with single-range support, applying the blob's fault.
func (h *Hub) serveBlob(w http.ResponseWriter, r *http.Request, hx string) {
	h.mu.Lock()
	data, ok := h.blobs[hx]
	f := h.faults[hx]
	var fault Fault
	if f != nil {
		fault = *f
		if f.FailFirst > 0 {
			f.FailFirst--
		}
	}
	h.mu.Unlock()
	if !ok {
		http.Error(w, "blob not found", http.StatusNotFound)
		return
	}
	if fault.FailFirst > 0 {
		http.Error(w, "injected failure", fault.FailStatus)
		return
	}
	if fault.Corrupt {
		data = append([]byte(nil), data...)
		data[len(data)/2] ^= 0xff
	}
	start, end := int64(0), int64(len(data))
	status := http.StatusOK
	if rg := r.Header.Get("Range"); rg != "" && !fault.NoRanges {
		s, e, ok := parseRange(rg, int64(len(data)))
		if !ok {
			w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", len(data)))
			http.Error(w, "range not satisfiable", http.StatusRequestedRangeNotSatisfiable)
			return
		}
		start, end, status = s, e, http.StatusPartialContent
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", s, e-1, len(data)))
	}
	if !fault.NoRanges {
		w.Header().Set("Accept-Ranges", "bytes")
	}
	w.Header().Set("ETag", `"`+hx+`"`)
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(end-start, 10))
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	const chunk = 16 << 10
	for off := start; off < end; {
		n := min(int64(chunk), end-off)
		h.mu.Lock()
		// Cut only where this response still has bytes to send, so the client surely
		// misses some; otherwise the next chunk served (of any request) is cut.
		if cur := h.faults[hx]; cur != nil && cur.DropAfter > 0 && h.served[hx]+n >= cur.DropAfter &&
			off+max(cur.DropAfter-h.served[hx], 0) < end {
			n = max(cur.DropAfter-h.served[hx], 0)
			h.served[hx] += n
			cur.DropAfter = 0
			h.mu.Unlock()
			_, _ = w.Write(data[off : off+n])
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler) // cut the connection mid-body
		}
		h.served[hx] += n
		h.mu.Unlock()
		if _, err := w.Write(data[off : off+n]); err != nil {
			return
		}
		off += n
		if fault.BytesPerSecond > 0 {
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(time.Duration(float64(n) / float64(fault.BytesPerSecond) * float64(time.Second))):
			}
		}
	}
}

// parseRange reads one "bytes=START-END", "bytes=START-" or "bytes=-SUFFIX" range.
func parseRange(s string, size int64) (start, end int64, ok bool) {
	spec, found := strings.CutPrefix(s, "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false
	}
	a, b, found := strings.Cut(spec, "-")
	if !found {
		return 0, 0, false
	}
	if a == "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			return 0, 0, false
		}
		return max(size-n, 0), size, true
	}
	start, err := strconv.ParseInt(a, 10, 64)
	if err != nil || start < 0 || start >= size {
		return 0, 0, false
	}
	end = size
	if b != "" {
		last, err := strconv.ParseInt(b, 10, 64)
		if err != nil || last < start {
			return 0, 0, false
		}
		end = min(last+1, size)
	}
	return start, end, true
}
