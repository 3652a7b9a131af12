package library

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/perchapp/perch/app/library/download"
	"github.com/perchapp/perch/app/library/fakehub"
	"github.com/perchapp/perch/app/library/ggufmeta"
	"github.com/perchapp/perch/app/library/hf"
	"github.com/perchapp/perch/engine"
)

func TestPullHuggingFace(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	cases := []struct {
		ref, name, quant string
		parts            int
		size             int64
	}{
		{"hf.co/test/Stories-GGUF", "hf.co/test/Stories-GGUF:Q4_K_M", "F32", 1, int64(len(e.stories))},
		{"hf.co/test/Stories-GGUF:q8_0", "hf.co/test/Stories-GGUF:Q8_0", "F16", 1, int64(len(e.tiny))},
		{"huggingface.co/test/Stories-GGUF:F32", "hf.co/test/Stories-GGUF:F32", "F32", 3, 0},
		{"https://huggingface.co/test/Stories-GGUF/resolve/main/sub/dir/Tiny-IQ4_XS.gguf", "hf.co/test/Stories-GGUF:IQ4_XS", "F16", 1, int64(len(e.tiny))},
		// A URL to a split GGUF's first part pulls every part.
		{"https://huggingface.co/test/Stories-GGUF/resolve/main/F32/stories260K-F32-00001-of-00003.gguf", "hf.co/test/Stories-GGUF:F32", "F32", 3, 0},
	}
	for _, c := range cases {
		t.Run(c.ref, func(t *testing.T) {
			var statuses []string
			m, err := s.Pull(context.Background(), c.ref, func(p Progress) {
				if len(statuses) == 0 || statuses[len(statuses)-1] != p.Status {
					statuses = append(statuses, p.Status)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if m.Name != c.name || m.Quantization != c.quant || len(m.Files) != c.parts || m.Architecture != "llama" {
				t.Errorf("pulled %+v", m)
			}
			if c.size > 0 && m.Size != c.size {
				t.Errorf("size %d, want %d", m.Size, c.size)
			}
			if m.Source != c.ref || m.Path != m.Files[0] {
				t.Errorf("source %q path %q", m.Source, m.Path)
			}
			if m.Digest != fileDigest(t, m.Path) {
				t.Errorf("digest %s is not the file's", m.Digest)
			}
			// The file is a plain GGUF other tools open, split parts included.
			info, err := ggufmeta.Read(m.Path)
			if err != nil || info.Parts != c.parts {
				t.Errorf("the model file reads as %d parts (%v), want %d", info.Parts, err, c.parts)
			}
			if statuses[0] != "pulling manifest" || statuses[len(statuses)-1] != "success" || !strings.HasPrefix(statuses[1], "pulling ") {
				t.Errorf("statuses %v", statuses)
			}
			got, err := s.Get(context.Background(), c.name)
			if err != nil || got.Path != m.Path {
				t.Errorf("Get(%s) = %+v, %v", c.name, got, err)
			}
		})
	}
	if got := names(t, s); len(got) != 4 {
		t.Errorf("list %v, want 4 models", got)
	}
	// A name without a tag finds the best local quantization.
	m, err := s.Get(context.Background(), "hf.co/test/Stories-GGUF")
	if err != nil || m.Name != "hf.co/test/Stories-GGUF:Q4_K_M" {
		t.Errorf("Get without tag = %s, %v", m.Name, err)
	}
	// Pulling again downloads nothing.
	before := e.hub.Served(e.storiesHex)
	if _, err := s.Pull(context.Background(), "hf.co/test/Stories-GGUF:Q4_K_M", nil); err != nil {
		t.Fatal(err)
	}
	if e.hub.Served(e.storiesHex) != before {
		t.Errorf("a second pull of a stored model downloaded again")
	}
}

func TestPullOllama(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	m, err := s.Pull(context.Background(), e.ollama("tiny"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != e.hub.Host+"/library/tiny:latest" || m.Template != "{{ .System }}{{ .Prompt }}" || m.System != "You are tiny." || m.License != "MIT" {
		t.Errorf("model %+v", m)
	}
	if m.Params["seed"] != 42.0 {
		t.Errorf("params %v", m.Params)
	}
	ref, err := s.Resolve(context.Background(), e.ollama("tiny:latest"))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ref.Stop, []string{"foo", "bar"}) || ref.Path != m.Path || ref.Digest != "sha256:"+e.tinyHex {
		t.Errorf("resolved %+v", ref)
	}
}

// A file two names use is stored once, and removed only with the last of them.
func TestSharedBlobs(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	ctx := context.Background()
	a, err := s.Pull(ctx, "hf.co/test/Stories-GGUF:Q4_K_M", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Pull(ctx, e.ollama("stories:260k"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if a.Path != b.Path || len(blobs(t, s)) != 1 {
		t.Fatalf("two names of one file: paths %s, %s; blobs %v", a.Path, b.Path, blobs(t, s))
	}
	if _, err := s.Copy(ctx, a.Name, "mystories:v1"); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{a.Name, b.Name} {
		if err := s.Remove(ctx, n); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(a.Path); err != nil {
			t.Fatalf("blob removed while mystories:v1 still uses it")
		}
	}
	if got := names(t, s); !slices.Equal(got, []string{"mystories:v1"}) {
		t.Errorf("list %v", got)
	}
	if err := s.Remove(ctx, "mystories:v1"); err != nil {
		t.Fatal(err)
	}
	if len(blobs(t, s)) != 0 {
		t.Errorf("blobs left: %v", blobs(t, s))
	}
	if err := s.Remove(ctx, "mystories:v1"); !errors.Is(err, engine.ErrUnknownModel) {
		t.Errorf("second remove: %v", err)
	}
	// Empty manifest folders go too.
	if ents, _ := os.ReadDir(filepath.Join(s.Root(), "manifests")); len(ents) != 0 {
		t.Errorf("manifests/ keeps %d entries", len(ents))
	}
}

func TestPullErrors(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		ref  string
		is   error
		says []string
	}{
		{"hf.co/test/Stories-GGUF:Q5_K_M", nil, []string{"no Q5_K_M GGUF", "Q4_K_M", "F32", "Q8_0", "IQ4_XS"}},
		{"hf.co/test/NoGGUF", nil, []string{"no GGUF files"}},
		{"hf.co/test/Nope-GGUF", hf.ErrNotFound, []string{"hf.co/test/Nope-GGUF"}},
		{"hf.co/test/Gated-GGUF", hf.ErrGated, []string{"HF_TOKEN", "access token"}},
		{"hf.co/test/Fake-GGUF", ggufmeta.ErrNotGGUF, []string{"not a GGUF"}},
		{"hf.co/test/Vocab-GGUF", nil, []string{"vocabulary-only"}},
		{e.ollama("tiny:nope"), nil, []string{"not found", "tiny:nope"}},
		{"../../x", ErrInvalidName, []string{`".."`}},
		{"https://huggingface.co/test/Stories-GGUF/resolve/main/none.gguf", hf.ErrNotFound, []string{"none.gguf"}},
	}
	for _, c := range cases {
		t.Run(c.ref, func(t *testing.T) {
			e.root = t.TempDir()
			s := e.open(t)
			_, err := s.Pull(context.Background(), c.ref, nil)
			if err == nil {
				t.Fatal("no error")
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("err = %v, want %v", err, c.is)
			}
			for _, w := range c.says {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err %q does not say %q", err, w)
				}
			}
			if got := names(t, s); len(got) != 0 {
				t.Errorf("listed after a failed pull: %v", got)
			}
			if b := blobs(t, s); len(b) != 0 {
				t.Errorf("blobs after a failed pull: %v", b)
			}
		})
	}
}

func TestPullGatedWithToken(t *testing.T) {
	e := newEnv(t)
	s := e.open(t, WithHF(e.hub.URL, e.hub.Token))
	m, err := s.Pull(context.Background(), "hf.co/test/Gated-GGUF", nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Name != "hf.co/test/Gated-GGUF:Q4_K_M" {
		t.Errorf("name %s", m.Name)
	}
	e.root = t.TempDir() // the blob is not there yet
	s = e.open(t, WithHF(e.hub.URL, "hf_wrong"))
	if _, err := s.Pull(context.Background(), "hf.co/test/Gated-GGUF:Q4_K_M", nil); err == nil {
		t.Error("a wrong token pulled a gated model")
	}
}

// A connection cut at 50% (no retries) fails the pull; pulling again (a new process) resumes,
// and the server sends about one file in all.
func TestPullResumesAfterDrop(t *testing.T) {
	e := newEnv(t)
	e.hub.SetFault(e.storiesHex, fakehub.Fault{DropAfter: int64(len(e.stories)) / 2})
	s := e.open(t, WithRetries(0, 0))
	if _, err := s.Pull(context.Background(), "hf.co/test/Stories-GGUF:Q4_K_M", nil); err == nil {
		t.Fatal("pull through a cut connection succeeded without retries")
	}
	if got := names(t, s); len(got) != 0 {
		t.Fatalf("listed after a cut: %v", got)
	}
	s = e.open(t)
	if _, err := s.Pull(context.Background(), "hf.co/test/Stories-GGUF:Q4_K_M", nil); err != nil {
		t.Fatal(err)
	}
	if served := e.hub.Served(e.storiesHex); served > int64(len(e.stories))*11/10 {
		t.Errorf("served %d bytes for a %d-byte file", served, len(e.stories))
	}
}

func TestPullFaults(t *testing.T) {
	t.Run("corrupt byte", func(t *testing.T) {
		e := newEnv(t)
		e.hub.SetFault(e.storiesHex, fakehub.Fault{Corrupt: true})
		s := e.open(t)
		_, err := s.Pull(context.Background(), "hf.co/test/Stories-GGUF:Q4_K_M", nil)
		if !errors.Is(err, download.ErrDigestMismatch) || !strings.Contains(err.Error(), "deleted") {
			t.Fatalf("err = %v, want a digest mismatch", err)
		}
		ents, _ := os.ReadDir(filepath.Join(s.Root(), "blobs"))
		if len(ents) != 0 || len(names(t, s)) != 0 {
			t.Errorf("left behind: %d blob files, models %v", len(ents), names(t, s))
		}
	})
	t.Run("500 then success", func(t *testing.T) {
		e := newEnv(t)
		e.hub.SetFault(e.storiesHex, fakehub.Fault{FailFirst: 1})
		s := e.open(t, WithDownloadOptions(download.WithSegments(1, 1)))
		if _, err := s.Pull(context.Background(), "hf.co/test/Stories-GGUF:Q4_K_M", nil); err != nil {
			t.Fatal(err)
		}
		if n := e.hub.Requests("/cdn/" + e.storiesHex); n != 2 {
			t.Errorf("%d requests, want 2", n)
		}
	})
	t.Run("404 not retried", func(t *testing.T) {
		e := newEnv(t)
		e.hub.SetFault(e.storiesHex, fakehub.Fault{FailFirst: 5, FailStatus: http.StatusNotFound})
		s := e.open(t, WithDownloadOptions(download.WithSegments(1, 1)))
		_, err := s.Pull(context.Background(), "hf.co/test/Stories-GGUF:Q4_K_M", nil)
		if err == nil || !strings.Contains(err.Error(), "not found") {
			t.Fatalf("err = %v", err)
		}
		if n := e.hub.Requests("/cdn/" + e.storiesHex); n != 1 {
			t.Errorf("%d requests, want 1", n)
		}
	})
	t.Run("disk full", func(t *testing.T) {
		e := newEnv(t)
		s := e.open(t, WithDownloadOptions(download.WithFileWrapper(func(f *os.File) download.File {
			return &fakehub.FullDisk{File: f, Limit: 200 << 10}
		})))
		_, err := s.Pull(context.Background(), "hf.co/test/Stories-GGUF:Q4_K_M", nil)
		if !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("err = %v, want ENOSPC", err)
		}
		if got := names(t, s); len(got) != 0 || len(blobs(t, s)) != 0 {
			t.Errorf("after a full disk: models %v, blobs %v", got, blobs(t, s))
		}
	})
	t.Run("not enough space", func(t *testing.T) {
		e := newEnv(t)
		s := e.open(t, WithDownloadOptions(download.WithFreeSpace(func(string) (uint64, error) { return 1 << 10, nil })))
		_, err := s.Pull(context.Background(), "hf.co/test/Stories-GGUF:F32", nil)
		var se *download.SpaceError
		if !errors.As(err, &se) || se.Free != 1<<10 || se.Need < uint64(len(e.stories)) {
			t.Fatalf("err = %v, want a SpaceError with the numbers", err)
		}
		if !strings.Contains(err.Error(), "1.0 kB") {
			t.Errorf("err %q does not give the free space", err)
		}
	})
}

// Two pulls of one model at once share one download.
func TestConcurrentPullsShareDownload(t *testing.T) {
	e := newEnv(t)
	e.hub.SetFault(e.storiesHex, fakehub.Fault{BytesPerSecond: 2 << 20})
	s := e.open(t)
	var wg sync.WaitGroup
	models := make([]Model, 3)
	errs := make([]error, 3)
	refs := []string{"hf.co/test/Stories-GGUF:Q4_K_M", "hf.co/test/Stories-GGUF:q4_k_m", e.ollama("stories:260k")}
	for i, ref := range refs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			models[i], errs[i] = s.Pull(context.Background(), ref, nil)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("pull %s: %v", refs[i], err)
		}
	}
	if models[0].Path != models[2].Path {
		t.Errorf("different files for one blob")
	}
	if served := e.hub.Served(e.storiesHex); served > int64(len(e.stories))*11/10 {
		t.Errorf("served %d bytes for a %d-byte file: the pulls did not share", served, len(e.stories))
	}
}

// A slow server: progress keeps moving, the pull is listed, and cancelling it (by context or
// by reference) stops it and keeps the partial download.
func TestSlowPullCancel(t *testing.T) {
	e := newEnv(t)
	e.hub.SetFault(e.storiesHex, fakehub.Fault{BytesPerSecond: 100 << 10})
	s := e.open(t)
	ref := "hf.co/test/Stories-GGUF:Q4_K_M"

	t.Run("by context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		var mu sync.Mutex
		var completed []int64
		_, err := s.Pull(ctx, ref, func(p Progress) {
			mu.Lock()
			defer mu.Unlock()
			if p.Completed > 0 && (len(completed) == 0 || p.Completed > completed[len(completed)-1]) {
				completed = append(completed, p.Completed)
			}
			if len(completed) >= 3 {
				cancel()
			}
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
		if len(s.Pulls()) != 0 {
			t.Errorf("still listed after cancel: %+v", s.Pulls())
		}
	})
	t.Run("by reference", func(t *testing.T) {
		done := make(chan error, 1)
		go func() {
			_, err := s.Pull(context.Background(), ref, nil)
			done <- err
		}()
		deadline := time.Now().Add(5 * time.Second)
		for len(s.Pulls()) == 0 || s.Pulls()[0].Progress.Completed == 0 {
			if time.Now().After(deadline) {
				t.Fatal("the pull never showed progress")
			}
			time.Sleep(10 * time.Millisecond)
		}
		if p := s.Pulls()[0]; p.Ref != ref || p.Progress.Total != int64(len(e.stories)) {
			t.Errorf("pull status %+v", p)
		}
		if !s.CancelPull("hf.co/test/Stories-GGUF:q4_k_m") {
			t.Fatal("CancelPull found nothing")
		}
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("err = %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("cancel did not stop the pull")
		}
	})
	if left := download.Remaining(s.blobPath("sha256:"+e.storiesHex), int64(len(e.stories))); left >= int64(len(e.stories)) {
		t.Errorf("the partial download was not kept")
	}
	if got := names(t, s); len(got) != 0 {
		t.Errorf("listed: %v", got)
	}
}

func TestInspectRemote(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	cases := []struct {
		ref   string
		parts int
		ctx   uint64
	}{
		{"hf.co/test/Stories-GGUF:Q4_K_M", 1, 2048},
		{"hf.co/test/Stories-GGUF:F32", 3, 2048},
		{e.ollama("tiny"), 1, 4096},
	}
	for _, c := range cases {
		t.Run(c.ref, func(t *testing.T) {
			info, err := s.Inspect(context.Background(), c.ref)
			if err != nil {
				t.Fatal(err)
			}
			if info.Architecture != "llama" || info.ContextLength != c.ctx || info.Parts != c.parts || info.File == nil || info.BlockCount == 0 {
				t.Errorf("info %+v", info)
			}
		})
	}
	if got := names(t, s); len(got) != 0 {
		t.Errorf("inspect stored models: %v", got)
	}
}

func TestPullURL(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	// "localhost" is not the Hugging Face endpoint's host (127.0.0.1), so these are plain
	// URLs. The CDN's ETag is the sha256; the resolve URL's X-Linked-Etag too.
	local := strings.Replace(e.hub.URL, "127.0.0.1", "localhost", 1)
	cases := []struct {
		url, name, opt, digest string
	}{
		{local + "/cdn/" + e.tinyHex + "/Tiny-F16.gguf", "tiny-f16:latest", "", e.tinyHex},
		{local + "/test/Stories-GGUF/resolve/main/stories260K-Q4_K_M.gguf", "stories260k-q4_k_m:latest", "", e.storiesHex},
		{local + "/test/Stories-GGUF/resolve/main/stories260K-Q4_K_M.gguf", "story:latest", "story", e.storiesHex},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var opts []PullOption
			if c.opt != "" {
				opts = append(opts, WithName(c.opt))
			}
			m, err := s.Pull(context.Background(), c.url, nil, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if m.Name != c.name || m.Digest != "sha256:"+c.digest || m.Source != c.url {
				t.Errorf("model %+v", m)
			}
		})
	}
	// Through the endpoint's own host the same URL is a Hugging Face reference.
	m, err := s.Pull(context.Background(), e.hub.URL+"/test/Stories-GGUF/resolve/main/stories260K-Q8_0.gguf", nil)
	if err != nil || m.Name != "hf.co/test/Stories-GGUF:Q8_0" {
		t.Errorf("endpoint URL pulled as %q, %v", m.Name, err)
	}
}

func partialFiles(t *testing.T, s *Store) []string {
	t.Helper()
	ents, _ := os.ReadDir(filepath.Join(s.Root(), "blobs"))
	var out []string
	for _, e := range ents {
		if strings.Contains(e.Name(), ".partial") {
			out = append(out, e.Name())
		}
	}
	return out
}

// DiscardPull stops a running pull and deletes what it downloaded so far; without a
// running pull (another process, a restart) it finds the partial files from the reference.
func TestDiscardPull(t *testing.T) {
	e := newEnv(t)
	e.hub.SetFault(e.storiesHex, fakehub.Fault{BytesPerSecond: 100 << 10})
	s := e.open(t)
	ref := "hf.co/test/Stories-GGUF:Q4_K_M"
	done := make(chan error, 1)
	go func() {
		_, err := s.Pull(context.Background(), ref, nil)
		done <- err
	}()
	for len(s.Pulls()) == 0 || s.Pulls()[0].Progress.Completed == 0 {
		time.Sleep(10 * time.Millisecond)
	}
	if err := s.DiscardPull(context.Background(), ref); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("pull ended with %v", err)
	}
	if p := partialFiles(t, s); len(p) != 0 {
		t.Errorf("left: %v", p)
	}

	// A pull that failed in an earlier process.
	e.hub.SetFault(e.storiesHex, fakehub.Fault{DropAfter: int64(len(e.stories)) / 2})
	if _, err := e.open(t, WithRetries(0, 0)).Pull(context.Background(), ref, nil); err == nil {
		t.Fatal("the cut pull succeeded")
	}
	s = e.open(t)
	if len(partialFiles(t, s)) == 0 {
		t.Fatal("no partial files to discard")
	}
	if err := s.DiscardPull(context.Background(), ref); err != nil {
		t.Fatal(err)
	}
	if p := partialFiles(t, s); len(p) != 0 {
		t.Errorf("left: %v", p)
	}
}

func TestPrune(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	m, err := s.Pull(context.Background(), "hf.co/test/Stories-GGUF:Q8_0", nil)
	if err != nil {
		t.Fatal(err)
	}
	stray := s.blobPath("sha256:" + e.storiesHex) // as a failed multi-file pull leaves
	if err := os.WriteFile(stray, e.stories, 0o644); err != nil {
		t.Fatal(err)
	}
	freed, err := s.Prune(context.Background())
	if err != nil || freed != int64(len(e.stories)) {
		t.Fatalf("Prune = %d, %v; want %d", freed, err, len(e.stories))
	}
	if _, err := os.Stat(stray); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the stray blob is still there")
	}
	if _, err := os.Stat(m.Path); err != nil {
		t.Errorf("Prune removed a model's file: %v", err)
	}
}

// A blob's recorded sample checksum (verify.go) goes with the blob, whether the model is
// removed or the blob pruned; one left behind by an older version is pruned too.
func TestSampleFilesGoWithBlobs(t *testing.T) {
	e := newEnv(t)
	s := e.open(t)
	ctx := context.Background()
	m, err := s.Pull(ctx, "hf.co/test/Stories-GGUF:Q8_0", nil)
	if err != nil {
		t.Fatal(err)
	}
	stray := s.blobPath("sha256:" + e.storiesHex)
	orphan := s.blobPath("sha256:" + strings.Repeat("0", 64))
	for _, p := range []string{stray, samplePath(stray), samplePath(m.Path), samplePath(orphan)} {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Prune(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, m.Name); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(filepath.Dir(m.Path))
	for _, e := range ents {
		t.Errorf("left in blobs/: %s", e.Name())
	}
}
