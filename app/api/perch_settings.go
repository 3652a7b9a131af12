package api

import (
	"maps"
	"net/http"
	"slices"

	"github.com/perchapp/perch/app/config"
	perchwire "github.com/perchapp/perch/app/wire/perch"
)

func (a *perchAPI) settingsView() perchwire.SettingsView {
	cur := a.settings.Get()
	run := config.Running{Start: a.startSettings, Serving: a.s.addr(), Key: a.s.apiKey(), FixedKey: a.s.live.fixedKey}
	return perchwire.SettingsView{Settings: cur, LAN: cur.LAN(), Listening: a.listening(), RestartNeeded: run.RestartNeeded(cur),
		CanRestart: a.s.cfg.Restart != nil}
}

func (a *perchAPI) settingsGet(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, a.settingsView())
	return nil
}

// settingsPut changes the fields the body has (the others keep their values) and saves.
func (a *perchAPI) settingsPut(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(r) // decoded twice: into the settings and into the change (config.Change)
	if err != nil {
		return err
	}
	next := a.settings.Get()
	next.AllowedOrigins = slices.Clone(next.AllowedOrigins)
	next.DraftModels = maps.Clone(next.DraftModels)
	next.ModelDefaults = maps.Clone(next.ModelDefaults)
	if err := decodeJSON(body, &next); err != nil {
		return err
	}
	// draft_models entries are merged; one with an empty draft removes the model's.
	maps.DeleteFunc(next.DraftModels, func(_, draft string) bool { return draft == "" })
	// model_defaults likewise, a model's entry whole; one that sets nothing removes it.
	maps.DeleteFunc(next.ModelDefaults, func(_ string, d config.ModelDefault) bool { return d.IsZero() })
	var ch config.Change
	if err := decodeJSON(body, &ch); err != nil {
		return err
	}
	if next, err = ch.Apply(next); err != nil {
		return settingsError(err)
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
