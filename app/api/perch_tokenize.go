package api

import (
	"net/http"

	"github.com/perchapp/perch/app/wire"
	perchwire "github.com/perchapp/perch/app/wire/perch"
	"github.com/perchapp/perch/engine"
)

// maxTokenizeBytes bounds the Tokens view's text; it is for looking at, not for bulk work.
const maxTokenizeBytes = 64 << 10

type tokenizeRequest struct {
	Model string `json:"model"`
	Text  string `json:"text"`
}

func (a *perchAPI) tokenize(w http.ResponseWriter, r *http.Request) error {
	var req tokenizeRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if err := wire.ValidateModelName("model", req.Model); err != nil {
		return err
	}
	if len(req.Text) > maxTokenizeBytes {
		return badRequest("text", "the text has %d bytes; the limit is %d", len(req.Text), maxTokenizeBytes)
	}
	noteModel(r, req.Model)
	var pieces []engine.TokenPiece
	if req.Text != "" {
		var err error
		if pieces, err = a.s.eng.Tokenize(r.Context(), req.Model, req.Text, false, false); err != nil {
			a.s.countEngineError(err)
			return err
		}
	}
	writeJSON(w, http.StatusOK, perchwire.Tokenized(req.Model, req.Text, pieces))
	return nil
}
