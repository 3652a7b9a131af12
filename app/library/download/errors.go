package download

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/perchapp/perch/engine/format"
)

// ErrDigestMismatch is returned (wrapped) when a finished file's sha256 is not the one
// expected. The partial file has been deleted by then.
var ErrDigestMismatch = errors.New("sha256 digest mismatch")

// ErrBusy is returned (wrapped) when another process holds the lock on the same partial file.
var ErrBusy = errors.New("another process is downloading this file")

// HTTPError is an unexpected HTTP status. Header and Body (its first bytes) let callers that
// know the server (Hugging Face's X-Error-Code, say) explain it better.
type HTTPError struct {
	Method     string
	URL        string
	StatusCode int
	Status     string
	Header     http.Header
	Body       string
}

func (e *HTTPError) Error() string {
	msg := fmt.Sprintf("%s %s: %s", e.Method, e.URL, e.Status)
	if b := strings.TrimSpace(e.Body); b != "" {
		msg += ": " + b
	}
	return msg
}

// Temporary says whether trying again may help: server errors, timeouts and rate limits.
func (e *HTTPError) Temporary() bool {
	return e.StatusCode >= 500 || e.StatusCode == http.StatusTooManyRequests || e.StatusCode == http.StatusRequestTimeout
}

// SpaceError says the disk has too little free space for what is left to download.
type SpaceError struct {
	Dir  string
	Need uint64
	Free uint64
}

func (e *SpaceError) Error() string {
	return fmt.Sprintf("not enough disk space in %s: the download needs %s more but only %s is free; free up %s and pull again",
		e.Dir, format.Size(e.Need), format.Size(e.Free), format.Size(e.Need-e.Free))
}

// localError marks a failure of this machine (disk full, permissions): retrying the network
// does not help, and the other segments stop too.
type localError struct{ err error }

func (e *localError) Error() string { return e.err.Error() }
func (e *localError) Unwrap() error { return e.err }

// Refuse marks err as a refusal by this machine's own policy (an address the settings do
// not allow): no retry can change it, so none is made.
func Refuse(err error) error { return &refusedError{err} }

// Refused says whether err, or an error it wraps, was made by Refuse.
func Refused(err error) bool {
	var re *refusedError
	return errors.As(err, &re)
}

type refusedError struct{ err error }

func (e *refusedError) Error() string { return e.err.Error() }
func (e *refusedError) Unwrap() error { return e.err }

// retryable says whether err is worth another attempt.
func retryable(err error) bool {
	var le *localError
	if errors.As(err, &le) || Refused(err) {
		return false
	}
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Temporary()
	}
	if errors.Is(err, errNoRanges) || errors.Is(err, errSizeChanged) {
		return false
	}
	return true // network errors: resets, EOF before the end, stalls, timeouts
}

var (
	errNoRanges    = errors.New("the server ignored the Range header")
	errStalled     = errors.New("no data arrived for too long")
	errSizeChanged = errors.New("the file on the server changed size")
)
