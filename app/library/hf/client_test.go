package hf

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/perchapp/perch/app/library/fakehub"
	"github.com/perchapp/perch/engine/sharedtest"
)

func hub(t *testing.T) *fakehub.Hub {
	t.Helper()
	h := fakehub.New(t)
	stories := fakehub.ReadFile(t, sharedtest.Path(t, "models", "stories260K.gguf"))
	tiny := fakehub.ReadFile(t, sharedtest.Path(t, "models", "llama-2-tiny-random.gguf"))
	h.AddRepo("test/Stories-GGUF", false,
		fakehub.File{Path: "stories260K-Q4_K_M.gguf", Data: stories},
		fakehub.File{Path: "stories260K-F16.gguf", Data: tiny},
		fakehub.File{Path: "big/Q8_0/stories260K-Q8_0-00001-of-00002.gguf", Data: stories[:1000]},
		fakehub.File{Path: "big/Q8_0/stories260K-Q8_0-00002-of-00002.gguf", Data: stories[1000:]},
	)
	h.AddRepo("test/Gated-GGUF", true, fakehub.File{Path: "gated-Q4_K_M.gguf", Data: stories})
	h.AddRepo("test/NoGGUF", false, fakehub.File{Path: "model.safetensors", Data: []byte("x")})
	return h
}

func TestFilesAndResolve(t *testing.T) {
	h := hub(t)
	for _, page := range []int{0, 2} {
		h.SetPageSize(page)
		c := New(h.URL, "", nil)
		files, err := c.Files(context.Background(), "test/Stories-GGUF")
		if err != nil {
			t.Fatal(err)
		}
		if len(files) != 5 { // .gitattributes + 4
			t.Errorf("page size %d: %d files, want 5: %+v", page, len(files), files)
		}
		q, err := c.Resolve(context.Background(), "test/Stories-GGUF", "q8_0")
		if err != nil {
			t.Fatal(err)
		}
		if q.Name != "Q8_0" || len(q.Files) != 2 || q.Files[0].SHA256 == "" || q.Size != 1185376 {
			t.Errorf("Resolve q8_0 = %+v", q)
		}
	}
	h.SetPageSize(0)
	c := New(h.URL, "", nil)
	q, err := c.Resolve(context.Background(), "test/Stories-GGUF", "")
	if err != nil || q.Name != "Q4_K_M" {
		t.Errorf("recommended = %+v, %v; want Q4_K_M", q, err)
	}
}

func TestErrors(t *testing.T) {
	h := hub(t)
	cases := []struct {
		name, repo, token string
		is                error
		says              string
	}{
		{"unknown repo", "test/Nope", "", ErrNotFound, "set HF_TOKEN"},
		{"no gguf", "test/NoGGUF", "", nil, "has no GGUF files"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(h.URL, c.token, nil).Resolve(context.Background(), c.repo, "")
			if err == nil || (c.is != nil && !errors.Is(err, c.is)) || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("err = %v, want %v saying %q", err, c.is, c.says)
			}
		})
	}
}

func TestGatedModelInfo(t *testing.T) {
	h := hub(t)
	m, err := New(h.URL, "", nil).Model(context.Background(), "test/Gated-GGUF")
	if err != nil {
		t.Fatal(err)
	}
	if !m.IsGated() || m.ID != "test/Gated-GGUF" {
		t.Errorf("model info %+v, want gated", m)
	}
	m, err = New(h.URL, "", nil).Model(context.Background(), "test/Stories-GGUF")
	if err != nil || m.IsGated() || len(m.Siblings) != 6 {
		t.Errorf("model info %+v, %v", m, err)
	}
}

func TestSearch(t *testing.T) {
	h := hub(t)
	res, err := New(h.URL, "", nil).Search(context.Background(), "gguf", 10)
	if err != nil {
		t.Fatal(err)
	}
	var repos []string
	for _, r := range res {
		repos = append(repos, r.Repo)
	}
	if !slices.Contains(repos, "test/Stories-GGUF") || slices.Contains(repos, "test/NoGGUF") {
		t.Fatalf("search found %v", repos)
	}
	for _, r := range res {
		if r.Repo == "test/Stories-GGUF" && !slices.Equal(r.Quants, []string{"Q4_K_M", "Q8_0", "F16"}) {
			t.Errorf("quants %v, want [Q4_K_M Q8_0 F16]", r.Quants)
		}
	}
}

func TestEnvToken(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("HF_TOKEN", "")
	t.Setenv("HUGGING_FACE_HUB_TOKEN", "")
	t.Setenv("HF_TOKEN_PATH", "")
	t.Setenv("HF_HOME", dir)
	if got := EnvToken(); got != "" {
		t.Errorf("EnvToken() = %q with nothing set", got)
	}
	t.Setenv("HF_TOKEN", " hf_abc ")
	if got := EnvToken(); got != "hf_abc" {
		t.Errorf("EnvToken() = %q, want hf_abc", got)
	}
}

func TestRetriesServerErrors(t *testing.T) {
	// A closed port: every attempt fails; the client gives up with the endpoint in the error.
	c := New("http://127.0.0.1:1", "", nil).WithRetries(2, time.Millisecond)
	_, err := c.Model(context.Background(), "a/b")
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("err = %v", err)
	}
}

// TestRetryRules: a busy Hub (503, 429) is asked again until it answers; a missing
// repository (404) is not asked twice.
func TestRetryRules(t *testing.T) {
	var asked atomic.Int32
	busy := map[int32]int{1: http.StatusServiceUnavailable, 2: http.StatusTooManyRequests}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := asked.Add(1)
		switch {
		case strings.HasSuffix(r.URL.Path, "/a/missing"):
			http.Error(w, `{"error":"Repository not found"}`, http.StatusNotFound)
		case busy[n] != 0:
			w.WriteHeader(busy[n])
		default:
			w.Write([]byte(`{"id":"a/b"}`))
		}
	}))
	defer srv.Close()
	c := New(srv.URL, "", nil).WithRetries(3, time.Millisecond)
	m, err := c.Model(context.Background(), "a/b")
	if err != nil || m.ID != "a/b" || asked.Load() != 3 {
		t.Errorf("busy twice: %+v, %v after %d requests; want the answer after 3", m, err, asked.Load())
	}
	asked.Store(10)
	if _, err := c.Model(context.Background(), "a/missing"); !errors.Is(err, ErrNotFound) || asked.Load() != 11 {
		t.Errorf("missing: %v after %d requests; want ErrNotFound after 1", err, asked.Load()-10)
	}
}
