package api

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/perchapp/perch/app/chats/answer"
	"github.com/perchapp/perch/app/docs"
	"github.com/perchapp/perch/engine"
)

// The services' typed refusals (app/chats/answer, app/docs's citing) become the statuses,
// codes and params the routes answered when the logic lived here.
func TestServiceErrors(t *testing.T) {
	for _, tt := range []struct {
		name                 string
		err                  error
		status               int
		code, param, message string
	}{
		{"busy", answer.ErrBusy, http.StatusConflict, "busy", "", "an answer is already being written in this chat; stop it first"},
		{"no model", answer.ErrNoModel, http.StatusBadRequest, codeInvalid, "model", answer.ErrNoModel.Error()},
		{"not the last answer", answer.ErrNotLastAnswer, http.StatusBadRequest, codeInvalid, "mid", "only the chat's last answer can be continued"},
		{"unknown collection", &docs.FindError{Err: fmt.Errorf("%w: no collection named %q", docs.ErrNotFound, "x")}, http.StatusNotFound, "collection_not_found", "collection", `not found: no collection named "x"`},
		{"collection lookup failed", &docs.FindError{Err: fmt.Errorf("%w: busy indexing", docs.ErrBusy)}, http.StatusConflict, "busy", "", "busy indexing"},
		{"search needs re-indexing", &docs.SearchError{Collection: "Notes", Err: fmt.Errorf("%w: switch models", docs.ErrNeedsReindex)}, http.StatusConflict, "needs_reindex", "",
			`searching the collection "Notes": switch models (POST /perch/collections/{id}/reindex)`},
		{"embedding model missing", &docs.SearchError{Collection: "Notes", Err: &engine.Error{Kind: engine.KindNotFound, Message: "no model bge-m3"}}, http.StatusNotFound, "model_not_found", "collection",
			`searching the collection "Notes": no model bge-m3`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ae := toAPIError(tt.err)
			body := openAIError(ae).Error
			param := ""
			if body.Param != nil {
				param = *body.Param
			}
			if ae.Status != tt.status || body.Code == nil || *body.Code != tt.code || param != tt.param || body.Message != tt.message || body.Type != "invalid_request_error" {
				t.Errorf("got %d %q code %v param %q: %q; want %d code %q param %q: %q", ae.Status, body.Type, *body.Code, param, body.Message, tt.status, tt.code, tt.param, tt.message)
			}
		})
	}
}
