package remote_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perchapp/perch/app/remote"
	"github.com/perchapp/perch/app/remote/remotetest"
)

func open(t *testing.T, opts remote.Options) (*remote.Manager, string) {
	t.Helper()
	dir := t.TempDir()
	m, err := remote.Open(filepath.Join(dir, "remotes.json"), &remote.FileKeys{Path: filepath.Join(dir, "keys.json")}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m, dir
}

func TestAddListRemove(t *testing.T) {
	v := remotetest.NewVLLM("sk-right")
	defer v.Close()
	m, dir := open(t, remote.Options{})
	st, err := m.Add(context.Background(), "gpu", v.URL+"/v1/", "", "sk-right")
	if err != nil {
		t.Fatal(err)
	}
	if st.Kind != remote.KindOpenAI || st.URL != v.URL || len(st.Models) != 3 || !st.HasKey || !st.Health.Reachable {
		t.Fatalf("added %+v", st)
	}
	fi, err := os.Stat(filepath.Join(dir, "keys.json"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v", fi, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "remotes.json")); strings.Contains(string(b), "sk-right") {
		t.Fatal("the key is in the endpoints file")
	}
	tg, ok := m.Resolve("gpu/" + remotetest.Chat)
	if !ok || tg.Model != remotetest.Chat || tg.Endpoint.Name != "gpu" {
		t.Fatalf("resolve: %+v %v", tg, ok)
	}
	for _, name := range []string{"hf.co/org/repo:Q4_K_M", "gpu", "other/x", "stories260k"} {
		if _, ok := m.Resolve(name); ok {
			t.Errorf("%q resolved to a remote", name)
		}
	}
	// A second manager on the same file (the CLI beside a running server) sees the change.
	other, err := remote.Open(filepath.Join(dir, "remotes.json"), &remote.FileKeys{Path: filepath.Join(dir, "keys.json")}, remote.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Remove("gpu"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	if _, ok := m.Resolve("gpu/" + remotetest.Chat); ok {
		t.Fatal("removed endpoint still resolves")
	}
	if k, _ := (&remote.FileKeys{Path: filepath.Join(dir, "keys.json")}).Get("gpu"); k != "" {
		t.Fatal("the key outlived its endpoint")
	}
	if err := m.Remove("gpu"); !errors.Is(err, remote.ErrNotFound) {
		t.Fatalf("removing twice: %v", err)
	}
}

// TestBadInput: each bad endpoint gets a clear error and nothing is kept.
func TestBadInput(t *testing.T) {
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Write([]byte("<!doctype html><html><body>Router login</body></html>"))
	}))
	defer html.Close()
	silent, err := net.Listen("tcp", "127.0.0.1:0") // accepts, never answers
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	closedURL := "http://" + closed.Addr().String()
	closed.Close()
	v := remotetest.NewVLLM("sk-right")
	defer v.Close()

	cases := []struct {
		name, url, key, want string
	}{
		{"not http", "ftp://gpu-box/v1", "", "must start with http:// or https://"},
		{"no scheme", "gpu-box:8000", "", "must start with http:// or https://"},
		{"HTML page", html.URL, "", "an HTML page"},
		{"never answers", "http://" + silent.Addr().String(), "", "did not answer in time"},
		{"nothing listening", closedURL, "", "is not reachable"},
		{"wrong key", v.URL, "sk-wrong", `refused the API key (HTTP 401)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, dir := open(t, remote.Options{ProbeTimeout: 300 * time.Millisecond, ConnectTimeout: 300 * time.Millisecond})
			start := time.Now()
			_, err := m.Add(context.Background(), "box", c.url, "", c.key)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
			if time.Since(start) > 3*time.Second {
				t.Fatalf("took %v", time.Since(start))
			}
			if _, err := os.Stat(filepath.Join(dir, "remotes.json")); !os.IsNotExist(err) {
				t.Fatal("a failed add wrote the endpoints file")
			}
			if _, err := os.Stat(filepath.Join(dir, "keys.json")); !os.IsNotExist(err) {
				t.Fatal("a failed add kept the key")
			}
		})
	}
	t.Run("bad name", func(t *testing.T) {
		m, _ := open(t, remote.Options{})
		for _, n := range []string{"", "Studio", "hf.co", "a/b", "x:y"} {
			if _, err := m.Add(context.Background(), n, v.URL, "", ""); !errors.Is(err, remote.ErrInvalid) {
				t.Errorf("name %q: %v", n, err)
			}
		}
	})
}

// TestHealth: an endpoint that goes away keeps its models listed, marked unreachable.
func TestHealth(t *testing.T) {
	v := remotetest.NewVLLM("")
	m, _ := open(t, remote.Options{ModelsTTL: time.Nanosecond, ConnectTimeout: 300 * time.Millisecond})
	if _, err := m.Add(context.Background(), "gpu", v.URL, remote.KindOpenAI, ""); err != nil {
		t.Fatal(err)
	}
	v.Close()
	// The list answers at once from the cache and checks behind it; the next one shows it.
	var sts []remote.Status
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		start := time.Now()
		var err error
		if sts, err = m.List(context.Background()); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took > 100*time.Millisecond {
			t.Fatalf("a list waited %v for a dead endpoint", took)
		}
		if !sts[0].Health.Reachable {
			break
		}
	}
	if len(sts) != 1 || sts[0].Health.Reachable || !strings.Contains(sts[0].Health.LastError, "not reachable") || len(sts[0].Models) != 3 {
		t.Fatalf("after the server went away: %+v", sts)
	}
}
