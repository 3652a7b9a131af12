package api_test

import (
	"path/filepath"
	"testing"

	"github.com/perchapp/perch/app/api"
	"github.com/perchapp/perch/app/api/internal/compat"
)

// TestGoClients runs go-openai and langchaingo's openai and ollama llms (testdata/goclients,
// a module of its own) against the server: list, chat, stream, embeddings, a JSON schema, a
// forced tool call and an unknown model.
func TestGoClients(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the Go client module")
	}
	ts := newServer(t, api.Config{APIKey: "go-key"})
	tg := compat.Target{BaseURL: ts.URL, Model: "tiny", EmbedModel: "embed", APIKey: "go-key"}
	compat.GoClients(t, filepath.Join("testdata", "goclients"), tg)
}
