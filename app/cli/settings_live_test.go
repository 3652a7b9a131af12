package cli

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/sharedtest"
	"github.com/perchapp/perch/engine/synth/synthtest"
)

// The KV cache type and flash attention chosen in Settings are used by the next model load,
// with no restart: llama.cpp's cache for a synthetic model (head size 32) shrinks to about
// half with q8_0. stories260K (head size 8) cannot have a q8_0 cache: its load says so. A
// quantized cache with flash attention off is refused with a clear error, by the settings and
// by a load that asks for it.
func TestSettingsCacheTypeAppliesToNextLoad(t *testing.T) {
	stories := sharedtest.Model(t, "stories260K.gguf")
	synth := synthtest.Model(t, "tiny", "ggml-vocab-phi-3.gguf", "F16")
	dir := t.TempDir()
	for name, src := range map[string]string{"stories260K.gguf": stories, "synth-tiny.gguf": synth} {
		if err := os.Symlink(src, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PERCH_HOME", t.TempDir())
	t.Setenv("PERCH_MODELS_DIRS", dir)
	app, do := openLive(t)
	kvOfLoad := func(want string) int64 {
		t.Helper()
		if code, body := do("POST", "/perch/models/load", `{"name":"synth-tiny"}`); code != http.StatusOK {
			t.Fatalf("load: %d %s", code, body)
		}
		var st *engine.Status
		for _, s := range app.engine.Loaded() {
			st = &s
		}
		if st == nil || st.Options.KVType != want || st.Memory.KVBytes <= 0 {
			t.Fatalf("loaded %+v; want a %s cache", st, want)
		}
		if code, body := do("POST", "/perch/models/unload", `{"name":"synth-tiny"}`); code != http.StatusOK {
			t.Fatalf("unload: %d %s", code, body)
		}
		return st.Memory.KVBytes
	}
	f16 := kvOfLoad("")
	code, body := do("PUT", "/perch/settings", `{"kv_type":"q8_0","flash_attn":"auto"}`)
	if code != http.StatusOK || strings.Contains(body, `"kv_type"]`) {
		t.Fatalf("save q8_0: %d %s", code, body)
	}
	var v struct {
		RestartNeeded []string `json:"restart_needed"`
	}
	json.Unmarshal([]byte(body), &v)
	if len(v.RestartNeeded) != 0 {
		t.Errorf("the cache settings wait for a restart: %v", v.RestartNeeded)
	}
	q8 := kvOfLoad("q8_0")
	t.Logf("synth-tiny KV cache: f16 %d bytes, q8_0 %d bytes", f16, q8)
	if r := float64(q8) / float64(f16); r < 0.4 || r > 0.65 {
		t.Errorf("KV cache %d bytes with q8_0, %d with f16: ratio %.2f, want about 0.53", q8, f16, r)
	}

	code, body = do("POST", "/perch/models/load", `{"name":"stories260K"}`)
	if code != http.StatusBadRequest || !strings.Contains(body, "head size that is a multiple of 32") {
		t.Errorf("stories260K with a q8_0 cache: %d %s", code, body)
	}

	code, body = do("PUT", "/perch/settings", `{"kv_type":"q4_0","flash_attn":"off"}`)
	if code != http.StatusBadRequest || !strings.Contains(body, "needs flash attention") {
		t.Errorf("q4_0 with flash attention off: %d %s", code, body)
	}
	if s := app.settings.Get(); s.KVType != "q8_0" || s.FlashAttn != "auto" {
		t.Errorf("a refused change was saved: %q %q", s.KVType, s.FlashAttn)
	}
	// A request that turns flash attention off meets the q8_0 default: refused before loading.
	_, err := app.engine.Load(context.Background(), "synth-tiny", engine.LoadOptions{FlashAttn: "off"}, nil)
	var ee *engine.Error
	if !errors.As(err, &ee) || ee.Kind != engine.KindInvalid || !strings.Contains(ee.Message, "needs flash attention") {
		t.Errorf("load with flash attention off and a q8_0 cache: %v", err)
	}
	if n := len(app.engine.Loaded()); n != 0 {
		t.Errorf("%d models loaded after the refused load", n)
	}
	// Flash attention off with an f16 cache loads stories260K for real.
	if code, body := do("PUT", "/perch/settings", `{"kv_type":"f16","flash_attn":"off"}`); code != http.StatusOK {
		t.Fatalf("save f16 without flash attention: %d %s", code, body)
	}
	if code, body := do("POST", "/perch/models/load", `{"name":"stories260K"}`); code != http.StatusOK {
		t.Fatalf("load stories260K: %d %s", code, body)
	}
	if l := app.engine.Loaded(); len(l) != 1 || l[0].Options.FlashAttn != "off" || l[0].Options.KVType != "f16" {
		t.Errorf("loaded %+v; want stories260K with flash attention off", l)
	}
}

// The keep-alive chosen in Settings applies at once, with no restart: a model loaded after
// the change is kept for the new time, through the API and the engine alike.
func TestSettingsKeepAliveAppliesAtOnce(t *testing.T) {
	dir := t.TempDir()
	if err := os.Symlink(sharedtest.Model(t, "stories260K.gguf"), filepath.Join(dir, "stories260K.gguf")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PERCH_HOME", t.TempDir())
	t.Setenv("PERCH_MODELS_DIRS", dir)
	app, call := openLive(t)
	do := func(method, path, body string) string {
		t.Helper()
		code, b := call(method, path, body)
		if code != http.StatusOK {
			t.Fatalf("%s %s: %d %s", method, path, code, b)
		}
		return b
	}
	body := do("PUT", "/perch/settings", `{"keep_alive":"2h"}`)
	if strings.Contains(body, `"keep_alive"]`) || strings.Contains(body, `"keep_alive",`) {
		t.Fatalf("keep_alive waits for a restart: %s", body)
	}
	for _, load := range []func(){
		func() { do("POST", "/perch/models/load", `{"name":"stories260k"}`) },
		func() { app.engine.Load(context.Background(), "stories260k", engine.LoadOptions{}, nil) },
	} {
		load()
		var left time.Duration
		for _, st := range app.engine.Loaded() {
			left = time.Until(st.ExpiresAt)
		}
		if left < 110*time.Minute || left > 2*time.Hour {
			t.Errorf("kept for %s after load; want about 2h", left.Round(time.Second))
		}
		do("POST", "/perch/models/unload", `{"name":"stories260k"}`)
	}
}
