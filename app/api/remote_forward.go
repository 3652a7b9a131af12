package api

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/perchapp/perch/app/remote"
)

// Models served by another machine's engine are named "NAME/model", NAME being a remote
// endpoint the user added (app/remote). A request in the remote's own wire format is
// forwarded as it is, the model name alone rewritten, and its answer streamed back unchanged
// but for the model name; an Ollama route for an OpenAI-only remote runs the usual handler,
// whose engine (remote.Engine) converts through the remote's /v1 API.

// wireFormat is the API a route speaks.
type wireFormat int

const (
	wireOpenAI wireFormat = iota
	wireOllama
)

// viaRemote forwards requests for remote models; others go to h.
func (s *Server) viaRemote(format wireFormat, h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		rm := s.deps.Remotes
		if rm == nil || !rm.Any() {
			return h(w, r)
		}
		body, err := readBody(r)
		if err != nil {
			return err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		var peek struct {
			Model string `json:"model"`
			Name  string `json:"name"` // Ollama's older spelling (/api/show, /api/embeddings)
		}
		if json.Unmarshal(body, &peek) != nil {
			return h(w, r) // the handler says what is wrong with the body
		}
		model := cmp.Or(peek.Model, peek.Name)
		t, ok := rm.Resolve(model)
		if !ok {
			return h(w, r)
		}
		noteModel(r, model)
		if format == wireOllama && t.Endpoint.Kind != remote.KindOllama {
			if _, converts := s.eng.(remote.Engine); converts {
				return h(w, r)
			}
			return badRequest("model", "model %q runs on %q, which speaks the OpenAI API only; use /v1/chat/completions, /v1/completions or /v1/embeddings", model, t.Endpoint.Name)
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(body, &fields); err != nil {
			return badRequest("", "the request body is not a JSON object: %v", err)
		}
		key := "model"
		if peek.Model == "" {
			key = "name"
		}
		fields[key], _ = json.Marshal(t.Model)
		out, err := json.Marshal(fields)
		if err != nil {
			return err
		}
		resp, err := rm.Do(r.Context(), t, http.MethodPost, r.URL.Path, bytes.NewReader(out))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		return s.relay(w, r, rm, t, model, format, resp)
	}
}

// relay copies the remote's answer to the client. A stream that breaks off before its end
// ([DONE], or a line with "done": true) ends with an error event in the route's format.
func (s *Server) relay(w http.ResponseWriter, r *http.Request, rm *remote.Manager, t remote.Target, model string, format wireFormat, resp *http.Response) error {
	rewrite := remote.ModelRewriter(t.Model, model)
	ct := resp.Header.Get("Content-Type")
	streaming := resp.StatusCode == http.StatusOK && (hasMediaType(ct, "text/event-stream") || hasMediaType(ct, "application/x-ndjson"))
	if !streaming {
		b, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
		if err != nil {
			return rm.Failed(t, fmt.Errorf("reading the answer: %w", err))
		}
		if resp.StatusCode >= 400 && !remote.InErrorShape(b, format == wireOllama) {
			return remoteRefusal(t, resp.StatusCode, b)
		}
		if ct != "" {
			w.Header().Set("Content-Type", ct)
		}
		w.WriteHeader(resp.StatusCode)
		w.Write(rewrite(b))
		return nil
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	sse := hasMediaType(ct, "text/event-stream")
	done := false
	br := bufio.NewReaderSize(resp.Body, 64<<10)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			done = done || remote.EndsStream(line, sse)
			if _, werr := w.Write(rewrite(line)); werr != nil {
				return nil // the client went away
			}
			if !sse || len(bytes.TrimSpace(line)) == 0 {
				rc.Flush()
			}
		}
		if err != nil {
			if done && errors.Is(err, io.EOF) {
				rc.Flush()
				return nil
			}
			if r.Context().Err() != nil {
				return nil
			}
			cause := err
			if errors.Is(err, io.EOF) {
				cause = errors.New("the connection closed before the answer was finished")
			}
			s.endRelayWithError(w, rc, sse, format, rm.Failed(t, cause))
			return nil
		}
	}
}

// endRelayWithError writes the last event of a broken stream, as Perch's own streams do.
func (s *Server) endRelayWithError(w http.ResponseWriter, rc *http.ResponseController, sse bool, format wireFormat, err error) {
	e := toAPIError(err)
	var b []byte
	switch {
	case sse:
		j, _ := json.Marshal(openAIError(e))
		b = append(append([]byte("\ndata: "), j...), "\n\n"...)
	case format == wireOllama:
		j, _ := json.Marshal(map[string]string{"error": e.Message})
		b = append(j, '\n')
	default:
		j, _ := json.Marshal(openAIError(e))
		b = append(j, '\n')
	}
	w.Write(b)
	rc.Flush()
}

func hasMediaType(ct, want string) bool {
	return len(ct) >= len(want) && ct[:len(want)] == want
}

// remoteRefusal words a remote's error in another shape (vLLM's {"object": "error", …},
// FastAPI's {"detail": …}, plain text) as Perch's, keeping the status and naming the endpoint.
func remoteRefusal(t remote.Target, status int, b []byte) error {
	msg := remote.RefusalText(b)
	e := &apiError{Status: status, Type: "server_error", Message: fmt.Sprintf("remote endpoint %q (%s) answered %d: %s", t.Endpoint.Name, t.Endpoint.URL, status, msg)}
	switch {
	case status == http.StatusNotFound:
		e.Type, e.Code, e.Param = "invalid_request_error", "model_not_found", "model"
	case status < 500:
		e.Type = "invalid_request_error"
	}
	return e
}
