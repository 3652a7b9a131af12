package hf

import (
	"context"
	"net"
	"net/http"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

type failingTransport struct {
	err   error
	tries atomic.Int32
}

func (f *failingTransport) RoundTrip(*http.Request) (*http.Response, error) {
	f.tries.Add(1)
	return nil, f.err
}

// Offline is said after one try; a connection reset is tried again.
func TestOfflineFailsFast(t *testing.T) {
	for _, tt := range []struct {
		name  string
		err   error
		tries int32
	}{
		{"no such host", &net.DNSError{Err: "no such host", Name: "huggingface.co", IsNotFound: true}, 1},
		{"refused", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, 1},
		{"reset", &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, 4}, // 1 + 3 retries
	} {
		t.Run(tt.name, func(t *testing.T) {
			ft := &failingTransport{err: tt.err}
			c := New("http://hub.invalid", "", &http.Client{Transport: ft}).WithRetries(3, time.Millisecond)
			if _, err := c.Model(context.Background(), "a/b"); err == nil {
				t.Fatal("no error")
			}
			if got := ft.tries.Load(); got != tt.tries {
				t.Errorf("%d tries, want %d", got, tt.tries)
			}
		})
	}
}
