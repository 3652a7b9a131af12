package remote

import (
	"context"

	"github.com/perchapp/perch/app/wire/perch"
)

// The remote models as the model lists show them (/v1/models, /api/tags, the UI's Models
// view). A nil *Manager has none, so a server without remotes needs no checks.

// LibraryModels are the remote models as library entries, marked with their endpoint.
func (m *Manager) LibraryModels(ctx context.Context) []perch.LibraryModel {
	if m == nil {
		return nil
	}
	var out []perch.LibraryModel
	for _, rm := range m.Models(ctx) {
		out = append(out, perch.LibraryModel{Name: rm.ID, Remote: rm.Endpoint.Name, RemoteURL: rm.Endpoint.URL})
	}
	return out
}

// LibraryModel finds one remote model by its NAME/model name.
func (m *Manager) LibraryModel(ctx context.Context, name string) (perch.LibraryModel, bool) {
	if m == nil {
		return perch.LibraryModel{}, false
	}
	if _, ok := m.Resolve(name); !ok {
		return perch.LibraryModel{}, false
	}
	for _, lm := range m.LibraryModels(ctx) {
		if lm.Name == name {
			return lm, true
		}
	}
	return perch.LibraryModel{}, false
}

// Where says where a remote model runs and how its endpoint is doing, for the Models view
// and the picker; nil for a model of this Mac.
func (m *Manager) Where(lm perch.LibraryModel) *perch.RemoteWhere {
	if lm.Remote == "" || m == nil {
		return nil
	}
	h := m.Health(lm.Remote)
	return &perch.RemoteWhere{Endpoint: lm.Remote, URL: lm.RemoteURL, Reachable: h.Reachable, LatencyMs: h.LatencyMs, LastError: h.LastError,
		Memory: "runs on " + lm.Remote + " (" + lm.RemoteURL + "); uses none of this Mac's memory"}
}
