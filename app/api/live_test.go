package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/perchapp/perch/app/config"
	perchwire "github.com/perchapp/perch/app/wire/perch"
)

// liveEnv is a server listening for real (Serve), with settings, as `perch serve` runs it.
type liveEnv struct {
	base     string
	settings *perchSettings
	restarts chan struct{}
}

func newLiveEnv(t *testing.T) *liveEnv {
	t.Helper()
	env := &liveEnv{settings: &perchSettings{cur: config.Defaults()}, restarts: make(chan struct{}, 1)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	env.base = "http://" + ln.Addr().String()
	s := New(Config{Addr: ln.Addr().String(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Restart: func() { env.restarts <- struct{}{} }},
		Deps{Engine: newPerchEngine(), Settings: env.settings})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return env
}

// call sends a request as a tool (curl, an SDK) does, or as this Mac's own page does (ui).
func (e *liveEnv) call(t *testing.T, method, path, body, key string, ui bool) (int, string) {
	t.Helper()
	r, _ := http.NewRequest(method, e.base+path, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		r.Header.Set("Authorization", "Bearer "+key)
	}
	if ui {
		r.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestSettingsApplyLive: LAN access on and off and the API key apply while the server runs,
// on the same port, with no restart: turning LAN on listens beyond loopback and requires the
// key from tools; turning it off and removing the key lets local tools in without one.
func TestSettingsApplyLive(t *testing.T) {
	env := newLiveEnv(t)
	view := func(body string) perchwire.SettingsView {
		var v perchwire.SettingsView
		if err := json.Unmarshal([]byte(body), &v); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		return v
	}
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(env.base, "http://"))

	code, body := env.call(t, "PUT", "/perch/settings", `{"lan":true}`, "", true)
	v := view(body)
	if code != 200 || !v.LAN || v.Listening != "0.0.0.0:"+port || len(v.RestartNeeded) != 0 || v.Settings.APIKey == "" {
		t.Fatalf("LAN on: %d %s", code, body)
	}
	key := v.Settings.APIKey
	if code, _ := env.call(t, "GET", "/perch/status", "", "", false); code != http.StatusUnauthorized {
		t.Errorf("LAN on: a tool without the key got %d, want 401", code)
	}
	if code, _ := env.call(t, "GET", "/v1/models", "", key, false); code != 200 {
		t.Errorf("LAN on: a tool with the key got %d", code)
	}
	if code, _ := env.call(t, "GET", "/perch/status", "", "", true); code != 200 {
		t.Errorf("LAN on: this Mac's page got %d without the key", code)
	}

	code, body = env.call(t, "PUT", "/perch/settings", `{"lan":false,"remove_api_key":true}`, "", true)
	v = view(body)
	if code != 200 || v.LAN || v.Listening != "127.0.0.1:"+port || len(v.RestartNeeded) != 0 || v.Settings.APIKey != "" {
		t.Fatalf("LAN off, key removed: %d %s", code, body)
	}
	if code, body := env.call(t, "GET", "/v1/models", "", "", false); code != 200 {
		t.Errorf("LAN off, no key: a local tool got %d %s", code, body)
	}
	// Off means off: the port is on loopback only now.
	if ln, err := net.Listen("tcp", "0.0.0.0:"+port); err == nil {
		ln.Close()
	} else if !strings.Contains(err.Error(), "in use") {
		t.Logf("listen 0.0.0.0:%s: %v", port, err)
	}
	if !v.CanRestart {
		t.Error("can_restart is false with a restart function")
	}
	if code, _ := env.call(t, "POST", "/perch/restart", "", "", true); code != http.StatusAccepted {
		t.Errorf("restart: %d", code)
	}
	select {
	case <-env.restarts:
	case <-time.After(5 * time.Second):
		t.Error("POST /perch/restart did not restart")
	}
}
