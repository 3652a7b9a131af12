package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/perchapp/perch/app/config"
)

// cleanStaleSockets removes the worker sockets killed workers left: those nothing listens on
// (a perch run beside the server may have live ones).
func cleanStaleSockets(dir string, log *slog.Logger) {
	socks, _ := filepath.Glob(filepath.Join(dir, "*.sock"))
	for _, s := range socks {
		if c, err := net.DialTimeout("unix", s, time.Second); err == nil {
			c.Close()
			continue
		}
		if err := os.Remove(s); err == nil {
			log.Info("removed a stale worker socket", "path", s)
		}
	}
}

// storedAPIKey returns the API key generated for a server reachable beyond loopback, made
// once and kept (mode 0600), so clients keep working across restarts.
func storedAPIKey(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if k := strings.TrimSpace(string(b)); k != "" {
			return k, nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read the API key: %w", err)
	}
	k := newAPIKey()
	if err := config.WriteFileAtomic(path, []byte(k+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("save the API key: %w", err)
	}
	return k, nil
}
