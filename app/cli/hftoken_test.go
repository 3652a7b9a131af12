package cli

import (
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/perchapp/perch/app/config"
	"github.com/perchapp/perch/app/library/fakehub"
)

// A Hugging Face token set in Settings is kept outside the settings file (a 0600 file here,
// the Keychain on macOS), never sent back in full, and used by the next download: a gated
// repository refused without it downloads with it. Clearing it falls back to HF_TOKEN.
func TestSettingsHFToken(t *testing.T) {
	e := newLibEnv(t)
	e.hub.AddRepo("test/Gated-GGUF", true, fakehub.File{Path: "stories260K-Q8_0.gguf", Data: fakehub.ReadFile(t, e.storiesPath)})
	_, do := openLive(t)
	const pull = `{"model":"hf.co/test/Gated-GGUF","stream":false}`
	if code, body := do("GET", "/perch/settings/hf-token", ""); code != 200 || body != `{"set":false}` {
		t.Fatalf("no token yet: %d %s", code, body)
	}
	if code, body := do("POST", "/api/pull", pull); code < 400 || !strings.Contains(body, "token") {
		t.Fatalf("gated pull without a token: %d %s", code, body)
	}

	for _, bad := range []string{`{"token":""}`, `{"token":"short"}`, `{"token":"hf_has a space"}`, `{"token":"hf_토큰토큰토큰"}`, `{"token":1}`} {
		if code, body := do("PUT", "/perch/settings/hf-token", bad); code != http.StatusBadRequest || !strings.Contains(body, "token") {
			t.Errorf("PUT %s: %d %s", bad, code, body)
		}
	}
	code, body := do("PUT", "/perch/settings/hf-token", `{"token":"  hf_test_token "}`)
	if code != 200 || body != `{"set":true,"last4":"oken","source":"settings"}` {
		t.Fatalf("set the token: %d %s", code, body)
	}
	if code, body := do("POST", "/api/pull", pull); code != 200 || !strings.Contains(body, "success") {
		t.Fatalf("gated pull with the token: %d %s", code, body)
	}
	paths := config.DefaultPaths()
	if b, _ := os.ReadFile(paths.SettingsFile()); strings.Contains(string(b), "hf_test_token") {
		t.Error("the token is in the settings file")
	}
	if runtime.GOOS != "darwin" {
		st, err := os.Stat(paths.SecretsFile())
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("secrets file: %v %v; want mode 0600", st, err)
		}
	}
	// The command line's store sends the saved token too.
	s, err := openStore(nil)
	if err != nil || s.HF().Token() != "hf_test_token" {
		t.Errorf("the command line's store: %v", err)
	}

	t.Setenv("HF_TOKEN", "hf_from_environment")
	if code, body := do("DELETE", "/perch/settings/hf-token", ""); code != 200 || body != `{"set":true,"last4":"ment","source":"environment"}` {
		t.Errorf("clear the token: %d %s", code, body)
	}
	if runtime.GOOS != "darwin" {
		if b, _ := os.ReadFile(paths.SecretsFile()); strings.Contains(string(b), "hf_test_token") {
			t.Error("the cleared token is still kept")
		}
	}
}

// New downloads go to the folder chosen in Settings, with no restart; the model downloaded
// before stays where it is and stays listed; the storage report shows both folders and a
// models folder with their bytes and free space. A hidden folder is refused and changes
// nothing.
func TestSettingsDownloadDirAndStorage(t *testing.T) {
	e := newLibEnv(t)
	models := filepath.Join(t.TempDir(), "gguf")
	if err := os.MkdirAll(models, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(e.storiesPath, filepath.Join(models, "stories.gguf")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PERCH_MODELS_DIRS", models)
	_, do := openLive(t)
	if code, body := do("POST", "/api/pull", `{"model":"hf.co/test/Stories-GGUF:Q4_K_M","stream":false}`); code != 200 {
		t.Fatalf("first pull: %d %s", code, body)
	}
	chosen := filepath.Join(t.TempDir(), "External", "Models")
	hidden := filepath.Join(t.TempDir(), ".hidden", "Models")
	if code, body := do("PUT", "/perch/settings", `{"download_dir":"`+hidden+`"}`); code != 400 || !strings.Contains(body, "hidden folder") {
		t.Errorf("a hidden folder: %d %s", code, body)
	}
	if code, body := do("PUT", "/perch/settings", `{"download_dir":"`+chosen+`"}`); code != 200 || strings.Contains(body, `"download_dir"]`) {
		t.Fatalf("choose the downloads folder: %d %s", code, body)
	}
	if code, body := do("POST", "/api/pull", `{"model":"hf.co/test/Stories-GGUF:Q8_0","stream":false}`); code != 200 {
		t.Fatalf("second pull: %d %s", code, body)
	}
	blobs, _ := filepath.Glob(filepath.Join(chosen, "blobs", "sha256-*"))
	if len(blobs) != 1 {
		t.Errorf("the chosen folder holds %v, want the second model's blob", blobs)
	}
	_, tags := do("GET", "/api/tags", "")
	for _, m := range []string{"Stories-GGUF:Q4_K_M", "Stories-GGUF:Q8_0", `"stories:latest"`} {
		if !strings.Contains(tags, m) {
			t.Errorf("/api/tags lacks %s: %s", m, tags)
		}
	}
	code, body := do("GET", "/perch/settings/storage", "")
	if code != 200 {
		t.Fatalf("storage: %d %s", code, body)
	}
	for _, want := range []string{`"path":"` + chosen + `","kind":"downloads"`, `"kind":"earlier"`, `"path":"` + models + `","kind":"folder"`, `"free_bytes":`} {
		if !strings.Contains(body, want) {
			t.Errorf("storage lacks %s: %s", want, body)
		}
	}
	if strings.Contains(body, `"used_bytes":0`) {
		t.Errorf("a folder with a model reports no bytes: %s", body)
	}
}
