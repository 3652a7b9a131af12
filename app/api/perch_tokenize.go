package api

import (
	"net/http"
	"unicode/utf8"

	perchwire "github.com/perchapp/perch/app/wire/perch"

	"github.com/perchapp/perch/app/wire"
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
	resp := perchwire.TokenizeResponse{Model: req.Model, Tokens: []perchwire.TokenPiece{}, Characters: utf8.RuneCountInString(req.Text), Bytes: len(req.Text)}
	if req.Text != "" {
		pieces, err := a.s.eng.Tokenize(r.Context(), req.Model, req.Text, false, false)
		if err != nil {
			a.s.countEngineError(err)
			return err
		}
		for _, p := range pieces {
			resp.Tokens = append(resp.Tokens, pieceOf(p.ID, p.Piece, p.Bytes))
		}
	}
	resp.Count = len(resp.Tokens)
	if resp.Characters > 0 {
		resp.TokensPerChar = float64(resp.Count) / float64(resp.Characters)
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func pieceOf(id int32, piece string, raw []byte) perchwire.TokenPiece {
	if raw == nil {
		raw = []byte(piece)
	}
	if utf8.Valid(raw) {
		return perchwire.TokenPiece{ID: id, Piece: string(raw)}
	}
	tp := perchwire.TokenPiece{ID: id}
	for _, b := range raw {
		tp.Bytes = append(tp.Bytes, int(b))
	}
	// Show the valid runs as text and each stray byte as <0xNN>.
	out := make([]byte, 0, len(raw)*2)
	for len(raw) > 0 {
		r, n := utf8.DecodeRune(raw)
		if r == utf8.RuneError && n <= 1 {
			out = append(out, []byte("<0x")...)
			out = append(out, "0123456789ABCDEF"[raw[0]>>4], "0123456789ABCDEF"[raw[0]&15], '>')
			raw = raw[1:]
			continue
		}
		out = append(out, raw[:n]...)
		raw = raw[n:]
	}
	tp.Piece = string(out)
	return tp
}
