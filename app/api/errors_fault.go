package api

import (
	"errors"
	"net"
	"net/http"
	"syscall"

	"github.com/perchapp/perch/app/config"
	"github.com/perchapp/perch/app/library"
	"github.com/perchapp/perch/app/library/download"
	"github.com/perchapp/perch/app/library/ggufmeta"
)

// faultError classifies the errors of files, disks and remote servers that are not the
// server's own fault: a file that is no model (400), a remote server that cannot be reached
// (502), a full disk (507). nil: none of these.
func faultError(err error) *apiError {
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case diskFull(err):
		return &apiError{Status: http.StatusInsufficientStorage, Type: "insufficient_storage_error", Code: codeDiskFull,
			Message: "the disk is full, so nothing was saved: " + err.Error() + "; free some space and try again"}
	case errors.Is(err, library.ErrNotModelFile), errors.Is(err, ggufmeta.ErrNotGGUF), errors.Is(err, library.ErrInvalidName):
		return &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: codeInvalidModel, Message: err.Error()}
	case errors.Is(err, library.ErrPrivateAddress):
		return &apiError{Status: http.StatusForbidden, Type: "invalid_request_error", Code: "private_address", Message: err.Error()}
	case errors.As(err, &dnsErr), errors.As(err, &opErr) && opErr.Op == "dial":
		return &apiError{Status: http.StatusBadGateway, Type: "server_error", Code: codeOffline,
			Message: err.Error() + "; check the address and the network connection"}
	}
	return nil
}

// diskFull says whether err is a write that failed for want of space: ENOSPC (or EDQUOT),
// or SQLite's SQLITE_FULL.
func diskFull(err error) bool {
	var space *download.SpaceError
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) || errors.As(err, &space) {
		return true
	}
	var coded interface{ Code() int }
	return errors.As(err, &coded) && coded.Code()&0xff == 13 // SQLITE_FULL
}

// settingsError is a failed settings update: a full disk is a 507, anything else a 400, with
// the field and the code the UI words in the user's language where the settings name them.
func settingsError(err error) error {
	if ae := faultError(err); ae != nil && ae.Status == http.StatusInsufficientStorage {
		return ae
	}
	var fe *config.FieldError
	if errors.As(err, &fe) {
		ae := badRequest(fe.Field, "%v", err)
		ae.Code = fe.Code
		return ae
	}
	return badRequest("", "%v", err)
}
