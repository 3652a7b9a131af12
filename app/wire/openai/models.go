package openai

import "github.com/perchapp/perch/app/wire/perch"

// ModelOf is a stored model as /v1/models lists it: created when it was stored, owned by
// Perch, or by the remote endpoint it runs on.
func ModelOf(m perch.LibraryModel) Model {
	var created int64
	if !m.ModifiedAt.IsZero() {
		created = m.ModifiedAt.Unix()
	}
	owner := "perch"
	if m.Remote != "" {
		owner = m.Remote // where it runs
	}
	return Model{ID: m.Name, Object: "model", Created: created, OwnedBy: owner}
}
