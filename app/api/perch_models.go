package api

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/perchapp/perch/app/wire"
	perchwire "github.com/perchapp/perch/app/wire/perch"
	"github.com/perchapp/perch/engine"
)

// models lists the library's models and the loaded ones (a loaded model may come from
// outside the library, such as a file path).
func (a *perchAPI) models(ctx context.Context) ([]perchwire.Model, error) {
	lib, err := a.s.listModels(ctx)
	if err != nil {
		return nil, err
	}
	loaded := a.s.eng.Loaded()
	var def string
	if a.settings != nil {
		def = a.settings.Get().DefaultModel
	}
	var used map[string]time.Time
	if a.chats != nil {
		used, _ = a.chats.LastUsed(ctx) // a missing "last used" is no reason to fail the list
	}
	out := perchwire.ModelList(lib, loaded, def, used, a.s.deps.Remotes.Where)
	a.addFits(ctx, out)
	return out, nil
}

// addFits judges the models that are neither loaded (they fit: they run) nor embedding
// models, so the model picker shows what fits without asking per model.
func (a *perchAPI) addFits(ctx context.Context, out []perchwire.Model) {
	mf, ok := a.fit.(ModelsFitter)
	if !ok {
		return
	}
	var names []string
	for _, m := range out {
		if m.Loaded == nil && !m.Embedding {
			names = append(names, m.Name)
		}
	}
	if len(names) == 0 {
		return
	}
	fits, err := mf.FitModels(ctx, names)
	if err != nil {
		return // the list is still right without its fits
	}
	for i := range out {
		if f, ok := fits[out[i].Name]; ok {
			out[i].Fit = &f
		}
	}
}

func (a *perchAPI) modelsList(w http.ResponseWriter, r *http.Request) error {
	ms, err := a.models(r.Context())
	if err != nil {
		return err
	}
	var def string
	if a.settings != nil {
		def = a.settings.Get().DefaultModel
	}
	writeJSON(w, http.StatusOK, map[string]any{"models": ms, "default_model": def})
	return nil
}

type modelRequest struct {
	Name string `json:"name"`
	// ContextLength, for load: the context per slot (0: the server's default).
	ContextLength int `json:"num_ctx,omitempty"`
	// DraftModel, for load: the draft model for speculative decoding ("": the model's
	// default, "none": none).
	DraftModel string `json:"draft_model,omitempty"`
}

func decodeModelRequest(r *http.Request) (modelRequest, error) {
	var req modelRequest
	if err := decodeBody(r, &req); err != nil {
		return req, err
	}
	if err := wire.ValidateModelName("name", req.Name); err != nil {
		return req, err
	}
	if req.DraftModel != "" && req.DraftModel != engine.DraftNone {
		if err := wire.ValidateModelName("draft_model", req.DraftModel); err != nil {
			return req, err
		}
	}
	if err := perchwire.CheckContext(req.ContextLength); err != nil {
		return req, err
	}
	return req, nil
}

// modelAfter returns one model's entry after a change.
func (a *perchAPI) modelAfter(ctx context.Context, name string) (perchwire.Model, bool) {
	ms, err := a.models(ctx)
	if err != nil {
		return perchwire.Model{}, false
	}
	i := slices.IndexFunc(ms, func(m perchwire.Model) bool { return m.Name == name })
	if i < 0 {
		return perchwire.Model{}, false
	}
	return ms[i], true
}

func (a *perchAPI) modelLoad(w http.ResponseWriter, r *http.Request) error {
	req, err := decodeModelRequest(r)
	if err != nil {
		return err
	}
	noteModel(r, req.Name)
	st, err := a.s.eng.Load(r.Context(), req.Name, engine.LoadOptions{ContextLength: req.ContextLength, DraftModel: req.DraftModel}, a.s.keepAlive(req.Name, nil))
	if err != nil {
		a.s.countEngineError(err)
		return err
	}
	m, ok := a.modelAfter(r.Context(), req.Name)
	if !ok {
		lm := perchwire.LibraryModelOf(*st)
		m = perchwire.Model{Name: lm.Name, Size: lm.Size, Quantization: lm.Quantization, Architecture: lm.Architecture,
			Parameters: lm.ParameterCount, ContextLength: lm.ContextLength, Loaded: perchwire.LoadedOf(*st)}
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (a *perchAPI) modelUnload(w http.ResponseWriter, r *http.Request) error {
	req, err := decodeModelRequest(r)
	if err != nil {
		return err
	}
	noteModel(r, req.Name)
	if err := a.s.eng.Unload(r.Context(), req.Name); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"name": req.Name, "status": "unloaded"})
	return nil
}

// modelDefault makes a model the one new chats start with.
func (a *perchAPI) modelDefault(w http.ResponseWriter, r *http.Request) error {
	req, err := decodeModelRequest(r)
	if err != nil {
		return err
	}
	m, err := a.s.getModel(r.Context(), req.Name)
	if err != nil {
		return modelLookupError(req.Name, err)
	}
	if m.Remote != "" {
		return badRequest("name", "model %q runs on remote endpoint %q and cannot be the default: Perch sends text off this Mac only when you pick a remote model for a chat", req.Name, m.Remote)
	}
	st := a.settings.Get()
	st.DefaultModel = req.Name
	if err := a.settings.Update(st); err != nil {
		return badRequest("", "%v", err)
	}
	writeJSON(w, http.StatusOK, map[string]string{"default_model": req.Name})
	return nil
}

// modelDelete unloads a model and removes it from the library.
func (a *perchAPI) modelDelete(w http.ResponseWriter, r *http.Request) error {
	req, err := decodeModelRequest(r)
	if err != nil {
		return err
	}
	noteModel(r, req.Name)
	m, err := a.s.lib.Get(r.Context(), req.Name)
	if err != nil {
		return modelLookupError(req.Name, err)
	}
	// A models-directory file is never deleted (Remove says why), so it stays loaded.
	if !m.External && slices.ContainsFunc(a.s.eng.Loaded(), func(st engine.Status) bool { return st.Name == req.Name }) {
		if err := a.s.eng.Unload(r.Context(), req.Name); err != nil {
			return err
		}
	}
	if err := a.s.lib.Remove(r.Context(), req.Name); err != nil {
		return err
	}
	if a.settings != nil {
		if st := a.settings.Get(); st.DefaultModel == req.Name {
			st.DefaultModel = ""
			_ = a.settings.Update(st) // the model is gone either way; a stale default only misleads
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
