package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"

	"github.com/perchapp/perch/app/docs"
	"github.com/perchapp/perch/app/wire"

	"github.com/perchapp/perch/app/chats"
	"github.com/perchapp/perch/app/chats/answer"
	"github.com/perchapp/perch/app/library/ggufmeta"
	"github.com/perchapp/perch/app/library/pulls"
	"github.com/perchapp/perch/app/library/uploads"
	"github.com/perchapp/perch/engine"
)

// Stable codes the UI maps to a sentence in the user's language (frontend/src/lib/errors.ts).
// Every error body carries one: a specific one where the cause is known, else one by status.
const (
	codeOffline      = "offline"            // a remote (Hugging Face, a registry) could not be reached
	codeDiskFull     = "disk_full"          // no space left for a download or upload
	codeInvalidModel = "invalid_model_file" // the file is not a GGUF model Perch can run
	codeInvalid      = "invalid_request"    // any other bad input
	codeServer       = "server_error"       // anything else
)

// apiError is an error on its way to a client, in a form both wire formats can render.
type apiError struct {
	Status  int
	Type    string // OpenAI error type
	Code    string
	Param   string
	Message string
	// RetryAfter seconds, sent as a header with 503s.
	RetryAfter int
	// PromptTokens and ContextLength for context overflows.
	PromptTokens  int
	ContextLength int
	// silent errors (the client went away) get no body.
	silent bool
}

func (e *apiError) Error() string { return e.Message }

func badRequest(param, format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Param: param, Message: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "model_not_found", Param: "model", Message: fmt.Sprintf(format, args...)}
}

// toAPIError classifies any error from decoding, the engine, the library, the chat store (whose
// not-found and invalid errors become 404 and 400) or the UI's downloads.
func toAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	var pe *wire.ParamError
	if errors.As(err, &pe) {
		return badRequest(pe.Param, "%s", pe.Message)
	}
	if ae := citeError(err); ae != nil {
		return ae
	}
	switch {
	case errors.Is(err, answer.ErrBusy):
		return &apiError{Status: http.StatusConflict, Type: "invalid_request_error", Code: "busy", Message: err.Error()}
	case errors.Is(err, answer.ErrNoModel):
		return badRequest("model", "%s", err.Error())
	case errors.Is(err, answer.ErrNotLastAnswer):
		return badRequest("mid", "%s", err.Error())
	case errors.Is(err, chats.ErrNotFound):
		return &apiError{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "not_found", Message: err.Error()}
	case errors.Is(err, chats.ErrInvalid):
		return &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Message: err.Error()}
	case errors.Is(err, uploads.ErrClosed):
		return &apiError{Status: http.StatusServiceUnavailable, Type: "server_error", Message: err.Error()}
	case errors.Is(err, pulls.ErrNotFound):
		return &apiError{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "not_found", Message: err.Error()}
	}
	var ue *uploads.Error
	if errors.As(err, &ue) {
		return uploadError(ue)
	}
	var conflict *pulls.ConflictError
	if errors.As(err, &conflict) {
		return &apiError{Status: http.StatusConflict, Type: "invalid_request_error", Code: conflict.Code, Message: conflict.Message}
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge(mbe.Limit)
	}
	if re := remoteError(err); re != nil {
		return re
	}
	var ee *engine.Error
	if errors.As(err, &ee) {
		return fromEngineError(ee)
	}
	switch {
	case errors.Is(err, engine.ErrUnknownModel), errors.Is(err, fs.ErrNotExist):
		return notFound("%v", err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &apiError{Status: http.StatusServiceUnavailable, Type: "server_error", Message: "the request was cancelled", silent: true}
	}
	// Files, disks and remote servers (errors_fault.go), then what that leaves of them.
	if ae := faultError(err); ae != nil {
		return ae
	}
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return &apiError{Status: http.StatusInsufficientStorage, Type: "server_error", Code: codeDiskFull, Message: err.Error()}
	case errors.Is(err, ggufmeta.ErrNotGGUF):
		return &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: codeInvalidModel, Message: err.Error()}
	case isNetworkError(err):
		return &apiError{Status: http.StatusBadGateway, Type: "server_error", Code: codeOffline, Message: err.Error()}
	}
	return &apiError{Status: http.StatusInternalServerError, Type: "server_error", Code: codeServer, Message: err.Error()}
}

// isNetworkError says whether err is a failure to reach another host (DNS, refused, reset,
// a connection cut before the answer: a *url.Error is only made for transport failures).
func isNetworkError(err error) bool {
	var dns *net.DNSError
	var op *net.OpError
	var ue *url.Error
	return errors.As(err, &dns) || errors.As(err, &op) || errors.As(err, &ue)
}

// withCode fills in a code by status for errors made without one, so every body has one.
func withCode(e *apiError) *apiError {
	if e.Code != "" {
		return e
	}
	c := *e
	if e.Status >= 400 && e.Status < 500 {
		c.Code = codeInvalid
	} else {
		c.Code = codeServer
	}
	return &c
}

func tooLarge(limit int64) *apiError {
	return &apiError{Status: http.StatusRequestEntityTooLarge, Type: "invalid_request_error", Code: "request_too_large",
		Message: fmt.Sprintf("request body is larger than the limit of %d bytes; send a smaller request or raise the server's body limit", limit)}
}

// fromEngineError maps engine kinds to status codes. Insufficient memory is a 507: it is not
// a transient overload (503 invites blind retries); the message says what to do instead.
func fromEngineError(e *engine.Error) *apiError {
	ae := &apiError{Message: e.Message, Param: e.Param}
	switch e.Kind {
	case engine.KindInvalid:
		ae.Status, ae.Type = http.StatusBadRequest, "invalid_request_error"
	case engine.KindNotFound:
		ae.Status, ae.Type, ae.Code = http.StatusNotFound, "invalid_request_error", "model_not_found"
		if ae.Param == "" {
			ae.Param = "model"
		}
	case engine.KindContextExceeded:
		ae.Status, ae.Type, ae.Code = http.StatusBadRequest, "exceed_context_size_error", "context_length_exceeded"
		ae.PromptTokens, ae.ContextLength = e.PromptTokens, e.ContextLength
		if ae.Message == "" {
			ae.Message = fmt.Sprintf("the prompt has %d tokens but the context holds %d; shorten the prompt or load the model with a larger context", e.PromptTokens, e.ContextLength)
		}
	case engine.KindUnavailable:
		ae.Status, ae.Type, ae.Code = http.StatusServiceUnavailable, "unavailable_error", "queue_full"
		ae.RetryAfter = e.RetryAfter
		if ae.RetryAfter <= 0 {
			ae.RetryAfter = 1
		}
	case engine.KindUnresponsive:
		ae.Status, ae.Type, ae.Code = http.StatusServiceUnavailable, "server_error", "worker_unresponsive"
		ae.RetryAfter = max(e.RetryAfter, 1)
	case engine.KindTooLarge:
		ae.Status, ae.Type, ae.Code = http.StatusInsufficientStorage, "insufficient_memory_error", "insufficient_memory"
		if ae.Message == "" {
			ae.Message = "the model does not fit in memory, even after unloading idle models; choose a smaller quantization or a shorter context"
		}
	case engine.KindCancelled:
		ae.Status, ae.Type, ae.silent = http.StatusServiceUnavailable, "server_error", true
	default:
		ae.Status, ae.Type = http.StatusInternalServerError, "server_error"
	}
	if ae.Message == "" {
		ae.Message = string(e.Kind)
	}
	return ae
}

// setErrorHeaders adds the headers an error status needs.
func setErrorHeaders(w http.ResponseWriter, e *apiError) {
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="perch"`)
	}
}

// openAIErrorBody is OpenAI's error shape, plus llama.cpp's context-size numbers.
type openAIErrorBody struct {
	Error openAIErrorObject `json:"error"`
}

type openAIErrorObject struct {
	Message       string  `json:"message"`
	Type          string  `json:"type"`
	Param         *string `json:"param"`
	Code          *string `json:"code"`
	PromptTokens  int     `json:"n_prompt_tokens,omitempty"`
	ContextLength int     `json:"n_ctx,omitempty"`
}

func openAIError(e *apiError) openAIErrorBody {
	e = withCode(e)
	o := openAIErrorObject{Message: e.Message, Type: e.Type, PromptTokens: e.PromptTokens, ContextLength: e.ContextLength}
	if e.Param != "" {
		o.Param = &e.Param
	}
	if e.Code != "" {
		o.Code = &e.Code
	}
	if o.Type == "" {
		o.Type = "server_error"
	}
	return openAIErrorBody{Error: o}
}

// writeOpenAIError answers with OpenAI's error JSON.
func writeOpenAIError(w http.ResponseWriter, r *http.Request, err error) {
	e := toAPIError(err)
	noteError(r, e)
	if e.silent && r.Context().Err() != nil {
		return
	}
	setErrorHeaders(w, e)
	writeJSON(w, e.Status, openAIError(e))
}

// writeOllamaError answers with Ollama's {"error": "..."}.
func writeOllamaError(w http.ResponseWriter, r *http.Request, err error) {
	e := toAPIError(err)
	noteError(r, e)
	if e.silent && r.Context().Err() != nil {
		return
	}
	setErrorHeaders(w, e)
	writeJSON(w, e.Status, map[string]string{"error": e.Message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":"could not encode the response"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// uploadError words a refused upload step.
func uploadError(e *uploads.Error) *apiError {
	switch e.Kind {
	case uploads.NotFound:
		return &apiError{Status: http.StatusNotFound, Type: "invalid_request_error", Code: e.Code, Message: e.Message}
	case uploads.Conflict:
		return &apiError{Status: http.StatusConflict, Type: "invalid_request_error", Code: e.Code, Message: e.Message}
	case uploads.DiskFull:
		return &apiError{Status: http.StatusInsufficientStorage, Type: "insufficient_storage_error", Code: e.Code, Param: e.Param, Message: e.Message}
	}
	return badRequest(e.Param, "%s", e.Message)
}

// collectionError maps the store's errors to statuses.
func collectionError(err error) error {
	var skip *docs.SkipError
	code := ""
	status := 0
	switch {
	case errors.As(err, &skip):
		status, code = http.StatusUnprocessableEntity, docs.SkipCode(skip.Err)
	case errors.Is(err, docs.ErrNotFound):
		status, code = http.StatusNotFound, "not_found"
	case errors.Is(err, docs.ErrNotAllowed): // the reading policy: the UI words it in the user's language
		status, code = http.StatusBadRequest, "path_not_allowed"
	case errors.Is(err, docs.ErrInvalid):
		status = http.StatusBadRequest
	case errors.Is(err, docs.ErrExists):
		status, code = http.StatusConflict, "exists"
	case errors.Is(err, docs.ErrNeedsReindex):
		status, code = http.StatusConflict, "needs_reindex"
	case errors.Is(err, docs.ErrBusy):
		status, code = http.StatusConflict, "busy"
	default:
		return err
	}
	msg := err.Error()
	if code == "needs_reindex" {
		msg += " (POST /perch/collections/{id}/reindex)"
	}
	// The sentinel's word is noise before a message that already says what is wrong.
	for _, prefix := range []string{"invalid: ", "not found: ", "already exists: ", "busy: ", "needs re-indexing: "} {
		msg = strings.TrimPrefix(msg, prefix)
	}
	return &apiError{Status: status, Type: "invalid_request_error", Code: code, Message: msg}
}

// citeError words a failure to cite a chat's collection (app/docs): an unknown collection
// is a 404 naming it, a failed search says which collection, and any error about "the
// model" is about its embedding model. It returns nil for other errors.
func citeError(err error) *apiError {
	var fe *docs.FindError
	if errors.As(err, &fe) {
		if errors.Is(fe.Err, docs.ErrNotFound) {
			return &apiError{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "collection_not_found", Param: "collection", Message: fe.Err.Error()}
		}
		return toAPIError(collectionError(fe.Err))
	}
	var se *docs.SearchError
	if errors.As(err, &se) {
		e := *toAPIError(collectionError(se.Err))
		e.Message = fmt.Sprintf("searching the collection %q: %s", se.Collection, e.Message)
		if e.Param == "model" {
			e.Param = "collection"
		}
		return &e
	}
	return nil
}
