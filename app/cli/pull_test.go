package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/perchapp/perch/app/config"
	"github.com/perchapp/perch/app/library/fakehub"
	"github.com/perchapp/perch/app/library/registry"
	"github.com/perchapp/perch/engine/sharedtest"
)

// libEnv is a fake Hugging Face and Ollama registry with the shared models, and a PERCH_HOME
// of the test's own.
type libEnv struct {
	hub         *fakehub.Hub
	home        string
	storiesPath string
}

func newLibEnv(t *testing.T) *libEnv {
	t.Helper()
	e := &libEnv{hub: fakehub.New(t), home: t.TempDir()}
	e.storiesPath = sharedtest.Path(t, "models", "stories260K.gguf")
	stories := fakehub.ReadFile(t, e.storiesPath)
	tiny := fakehub.ReadFile(t, sharedtest.Path(t, "models", "llama-2-tiny-random.gguf"))
	e.hub.AddRepo("test/Stories-GGUF", false,
		fakehub.File{Path: "stories260K-Q4_K_M.gguf", Data: stories},
		fakehub.File{Path: "stories260K-Q8_0.gguf", Data: tiny})
	e.hub.AddOllama("library", "tiny", "latest",
		fakehub.Layer{MediaType: registry.MediaModel, Data: tiny},
		fakehub.Layer{MediaType: registry.MediaParams, Data: []byte(`{"stop":["foo","bar"],"top_p":0.9}`)},
		fakehub.Layer{MediaType: registry.MediaLicense, Data: []byte("MIT licence")})
	t.Setenv("PERCH_HOME", e.home)
	t.Setenv("HF_ENDPOINT", e.hub.URL)
	t.Setenv("HF_TOKEN", "")
	t.Setenv("HF_HOME", t.TempDir())
	t.Setenv("PERCH_MODELS_DIRS", "")
	// The fake registry is on loopback, which a reference naming a host may reach only when
	// the user allows it.
	st, err := config.Open(config.DefaultPaths().SettingsFile())
	if err != nil {
		t.Fatal(err)
	}
	set := st.Get()
	set.AllowPrivateURLs = true
	if err := st.Update(set); err != nil {
		t.Fatal(err)
	}
	return e
}

// perch runs the command line in this process and returns what it printed.
func perch(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := New("test")
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func mustPerch(t *testing.T, args ...string) string {
	t.Helper()
	out, err := perch(t, args...)
	if err != nil {
		t.Fatalf("perch %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func TestPullCommand(t *testing.T) {
	e := newLibEnv(t)
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"pull", "hf.co/test/Stories-GGUF"}, []string{"pulling manifest", "pulling 270cba1bd510", "verifying sha256 digest", "success", "hf.co/test/Stories-GGUF:Q4_K_M is ready: llama, 292.8K F32"}},
		{[]string{"pull", e.hub.Host + "/library/tiny"}, []string{"success", "/library/tiny:latest is ready"}},
		{[]string{"pull", e.storiesPath, "--name", "mine"}, []string{"importing", "mine:latest is ready"}},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			out := mustPerch(t, c.args...)
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestPullCommandErrors(t *testing.T) {
	e := newLibEnv(t)
	cases := []struct {
		ref  string
		want string
	}{
		{"../../x", "invalid model name"},
		{"hf.co/test/Stories-GGUF:Q5_K_M", "it has: Q4_K_M, Q8_0"},
		{"hf.co/test/Missing-GGUF", "not found"},
		{e.hub.Host + "/library/nope", "not found"},
		{"http://example.com/model.gguf", "use https"},
	}
	for _, c := range cases {
		t.Run(c.ref, func(t *testing.T) {
			out, err := perch(t, "pull", c.ref)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q\n%s", err, c.want, out)
			}
		})
	}
	if out := mustPerch(t, "list"); !strings.Contains(out, "No models yet") {
		t.Errorf("failed pulls left models:\n%s", out)
	}
}
