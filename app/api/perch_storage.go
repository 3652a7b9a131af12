package api

import (
	"context"
	"net/http"
	"strings"
	"unicode"

	perchwire "github.com/perchapp/perch/app/wire/perch"
)

// Settings › Models: where models live and what they take, and the Hugging Face token.

// StorageReporter reports the folders models live in (the model store).
type StorageReporter interface {
	Storage(ctx context.Context) []perchwire.StorageDir
}

func (a *perchAPI) storageGet(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, perchwire.StorageView{Dirs: a.s.deps.Storage.Storage(r.Context())})
	return nil
}

// HFTokens keeps the Hugging Face access token that downloads, searches and inspections send.
type HFTokens interface {
	// HFToken is the token in use and where it came from: "settings", "environment"
	// (HF_TOKEN or the Hugging Face tools' token file) or "" when there is none.
	HFToken() (token, source string, err error)
	// SetHFToken keeps token for the next requests; "" forgets it (the environment's, if
	// any, is used again).
	SetHFToken(token string) error
}

// hfTokenRequest is PUT /perch/settings/hf-token's body.
type hfTokenRequest struct {
	Token string `json:"token"`
}

func (a *perchAPI) hfTokenView(w http.ResponseWriter) error {
	tok, src, err := a.s.deps.HFToken.HFToken()
	if err != nil {
		return err
	}
	v := perchwire.HFTokenView{Set: tok != "", Source: src}
	if len(tok) >= 8 {
		v.Last4 = tok[len(tok)-4:]
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (a *perchAPI) hfTokenGet(w http.ResponseWriter, r *http.Request) error { return a.hfTokenView(w) }

func (a *perchAPI) hfTokenPut(w http.ResponseWriter, r *http.Request) error {
	var req hfTokenRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	tok := strings.TrimSpace(req.Token)
	if err := validHFToken(tok); err != nil {
		return err
	}
	if err := a.s.deps.HFToken.SetHFToken(tok); err != nil {
		return err
	}
	return a.hfTokenView(w)
}

func (a *perchAPI) hfTokenDelete(w http.ResponseWriter, r *http.Request) error {
	if err := a.s.deps.HFToken.SetHFToken(""); err != nil {
		return err
	}
	return a.hfTokenView(w)
}

// validHFToken refuses what no Hugging Face token looks like (a pasted sentence, a URL).
func validHFToken(tok string) error {
	switch {
	case tok == "":
		return badRequest("token", "the token is empty; paste a token from https://huggingface.co/settings/tokens, or remove the saved one")
	case len(tok) < 8 || len(tok) > 512:
		return badRequest("token", "a Hugging Face token has 8 to 512 characters, this has %d; copy it again from https://huggingface.co/settings/tokens", len(tok))
	}
	for _, c := range tok {
		if c > unicode.MaxASCII || unicode.IsSpace(c) || !unicode.IsPrint(c) {
			return badRequest("token", "a Hugging Face token has no spaces or characters such as %q; copy it again from https://huggingface.co/settings/tokens", c)
		}
	}
	return nil
}
