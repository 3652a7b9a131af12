package api

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"testing"

	"github.com/perchapp/perch/app/library"
	"github.com/perchapp/perch/app/library/ggufmeta"
)

// Client and environment faults are not 500s: not a model 400, unreachable 502, full disk 507.
func TestFaultStatuses(t *testing.T) {
	full := func() error {
		f, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
		if err != nil {
			t.Skip("no /dev/full here")
		}
		defer f.Close()
		_, err = f.Write([]byte("x"))
		return fmt.Errorf("save the chat: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, dialErr := http.Get("http://" + addr + "/model.gguf")
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"disk full", full(), 507},
		{"unreachable", fmt.Errorf("reach it: %w", dialErr), 502},
		{"not gguf", fmt.Errorf("import: nothing was stored: x: %w", ggufmeta.ErrNotGGUF), 400},
		{"not a model file", fmt.Errorf("%w: nope", library.ErrNotModelFile), 400},
		{"private", fmt.Errorf("%w: nope", library.ErrPrivateAddress), 403},
		{"other", errors.New("boom"), 500},
	}
	for _, tt := range tests {
		if got := toAPIError(tt.err).Status; got != tt.want {
			t.Errorf("%s (%v): %d, want %d", tt.name, tt.err, got, tt.want)
		}
	}
	if got := toAPIError(settingsError(full())).Status; got != 507 {
		t.Errorf("settings on a full disk: %d, want 507", got)
	}
}
