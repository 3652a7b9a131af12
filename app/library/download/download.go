// Package download fetches one file over HTTP into place, safely: it writes PATH.partial,
// fetches large files as several ranged segments at once, resumes after a crash, a dropped
// connection or a cancel (a sidecar records the finished ranges), retries server and network
// errors with backoff (never 4xx), verifies the sha256, and only then renames the file to
// PATH. Nothing at PATH is ever half-written.
package download

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Request is one file to fetch.
type Request struct {
	URL    string
	Header http.Header // sent with every request (authorization, say)
	// Digest is the expected "sha256:<hex>"; empty computes it.
	Digest string
	// Size is the expected length in bytes; 0 or less asks the server.
	Size int64
	// Path is where the verified file ends up.
	Path string
}

// Result describes the file at Request.Path.
type Result struct {
	Digest string // "sha256:<hex>"
	Size   int64
}

// Progress is a snapshot of a download.
type Progress struct {
	Completed      int64
	Total          int64 // 0 when unknown
	BytesPerSecond float64
	ETA            time.Duration
	// Verifying is true while the finished file's sha256 is computed.
	Verifying bool
}

// File is what a download writes to; tests wrap the real file to inject faults.
type File interface {
	io.WriterAt
	io.ReaderAt
	Sync() error
	Close() error
}

// Downloader fetches files. The zero value is not usable; call New.
type Downloader struct {
	client     *http.Client
	segments   int
	minSegment int64
	retries    int
	backoff    time.Duration
	stall      time.Duration
	every      time.Duration
	checkpoint time.Duration
	wrap       func(*os.File) File
	freeSpace  func(dir string) (uint64, error)
	log        *slog.Logger
}

// Option configures a Downloader.
type Option func(*Downloader)

// WithClient sets the HTTP client (default: one with connect and header timeouts and no
// overall timeout, HTTP/1.1 so that segments use separate connections).
func WithClient(c *http.Client) Option { return func(d *Downloader) { d.client = c } }

// WithSegments sets how many ranged parts a file is fetched in at once (default 4), and the
// smallest part (default 64 MiB; smaller files are fetched in one piece).
func WithSegments(n int, minSize int64) Option {
	return func(d *Downloader) { d.segments, d.minSegment = max(n, 1), max(minSize, 1) }
}

// WithRetries sets how many times a failing segment is tried again without progress
// (default 6), and the first wait (default 1s, doubling, with jitter, at most 30s).
func WithRetries(n int, backoff time.Duration) Option {
	return func(d *Downloader) { d.retries, d.backoff = max(n, 0), backoff }
}

// WithStallTimeout sets how long a connection may deliver nothing before it is dropped and
// tried again (default 60s).
func WithStallTimeout(t time.Duration) Option { return func(d *Downloader) { d.stall = t } }

// WithProgressInterval sets how often progress is reported (default 200ms).
func WithProgressInterval(t time.Duration) Option { return func(d *Downloader) { d.every = t } }

// WithFileWrapper wraps the partial file, for tests that simulate a full disk.
func WithFileWrapper(w func(*os.File) File) Option { return func(d *Downloader) { d.wrap = w } }

// WithFreeSpace replaces the free-disk probe, for tests.
func WithFreeSpace(f func(dir string) (uint64, error)) Option {
	return func(d *Downloader) { d.freeSpace = f }
}

// WithLogger sets the logger (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(d *Downloader) { d.log = l } }

// DefaultClient is the client downloads use unless told otherwise.
func DefaultClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   16,
	}}
}

// New returns a Downloader.
func New(opts ...Option) *Downloader {
	d := &Downloader{
		segments:   4,
		minSegment: 64 << 20,
		retries:    6,
		backoff:    time.Second,
		stall:      60 * time.Second,
		every:      200 * time.Millisecond,
		checkpoint: time.Second,
		wrap:       func(f *os.File) File { return f },
		freeSpace:  diskFree,
	}
	for _, o := range opts {
		o(d)
	}
	if d.client == nil {
		d.client = DefaultClient()
	}
	if d.log == nil {
		d.log = slog.Default()
	}
	return d
}

// Client is the HTTP client the downloader uses.
func (d *Downloader) Client() *http.Client { return d.client }

var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// Fetch downloads req into req.Path, reporting progress to fn (from one goroutine at a time).
// When ctx is cancelled it stops, keeps the partial file for the next Fetch, and returns
// ctx's error.
func (d *Downloader) Fetch(ctx context.Context, req Request, fn func(Progress)) (Result, error) {
	if fn == nil {
		fn = func(Progress) {}
	}
	if req.URL == "" || req.Path == "" {
		return Result{}, errors.New("download: a URL and a destination path are required")
	}
	if req.Digest != "" && !digestRE.MatchString(req.Digest) {
		return Result{}, fmt.Errorf("download: digest %q is not sha256:<64 lower-case hex digits>", req.Digest)
	}
	if err := os.MkdirAll(filepath.Dir(req.Path), 0o755); err != nil {
		return Result{}, fmt.Errorf("create %s: %w", filepath.Dir(req.Path), err)
	}
	osf, err := os.OpenFile(partialPath(req.Path), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return Result{}, fmt.Errorf("open the partial download: %w", err)
	}
	defer osf.Close()
	if err := lockFile(osf); err != nil {
		return Result{}, err
	}
	f := d.wrap(osf)

	st := loadState(req.Path, req)
	for attempt := 0; ; attempt++ {
		if st == nil {
			if st, err = d.start(ctx, req, osf); err != nil {
				return Result{}, err
			}
		}
		if st.Size > 0 {
			left := st.Size
			for _, sg := range st.Segments {
				left -= sg.Done
			}
			if err := d.CheckSpace(filepath.Dir(req.Path), left); err != nil {
				return Result{}, err
			}
		}
		err = d.run(ctx, req, f, st, fn)
		if errors.Is(err, errNoRanges) && len(st.Segments) > 1 && attempt == 0 {
			// The server ignored Range after all: fetch in one piece from the start.
			d.log.Info("server ignores ranged requests; downloading in one piece", "url", req.URL)
			st = &state{Version: stateVersion, URL: req.URL, Digest: req.Digest, Size: st.Size, Segments: []segment{{Start: 0, End: st.Size}}}
			if err = saveState(req.Path, st); err != nil {
				return Result{}, err
			}
			continue
		}
		break
	}
	if err != nil {
		if errors.Is(err, errSizeChanged) {
			d.discard(req.Path)
		}
		return Result{}, err
	}
	return d.finish(ctx, req, f, st, fn)
}

// start plans a fresh download: it learns the size when not given, empties the partial file
// and writes the sidecar.
func (d *Downloader) start(ctx context.Context, req Request, osf *os.File) (*state, error) {
	size, ranges := req.Size, true
	if size <= 0 {
		var err error
		if size, ranges, err = d.probe(ctx, req); err != nil {
			return nil, err
		}
	}
	n := d.segments
	if !ranges {
		n = 1
	}
	st := &state{Version: stateVersion, URL: req.URL, Digest: req.Digest, Size: size, Segments: plan(size, n, d.minSegment)}
	if err := osf.Truncate(0); err != nil {
		return nil, &localError{fmt.Errorf("reset the partial download: %w", err)}
	}
	if size > 0 {
		if err := saveState(req.Path, st); err != nil {
			return nil, err
		}
	} else {
		_ = os.Remove(statePath(req.Path))
	}
	return st, nil
}

// probe asks the server for the size and whether it serves ranges (HEAD, redirects followed).
func (d *Downloader) probe(ctx context.Context, req Request) (int64, bool, error) {
	var resp *http.Response
	err := d.retrier(req.URL).Do(ctx, func() error {
		r, err := http.NewRequestWithContext(ctx, http.MethodHead, req.URL, nil)
		if err != nil {
			return &localError{err}
		}
		copyHeader(r.Header, req.Header)
		resp, err = d.client.Do(r)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return httpError(resp)
		}
		return nil
	})
	var he *HTTPError
	if errors.As(err, &he) && (he.StatusCode == http.StatusMethodNotAllowed || he.StatusCode == http.StatusNotImplemented) {
		return -1, false, nil // no HEAD: stream it in one piece
	}
	if err != nil {
		return 0, false, err
	}
	return resp.ContentLength, strings.EqualFold(resp.Header.Get("Accept-Ranges"), "bytes") && resp.ContentLength > 0, nil
}

// run fetches the missing ranges, checkpointing and reporting progress until all are done or
// one fails for good.
func (d *Downloader) run(ctx context.Context, req Request, f File, st *state, fn func(Progress)) error {
	segs := make([]*live, len(st.Segments))
	for i, s := range st.Segments {
		segs[i] = &live{start: s.Start, end: s.End}
		segs[i].done.Store(s.Done)
	}
	snapshot := func() {
		for i, l := range segs {
			st.Segments[i].Done = l.done.Load()
			st.Segments[i].End = l.end
		}
	}
	total := st.Size
	completed := func() int64 {
		var n int64
		for _, l := range segs {
			n += l.done.Load()
		}
		return n
	}

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		errMu    sync.Mutex
		firstErr error
	)
	for _, l := range segs {
		if l.complete() {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := d.segment(runCtx, req, f, l, len(segs) == 1); err != nil {
				errMu.Lock()
				if firstErr == nil || errors.Is(firstErr, context.Canceled) {
					firstErr = err
				}
				errMu.Unlock()
				// A disk or protocol failure dooms the others too; a network failure
				// does not, so what the others fetch is kept for the next try.
				if !retryable(err) {
					cancel()
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	var m meter
	report := func() {
		c := completed()
		rate := m.update(time.Now(), c)
		fn(Progress{Completed: c, Total: max(total, 0), BytesPerSecond: rate, ETA: eta(total, c, rate)})
	}
	save := func() {
		if total <= 0 {
			return // not resumable
		}
		if err := f.Sync(); err != nil {
			d.log.Warn("sync partial download", "path", req.Path, "err", err)
			return
		}
		snapshot()
		if err := saveState(req.Path, st); err != nil {
			d.log.Warn("checkpoint download", "path", req.Path, "err", err)
		}
	}
	tick := time.NewTicker(d.every)
	defer tick.Stop()
	lastSave := time.Now()
	report()
loop:
	for {
		select {
		case <-done:
			break loop
		case now := <-tick.C:
			report()
			if now.Sub(lastSave) >= d.checkpoint {
				save()
				lastSave = now
			}
		}
	}
	snapshot()
	save()
	report()
	if firstErr != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return firstErr
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if total <= 0 {
		st.Size = segs[0].end
	}
	return nil
}

// finish verifies the sha256 and renames the partial file into place.
func (d *Downloader) finish(ctx context.Context, req Request, f File, st *state, fn func(Progress)) (Result, error) {
	fn(Progress{Completed: st.Size, Total: st.Size, Verifying: true})
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, st.Size)); err != nil {
		return Result{}, &localError{fmt.Errorf("read back %s: %w", partialPath(req.Path), err)}
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	got := "sha256:" + hex.EncodeToString(h.Sum(nil))
	if req.Digest != "" && got != req.Digest {
		d.discard(req.Path)
		return Result{}, fmt.Errorf("%s: %w: expected %s, got %s; the partial download was deleted, pull again (if it happens again the server's file is corrupt)",
			req.URL, ErrDigestMismatch, req.Digest, got)
	}
	if err := f.Sync(); err != nil {
		return Result{}, &localError{fmt.Errorf("sync %s: %w", partialPath(req.Path), err)}
	}
	if err := os.Rename(partialPath(req.Path), req.Path); err != nil {
		return Result{}, &localError{fmt.Errorf("move the finished download into place: %w", err)}
	}
	_ = os.Remove(statePath(req.Path))
	SyncDir(filepath.Dir(req.Path))
	return Result{Digest: got, Size: st.Size}, nil
}

// discard deletes the partial file and its sidecar.
func (d *Downloader) discard(path string) {
	_ = os.Remove(partialPath(path))
	_ = os.Remove(statePath(path))
}

// retrier retries requests for url on network errors and temporary HTTP statuses.
func (d *Downloader) retrier(url string) Retry {
	return Retry{Times: d.retries, Backoff: d.backoff, Temporary: retryable, OnRetry: func(attempt int, wait time.Duration, err error) {
		d.logRetry(url, attempt, wait, err)
	}}
}

func (d *Downloader) logRetry(url string, attempt int, wait time.Duration, err error) {
	d.log.Info("download failed; retrying", "url", url, "attempt", attempt, "in", wait.Round(time.Millisecond), "err", err)
}

// wait sleeps before attempt+1 (see Backoff).
func (d *Downloader) wait(ctx context.Context, url string, attempt int, cause error) error {
	wait := Backoff(d.backoff, attempt)
	d.logRetry(url, attempt, wait, cause)
	return sleep(ctx, wait)
}

func copyHeader(dst, src http.Header) {
	for k, vs := range src {
		for _, v := range vs {
			dst.Add(k, v)
		}
	}
}

func httpError(resp *http.Response) *HTTPError {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	return &HTTPError{
		Method: resp.Request.Method, URL: resp.Request.URL.String(),
		StatusCode: resp.StatusCode, Status: resp.Status, Header: resp.Header, Body: string(body),
	}
}

// SyncDir flushes a folder's entries to disk, so that a file renamed into it stays there
// after a crash.
func SyncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		_ = f.Sync()
		f.Close()
	}
}
