package api

import (
	"context"
	"net/http"
	"strings"
	"unicode"
)

// Settings › Models: where models live and what they take, and the Hugging Face token.

// StorageDir is a folder holding models.
type StorageDir struct {
	Path string `json:"path"`
	// Kind is "downloads" (new downloads go here), "earlier" (an earlier downloads folder,
	// still served) or "folder" (a models folder served as it is).
	Kind       string `json:"kind"`
	UsedBytes  int64  `json:"used_bytes"`
	Files      int    `json:"files"`
	FreeBytes  uint64 `json:"free_bytes"`
	TotalBytes uint64 `json:"total_bytes"`
	// Error says why the folder could not be read (a disk not mounted).
	Error string `json:"error,omitempty"`
}

// StorageReporter reports the folders models live in (the model store).
type StorageReporter interface {
	Storage(ctx context.Context) []StorageDir
}

// storageView is what GET /perch/settings/storage answers.
type storageView struct {
	Dirs []StorageDir `json:"dirs"`
}

func (a *perchAPI) storageGet(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, storageView{Dirs: a.s.deps.Storage.Storage(r.Context())})
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

// hfTokenView is what the token routes answer: never the token, only its last characters.
type hfTokenView struct {
	Set bool `json:"set"`
	// Last4 are the token's last four characters, to tell tokens apart.
	Last4 string `json:"last4,omitempty"`
	// Source is "settings" or "environment".
	Source string `json:"source,omitempty"`
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
	v := hfTokenView{Set: tok != "", Source: src}
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
