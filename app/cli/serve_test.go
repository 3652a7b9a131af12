package cli

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestServeListensBeforeServing: once openApp returns, the port already accepts connections
// (it is opened before the stores and the engine), and a request sent then is answered when
// Serve starts, not refused.
func TestServeListensBeforeServing(t *testing.T) {
	t.Setenv("PERCH_HOME", t.TempDir())
	t.Setenv(envPrewarm, "off")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	app, err := openApp(serveFlags{host: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatalf("nothing accepts connections on %s after openApp: %v", addr, err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET /health HTTP/1.1\r\nHost: " + addr + "\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- app.Serve(ctx, nil) }()
	defer func() { cancel(); <-served }()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the request sent before Serve: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/health sent before Serve: %s", resp.Status)
	}
}
