package download

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// segment fetches one range until it is complete, retrying network and server errors. The
// retry budget is per stretch without progress, so a long download survives many drops.
func (d *Downloader) segment(ctx context.Context, req Request, f File, l *live, only bool) error {
	failures := 0
	for !l.complete() {
		before := l.done.Load()
		err := d.fetchRange(ctx, req, f, l, only)
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !retryable(err) {
			return err
		}
		if l.done.Load() > before {
			failures = 0
		}
		failures++
		if failures > d.retries {
			return fmt.Errorf("download %s: giving up after %d tries: %w", req.URL, failures, err)
		}
		if err := d.wait(ctx, req.URL, failures, err); err != nil {
			return err
		}
	}
	return nil
}

// fetchRange requests the missing part of l and writes what arrives at its offset.
func (d *Downloader) fetchRange(ctx context.Context, req Request, f File, l *live, only bool) error {
	actx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	from := l.start + l.done.Load()
	r, err := http.NewRequestWithContext(actx, http.MethodGet, req.URL, nil)
	if err != nil {
		return &localError{err}
	}
	copyHeader(r.Header, req.Header)
	ranged := l.end >= 0
	if ranged {
		r.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", from, l.end-1))
	}
	resp, err := d.client.Do(r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusPartialContent && ranged:
		start, total, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if !ok || start != from {
			return fmt.Errorf("download %s: asked for bytes from %d, got Content-Range %q", req.URL, from, resp.Header.Get("Content-Range"))
		}
		if total >= 0 && l.end >= 0 && total < l.end {
			return fmt.Errorf("download %s: %w (now %d bytes)", req.URL, errSizeChanged, total)
		}
	case resp.StatusCode == http.StatusOK:
		if ranged && !only {
			return errNoRanges
		}
		if from != 0 {
			// The only segment, and the server sends the whole file: start over.
			l.done.Store(0)
			from = 0
		}
		if l.end >= 0 && resp.ContentLength >= 0 && resp.ContentLength != l.end {
			return fmt.Errorf("download %s: %w (now %d bytes, expected %d)", req.URL, errSizeChanged, resp.ContentLength, l.end)
		}
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable:
		return fmt.Errorf("download %s: %w (the server refused bytes %d-%d)", req.URL, errSizeChanged, from, l.end-1)
	default:
		return httpError(resp)
	}

	// A connection that delivers nothing for d.stall is cut and tried again.
	stall := time.AfterFunc(d.stall, func() { cancel(errStalled) })
	defer stall.Stop()
	buf := make([]byte, 256<<10)
	off := from
	for {
		n, rerr := resp.Body.Read(buf)
		if n > 0 {
			stall.Reset(d.stall)
			if l.end >= 0 && off+int64(n) > l.end {
				n = int(l.end - off) // never write past the segment
			}
			if _, werr := f.WriteAt(buf[:n], off); werr != nil {
				return &localError{fmt.Errorf("write %s: %w", partialPath(req.Path), werr)}
			}
			off += int64(n)
			l.done.Add(int64(n))
			if l.end >= 0 && off >= l.end {
				return nil
			}
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			if errors.Is(context.Cause(actx), errStalled) && ctx.Err() == nil {
				return fmt.Errorf("download %s: %w (%s)", req.URL, errStalled, d.stall)
			}
			return rerr
		}
	}
	if l.end < 0 {
		l.end = off // streamed without a known size: the end is where it ended
		return nil
	}
	return fmt.Errorf("download %s: %w at byte %d of %d", req.URL, io.ErrUnexpectedEOF, off, l.end)
}

// parseContentRange reads "bytes START-END/TOTAL" (TOTAL may be "*", returned as -1).
func parseContentRange(s string) (start, total int64, ok bool) {
	rest, found := strings.CutPrefix(s, "bytes ")
	if !found {
		return 0, 0, false
	}
	span, tot, found := strings.Cut(rest, "/")
	if !found {
		return 0, 0, false
	}
	a, _, found := strings.Cut(span, "-")
	if !found {
		return 0, 0, false
	}
	start, err := strconv.ParseInt(a, 10, 64)
	if err != nil {
		return 0, 0, false
	}
	total = -1
	if tot != "*" {
		if total, err = strconv.ParseInt(tot, 10, 64); err != nil {
			return 0, 0, false
		}
	}
	return start, total, true
}

func jitter(n int64) int64 {
	if n <= 0 {
		return 0
	}
	return rand.Int64N(n)
}
