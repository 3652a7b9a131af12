package api

import (
	"crypto/rand"
	"encoding/hex"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"

	"github.com/perchapp/perch/app/config"
)

// settingsView is what GET and PUT /perch/settings answer.
type settingsView struct {
	Settings config.Settings `json:"settings"`
	// LAN is true when the address reaches beyond this machine.
	LAN bool `json:"lan"`
	// Listening is the address the server listens on now.
	Listening string `json:"listening"`
	// RestartNeeded names the changed settings that take effect when Perch restarts.
	RestartNeeded []string `json:"restart_needed"`
	// CanRestart says POST /perch/restart restarts the server (else Perch itself must be).
	CanRestart bool `json:"can_restart"`
}

// addressPending says whether a saved address is not yet the one served: its host applies at
// once unless listening there failed; its port, at a restart.
func addressPending(saved, start, serving string) bool {
	if saved == start {
		return false
	}
	sh, sp, err1 := net.SplitHostPort(saved)
	_, stp, err2 := net.SplitHostPort(start)
	lh, _, err3 := net.SplitHostPort(serving)
	if err1 != nil || err2 != nil || err3 != nil {
		return true
	}
	return sp != stp || !strings.EqualFold(sh, lh) && !(isLoopbackHost(sh) && isLoopbackHost(lh))
}

// settingsExtras are PUT's actions besides the settings themselves.
type settingsExtras struct {
	// LAN switches the host between 0.0.0.0 and 127.0.0.1, keeping the port.
	LAN *bool `json:"lan"`
	// NewAPIKey replaces the API key with a fresh random one.
	NewAPIKey bool `json:"new_api_key"`
	// RemoveAPIKey removes the key (only with LAN access off: a key keeps the LAN out).
	RemoveAPIKey bool `json:"remove_api_key"`
}

func (a *perchAPI) settingsView() settingsView {
	cur := a.settings.Get()
	v := settingsView{Settings: cur, Listening: a.listening(), RestartNeeded: []string{}, CanRestart: a.s.cfg.Restart != nil}
	if h, _, err := net.SplitHostPort(cur.Address); err == nil {
		v.LAN = !isLoopbackHost(h)
	}
	start := a.startSettings
	changed := func(name string, differ bool) {
		if differ {
			v.RestartNeeded = append(v.RestartNeeded, name)
		}
	}
	// The host and the key apply while the server runs (live.go); a new port needs a restart.
	changed("address", addressPending(cur.Address, start.Address, a.s.addr()))
	changed("api_key", cur.APIKey != start.APIKey && cur.APIKey != a.s.apiKey() && !a.s.live.fixedKey)
	changed("allowed_origins", !slices.Equal(cur.AllowedOrigins, start.AllowedOrigins))
	changed("keep_alive", cur.KeepAlive != start.KeepAlive)
	changed("context_length", cur.ContextLength != start.ContextLength)
	changed("slots", cur.Slots != start.Slots)
	return v
}

func (a *perchAPI) settingsGet(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, a.settingsView())
	return nil
}

// settingsPut changes the fields the body has (the others keep their values) and saves.
func (a *perchAPI) settingsPut(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(r) // decoded twice: into the settings and into the extras
	if err != nil {
		return err
	}
	next := a.settings.Get()
	next.AllowedOrigins = slices.Clone(next.AllowedOrigins)
	next.DraftModels = maps.Clone(next.DraftModels)
	if err := decodeJSON(body, &next); err != nil {
		return err
	}
	// draft_models entries are merged; one with an empty draft removes the model's.
	maps.DeleteFunc(next.DraftModels, func(_, draft string) bool { return draft == "" })
	var ex settingsExtras
	if err := decodeJSON(body, &ex); err != nil {
		return err
	}
	host, port, err := net.SplitHostPort(next.Address)
	if err != nil {
		ae := badRequest("address", "address %q must be host:port, such as 127.0.0.1:11435", next.Address)
		ae.Code = config.CodeInvalidAddress
		return ae
	}
	if ex.LAN != nil {
		switch {
		case *ex.LAN && isLoopbackHost(host):
			host = "0.0.0.0"
		case !*ex.LAN && !isLoopbackHost(host):
			host = "127.0.0.1"
		}
		next.Address = net.JoinHostPort(host, port)
	}
	// Reaching beyond this machine without a key is refused at start, so a key comes with
	// LAN access rather than a server that will not start.
	if ex.RemoveAPIKey {
		if !isLoopbackHost(host) {
			ae := badRequest("remove_api_key", "the API key keeps other computers out while LAN access is on; turn LAN access off first, then remove the key")
			ae.Code = "key_needed_for_lan"
			return ae
		}
		next.APIKey = ""
	}
	if ex.NewAPIKey || next.APIKey == "" && !isLoopbackHost(host) {
		next.APIKey = newKey()
	}
	prev := a.settings.Get()
	if err := a.settings.Update(next); err != nil {
		return settingsError(err)
	}
	if err := a.s.applyLive(prev, next); err != nil {
		// Saved, not applied: the view lists it under restart_needed.
		a.s.log.Warn("a settings change waits for a restart", "err", err)
	}
	writeJSON(w, http.StatusOK, a.settingsView())
	return nil
}

// restart answers, then restarts the server with the saved settings (Config.Restart).
func (a *perchAPI) restart(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "restarting"})
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	go a.s.cfg.Restart()
	return nil
}

func newKey() string {
	b := make([]byte, 24)
	rand.Read(b)
	return "perch-" + hex.EncodeToString(b)
}
