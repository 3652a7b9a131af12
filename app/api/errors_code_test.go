package api

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"testing"

	"github.com/perchapp/perch/app/library/ggufmeta"
)

// Every error body carries a stable code the UI maps to a sentence.
func TestErrorCodes(t *testing.T) {
	for _, tt := range []struct {
		name   string
		err    error
		status int
		code   string
	}{
		{"offline", fmt.Errorf("reach Hugging Face: %w", &net.DNSError{Err: "no such host", Name: "huggingface.co"}), http.StatusBadGateway, codeOffline},
		{"refused", fmt.Errorf("get: %w", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}), http.StatusBadGateway, codeOffline},
		{"cut", fmt.Errorf("reach Hugging Face: %w", &url.Error{Op: "Get", URL: "http://hf", Err: io.EOF}), http.StatusBadGateway, codeOffline},
		{"disk full", fmt.Errorf("write /tmp/x.partial: %w", syscall.ENOSPC), http.StatusInsufficientStorage, codeDiskFull},
		{"not gguf", fmt.Errorf("/data/uploads/c7.upload: %w", ggufmeta.ErrNotGGUF), http.StatusBadRequest, codeInvalidModel},
		{"other", errors.New("boom"), http.StatusInternalServerError, codeServer},
		{"bad request", badRequest("x", "bad"), http.StatusBadRequest, codeInvalid},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ae := toAPIError(tt.err)
			body := openAIError(ae)
			if ae.Status != tt.status || body.Error.Code == nil || *body.Error.Code != tt.code {
				t.Errorf("status %d code %v, want %d %q", ae.Status, body.Error.Code, tt.status, tt.code)
			}
		})
	}
}
