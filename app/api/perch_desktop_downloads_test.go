package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perchapp/perch/app/docs"
)

// The desktop window's folder dialog also chooses Settings' downloads folder: the folder is
// returned as picked, and saving it as download_dir is checked as a typed one is.
func TestPickFolderForDownloads(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	picker := &fakePicker{}
	env := newPerchEnv(t, Config{}, WithCollections(openDocs(t)), WithFolderPicker(picker))

	code, body := env.do(t, "POST", "/perch/desktop/pick-folder", `{"purpose":"downloads"}`)
	if code != 200 || strings.TrimSpace(body) != `{"path":"","cancelled":true}` {
		t.Fatalf("cancelled pick: %d %s", code, body)
	}
	models := filepath.Join(home, "Models")
	picker.set(models)
	code, body = env.do(t, "POST", "/perch/desktop/pick-folder", `{"purpose":"downloads","title":"Choose the downloads folder"}`)
	want, _ := json.Marshal(pickFolderResponse{Path: models})
	if code != 200 || strings.TrimSpace(body) != string(want) {
		t.Fatalf("pick: %d %s, want 200 %s", code, body, want)
	}
	if got := picker.calls(); len(got) != 2 || got[0] != "Choose the folder for downloaded models" || got[1] != "Choose the downloads folder" {
		t.Errorf("dialog titles %q", got)
	}
	if code, body := env.do(t, "PUT", "/perch/settings", fmt.Sprintf(`{"download_dir":%q}`, models)); code != 200 || env.settings.Get().DownloadDir != models {
		t.Errorf("saving the picked folder: %d %s", code, body)
	}
	// A picked folder is still checked when saved: a hidden one is refused.
	hidden := filepath.Join(home, ".cache", "models")
	if code, body := env.do(t, "PUT", "/perch/settings", fmt.Sprintf(`{"download_dir":%q}`, hidden)); code != http.StatusBadRequest || !strings.Contains(body, "hidden") {
		t.Errorf("saving a hidden folder: %d %s, want 400", code, body)
	}

	for _, tt := range []struct{ body, want string }{
		{`{"purpose":"music"}`, `"param":"purpose"`},
		{`{"purpose":"downloads","collection":1}`, `"param":"purpose"`},
	} {
		before := len(picker.calls())
		if code, body := env.do(t, "POST", "/perch/desktop/pick-folder", tt.body); code != 400 || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d %s, want 400 with %s", tt.body, code, body, tt.want)
		}
		if len(picker.calls()) != before {
			t.Errorf("%s opened the dialog", tt.body)
		}
	}
}

// TestSettingsErrorCodes: a refused setting names its field and a code the UI words in the
// user's language, with the English sentence as the message.
func TestSettingsErrorCodes(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	env := newPerchEnv(t, Config{})
	for _, tt := range []struct{ body, param, code, says string }{
		{`{"download_dir":"Models"}`, "download_dir", "dir_not_absolute", "not an absolute path"},
		{`{"download_dir":"/tmp/.hidden/models"}`, "download_dir", "dir_hidden", "hidden folder"},
		{`{"address":"localhost"}`, "address", "invalid_address", "host:port"},
		{`{"kv_type":"q4_0","flash_attn":"off"}`, "flash_attn", "kv_needs_flash_attn", "needs flash attention"},
	} {
		code, body := env.do(t, "PUT", "/perch/settings", tt.body)
		var e struct {
			Error struct{ Message, Code, Param string }
		}
		if err := json.Unmarshal([]byte(body), &e); err != nil || code != http.StatusBadRequest ||
			e.Error.Param != tt.param || e.Error.Code != tt.code || !strings.Contains(e.Error.Message, tt.says) {
			t.Errorf("%s: %d %s; want 400 with param %s, code %s", tt.body, code, body, tt.param, tt.code)
		}
	}
}

// TestCollectionPathNotAllowedCode: a folder the documents policy refuses (outside the home
// folder, hidden) carries a code the UI words in the user's language.
func TestCollectionPathNotAllowedCode(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	store := openDocs(t)
	env := newPerchEnv(t, Config{}, WithCollections(store))
	c, err := store.Create(context.Background(), docs.NewCollection{Name: "notes", EmbeddingModel: "stories260k"})
	if err != nil {
		t.Fatal(err)
	}
	hidden := filepath.Join(home, ".ssh")
	if err := os.Mkdir(hidden, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{hidden, t.TempDir()} {
		code, body := env.do(t, "POST", fmt.Sprintf("/perch/collections/%d/folders", c.ID), fmt.Sprintf(`{"path":%q,"stream":false}`, dir))
		if code != http.StatusBadRequest || !strings.Contains(body, `"code":"path_not_allowed"`) {
			t.Errorf("%s: %d %s, want 400 with code path_not_allowed", dir, code, body)
		}
	}
}
