package cli

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/perchapp/perch/app/config"
)

// A second server on the same data folder refuses to start, naming the running one, and can
// start once the first has closed.
func TestFaultSecondServerSameHome(t *testing.T) {
	home := t.TempDir()
	t.Setenv("PERCH_HOME", home)
	first, err := openApp(serveFlags{host: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = openApp(serveFlags{host: "127.0.0.1:0"})
	var running *config.RunningError
	if !errors.As(err, &running) || running.PID != os.Getpid() || !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("second server: %v; want a RunningError naming pid %d", err, os.Getpid())
	}
	first.Close()
	again, err := openApp(serveFlags{host: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("after the first closed: %v", err)
	}
	again.Close()
}

// The key generated for a server reachable from the network stays the same across restarts,
// in a file only the user can read; stale worker sockets are cleaned at start.
func TestFaultRestartKeepsKeyCleansSockets(t *testing.T) {
	home := t.TempDir()
	t.Setenv("PERCH_HOME", home)
	paths := config.DefaultPaths()
	if err := paths.Ensure(); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(paths.Runtime, "worker-123.sock")
	if l, err := net.Listen("unix", stale); err == nil {
		l.(*net.UnixListener).SetUnlinkOnClose(false)
		l.Close() // the socket file stays, as after kill -9
	} else {
		t.Fatal(err)
	}
	live := filepath.Join(paths.Runtime, "live.sock")
	ll, err := net.Listen("unix", live)
	if err != nil {
		t.Fatal(err)
	}
	defer ll.Close()

	var keys []string
	for range 2 {
		app, err := openApp(serveFlags{host: "0.0.0.0:0"})
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, app.apiKey)
		app.Close()
	}
	if keys[0] == "" || keys[0] != keys[1] {
		t.Errorf("keys across a restart: %q, %q; want the same one", keys[0], keys[1])
	}
	if st, err := os.Stat(paths.APIKeyFile()); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("key file: %v %v; want mode 0600", st, err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the stale socket is still there: %v", err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("a live socket was removed: %v", err)
	}
}
