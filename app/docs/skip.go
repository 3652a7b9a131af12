package docs

import (
	"errors"
	"fmt"

	"github.com/perchapp/perch/app/docs/extract"
)

// ErrTooLarge is a file over the size limit (Options.MaxFileBytes).
var ErrTooLarge = fmt.Errorf("%w: too large", ErrInvalid)

// Why a file was not indexed, as codes the UI words in the user's language (Skip.Code; the
// API's error codes for one document added alone are the same).
const (
	SkipUnsupported = "unsupported_file" // a kind of file the extractors do not read
	SkipBinary      = "binary_file"      // no readable text: a program, an image
	SkipNoText      = "no_text"          // readable, but nothing to index (a scanned PDF)
	SkipUnreadable  = "unreadable_file"  // could not be read: damaged, locked, gone
	SkipNotAllowed  = "path_not_allowed" // outside what the reading policy allows (policy.go)
	SkipTooLarge    = "file_too_large"   // over the size limit
	SkipOther       = "not_indexable"
)

// SkipCode is the code for why err kept a document out of the index.
func SkipCode(err error) string {
	switch {
	case errors.Is(err, extract.ErrUnsupported):
		return SkipUnsupported
	case errors.Is(err, extract.ErrBinary):
		return SkipBinary
	case errors.Is(err, extract.ErrNoText):
		return SkipNoText
	case errors.Is(err, extract.ErrUnreadable):
		return SkipUnreadable
	case errors.Is(err, ErrNotAllowed):
		return SkipNotAllowed
	case errors.Is(err, ErrTooLarge):
		return SkipTooLarge
	}
	return SkipOther
}
