package download

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/perchapp/perch/app/library/fakehub"
	"github.com/perchapp/perch/engine/sharedtest"
)

// fixture serves the real stories260K model from a fake hub.
func fixture(t *testing.T) (*fakehub.Hub, []byte, string) {
	t.Helper()
	data := fakehub.ReadFile(t, sharedtest.Path(t, "models", "stories260K.gguf"))
	hub := fakehub.New(t)
	return hub, data, hub.AddBlob(data)
}

func newTest(t *testing.T, opts ...Option) *Downloader {
	base := []Option{
		WithLogger(slog.New(slog.NewTextHandler(t.Output(), nil))),
		WithSegments(4, 128<<10),
		WithRetries(3, 5*time.Millisecond),
		WithProgressInterval(10 * time.Millisecond),
		WithStallTimeout(2 * time.Second),
	}
	return New(append(base, opts...)...)
}

func digestOf(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

func TestFetchVerifiesAndRenames(t *testing.T) {
	hub, data, hx := fixture(t)
	cases := []struct {
		name string
		req  func(path string) Request
		opts []Option
	}{
		{"segments, digest and size known", func(p string) Request {
			return Request{URL: hub.BlobURL(hx), Digest: "sha256:" + hx, Size: int64(len(data)), Path: p}
		}, nil},
		{"size asked of the server", func(p string) Request {
			return Request{URL: hub.BlobURL(hx), Digest: "sha256:" + hx, Path: p}
		}, nil},
		{"digest computed", func(p string) Request {
			return Request{URL: hub.BlobURL(hx), Path: p}
		}, nil},
		{"one segment", func(p string) Request {
			return Request{URL: hub.BlobURL(hx), Digest: "sha256:" + hx, Size: int64(len(data)), Path: p}
		}, []Option{WithSegments(1, 1)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "blob")
			var last Progress
			res, err := newTest(t, c.opts...).Fetch(context.Background(), c.req(path), func(p Progress) { last = p })
			if err != nil {
				t.Fatal(err)
			}
			if res.Digest != "sha256:"+hx || res.Size != int64(len(data)) {
				t.Errorf("result %+v, want sha256:%s and %d bytes", res, hx, len(data))
			}
			got, err := os.ReadFile(path)
			if err != nil || digestOf(got) != "sha256:"+hx {
				t.Fatalf("file at path is not the blob (err %v)", err)
			}
			for _, p := range []string{partialPath(path), statePath(path)} {
				if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s left behind", p)
				}
			}
			if last.Completed != int64(len(data)) || last.Total != int64(len(data)) {
				t.Errorf("last progress %+v, want %d of %d", last, len(data), len(data))
			}
		})
	}
}

// A connection cut at 50% with no retries fails the fetch but keeps what arrived; the next
// fetch continues, and the server sends about one file in all.
func TestFetchResumesAfterDrop(t *testing.T) {
	for _, segs := range []int{1, 4} {
		t.Run(fmt.Sprintf("%d segments", segs), func(t *testing.T) {
			hub, data, hx := fixture(t)
			hub.SetFault(hx, fakehub.Fault{DropAfter: int64(len(data)) / 2})
			path := filepath.Join(t.TempDir(), "blob")
			req := Request{URL: hub.BlobURL(hx), Digest: "sha256:" + hx, Size: int64(len(data)), Path: path}
			d := newTest(t, WithRetries(0, 0), WithSegments(segs, 128<<10))
			if _, err := d.Fetch(context.Background(), req, nil); err == nil {
				t.Fatal("fetch through a dropped connection succeeded without retries")
			}
			left := Remaining(path, int64(len(data)))
			if left <= 0 || left >= int64(len(data)) {
				t.Fatalf("after the drop %d of %d bytes remain; want some kept", left, len(data))
			}
			if _, err := d.Fetch(context.Background(), req, nil); err != nil {
				t.Fatal(err)
			}
			served := hub.Served(hx)
			if served > int64(len(data))*11/10 {
				t.Errorf("server sent %d bytes for a %d-byte file: the resume started over", served, len(data))
			}
		})
	}
}

func TestFetchRetriesServerErrors(t *testing.T) {
	hub, data, hx := fixture(t)
	hub.SetFault(hx, fakehub.Fault{FailFirst: 2, FailStatus: http.StatusBadGateway})
	path := filepath.Join(t.TempDir(), "blob")
	req := Request{URL: hub.BlobURL(hx), Digest: "sha256:" + hx, Size: int64(len(data)), Path: path}
	if _, err := newTest(t, WithSegments(1, 1)).Fetch(context.Background(), req, nil); err != nil {
		t.Fatal(err)
	}
	if n := hub.Requests("/cdn/" + hx); n != 3 {
		t.Errorf("%d requests, want 3 (two 502s, then success)", n)
	}
}

func TestFetchDoesNotRetryClientErrors(t *testing.T) {
	hub, data, hx := fixture(t)
	for _, status := range []int{http.StatusNotFound, http.StatusUnauthorized, http.StatusForbidden} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			hub.SetFault(hx, fakehub.Fault{FailFirst: 1, FailStatus: status})
			before := hub.Requests("/cdn/" + hx)
			path := filepath.Join(t.TempDir(), "blob")
			req := Request{URL: hub.BlobURL(hx), Digest: "sha256:" + hx, Size: int64(len(data)), Path: path}
			_, err := newTest(t, WithSegments(1, 1)).Fetch(context.Background(), req, nil)
			var he *HTTPError
			if !errors.As(err, &he) || he.StatusCode != status {
				t.Fatalf("err = %v, want an HTTPError %d", err, status)
			}
			if n := hub.Requests("/cdn/"+hx) - before; n != 1 {
				t.Errorf("%d requests, want 1 (no retry on %d)", n, status)
			}
		})
	}
}

func TestFetchDigestMismatchDeletesPartial(t *testing.T) {
	hub, data, hx := fixture(t)
	hub.SetFault(hx, fakehub.Fault{Corrupt: true})
	path := filepath.Join(t.TempDir(), "blob")
	req := Request{URL: hub.BlobURL(hx), Digest: "sha256:" + hx, Size: int64(len(data)), Path: path}
	_, err := newTest(t).Fetch(context.Background(), req, nil)
	if !errors.Is(err, ErrDigestMismatch) {
		t.Fatalf("err = %v, want ErrDigestMismatch", err)
	}
	for _, p := range []string{path, partialPath(path), statePath(path)} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s exists after a digest mismatch", p)
		}
	}
}

func TestFetchDiskFull(t *testing.T) {
	hub, data, hx := fixture(t)
	path := filepath.Join(t.TempDir(), "blob")
	req := Request{URL: hub.BlobURL(hx), Digest: "sha256:" + hx, Size: int64(len(data)), Path: path}
	d := newTest(t, WithFileWrapper(func(f *os.File) File { return &fakehub.FullDisk{File: f, Limit: 300 << 10} }))
	_, err := d.Fetch(context.Background(), req, nil)
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("err = %v, want ENOSPC", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file is at %s after the disk filled up", path)
	}
}

func TestFetchChecksFreeSpace(t *testing.T) {
	hub, data, hx := fixture(t)
	path := filepath.Join(t.TempDir(), "blob")
	req := Request{URL: hub.BlobURL(hx), Digest: "sha256:" + hx, Size: int64(len(data)), Path: path}
	d := newTest(t, WithFreeSpace(func(string) (uint64, error) { return 1000, nil }))
	_, err := d.Fetch(context.Background(), req, nil)
	var se *SpaceError
	if !errors.As(err, &se) || se.Need != uint64(len(data)) || se.Free != 1000 {
		t.Fatalf("err = %v, want a SpaceError needing %d with 1000 free", err, len(data))
	}
	if hub.Served(hx) != 0 {
		t.Errorf("%d bytes fetched before the space check", hub.Served(hx))
	}
}

// On a slow server progress keeps moving, and a cancel stops at once and keeps the partial.
func TestFetchSlowServerCancel(t *testing.T) {
	hub, data, hx := fixture(t)
	hub.SetFault(hx, fakehub.Fault{BytesPerSecond: 200 << 10})
	path := filepath.Join(t.TempDir(), "blob")
	req := Request{URL: hub.BlobURL(hx), Digest: "sha256:" + hx, Size: int64(len(data)), Path: path}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var moves []int64
	fn := func(p Progress) {
		if len(moves) == 0 || p.Completed > moves[len(moves)-1] {
			moves = append(moves, p.Completed)
		}
		if len(moves) >= 4 {
			cancel()
		}
	}
	start := time.Now()
	_, err := newTest(t, WithSegments(1, 1)).Fetch(ctx, req, fn)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if len(moves) < 4 {
		t.Errorf("progress moved %d times before the cancel", len(moves))
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Errorf("cancel took %v", el)
	}
	if left := Remaining(path, int64(len(data))); left >= int64(len(data)) || left <= 0 {
		t.Errorf("%d bytes left after cancel; the partial was not kept", left)
	}
}

func TestFetchServerWithoutRanges(t *testing.T) {
	hub, data, hx := fixture(t)
	hub.SetFault(hx, fakehub.Fault{NoRanges: true})
	path := filepath.Join(t.TempDir(), "blob")
	req := Request{URL: hub.BlobURL(hx), Digest: "sha256:" + hx, Size: int64(len(data)), Path: path}
	if _, err := newTest(t).Fetch(context.Background(), req, nil); err != nil {
		t.Fatal(err)
	}
}

func TestFetchBusy(t *testing.T) {
	hub, data, hx := fixture(t)
	hub.SetFault(hx, fakehub.Fault{BytesPerSecond: 100 << 10})
	path := filepath.Join(t.TempDir(), "blob")
	req := Request{URL: hub.BlobURL(hx), Digest: "sha256:" + hx, Size: int64(len(data)), Path: path}
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	done := make(chan error)
	go func() {
		var once sync.Once
		_, err := newTest(t).Fetch(ctx, req, func(Progress) { once.Do(func() { close(started) }) })
		done <- err
	}()
	<-started
	_, err := newTest(t).Fetch(context.Background(), req, nil)
	cancel()
	<-done
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("err = %v, want ErrBusy", err)
	}
}

func TestFetchBadRequest(t *testing.T) {
	cases := []struct {
		name string
		req  Request
	}{
		{"no url", Request{Path: "x"}},
		{"no path", Request{URL: "http://127.0.0.1:1/x"}},
		{"bad digest", Request{URL: "http://127.0.0.1:1/x", Path: filepath.Join(t.TempDir(), "x"), Digest: "md5:abc"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := New().Fetch(context.Background(), c.req, nil); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestPlan(t *testing.T) {
	cases := []struct {
		size    int64
		n       int
		min     int64
		want    int
		lastEnd int64
	}{
		{100, 4, 10, 4, 100},
		{100, 4, 40, 2, 100},
		{100, 4, 1000, 1, 100},
		{-1, 4, 10, 1, -1},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.size, c.n, c.min), func(t *testing.T) {
			s := plan(c.size, c.n, c.min)
			if len(s) != c.want || s[len(s)-1].End != c.lastEnd || s[0].Start != 0 {
				t.Errorf("plan = %+v", s)
			}
		})
	}
}

// BenchmarkFetch measures a 32 MiB download from a local server in one and in four segments
// (sha256 included).
func BenchmarkFetch(b *testing.B) {
	data := make([]byte, 32<<20)
	for i := range data {
		data[i] = byte(i * 7)
	}
	hub := fakehub.New(b)
	hx := hub.AddBlob(data)
	for _, segs := range []int{1, 4} {
		b.Run(fmt.Sprintf("segments=%d", segs), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			d := New(WithSegments(segs, 1<<20), WithLogger(slog.New(slog.DiscardHandler)))
			for b.Loop() {
				path := filepath.Join(b.TempDir(), "blob")
				req := Request{URL: hub.BlobURL(hx), Digest: "sha256:" + hx, Size: int64(len(data)), Path: path}
				if _, err := d.Fetch(context.Background(), req, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
