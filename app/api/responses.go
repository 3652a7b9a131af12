package api

import (
	"encoding/json"
	"errors"
	"net/http"

	openaiwire "github.com/perchapp/perch/app/wire/openai"
	"github.com/perchapp/perch/engine"
)

// OpenAI's Responses API: POST /v1/responses (plain and streamed), GET and DELETE
// /v1/responses/{id}. The conversions are in app/wire/openai (responses_convert.go); this
// file moves data and keeps recent responses in memory so previous_response_id works.

func respNotFound(id string) *apiError {
	return &apiError{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "not_found", Param: "response_id",
		Message: "no response with id '" + id + "': it was never stored here, or it expired (responses are kept for an hour)"}
}

func (s *Server) openaiResponseGet(w http.ResponseWriter, r *http.Request) error {
	st := s.responses
	v, ok := st.Get(r.PathValue("id"))
	if !ok {
		return respNotFound(r.PathValue("id"))
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(v.Body)
	return nil
}

func (s *Server) openaiResponseDelete(w http.ResponseWriter, r *http.Request) error {
	st := s.responses
	id := r.PathValue("id")
	if !st.Remove(id) {
		return respNotFound(id)
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "object": "response.deleted", "deleted": true})
	return nil
}

func (s *Server) openaiResponses(w http.ResponseWriter, r *http.Request) error {
	st := s.responses
	var req openaiwire.RespRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	var prev openaiwire.RespConversation
	if req.PreviousResponseID != "" {
		v, ok := st.Get(req.PreviousResponseID)
		if !ok {
			e := respNotFound(req.PreviousResponseID)
			e.Param = "previous_response_id"
			return e
		}
		prev = v.Conv
	}
	creq, conv, err := openaiwire.RespRequestToChat(req, prev)
	if err != nil {
		return err
	}
	noteModel(r, creq.Model)
	creq.KeepAlive = s.keepAlive(creq.Model, creq.KeepAlive)
	shell := openaiwire.RespShell(openaiwire.NewID("resp_"), s.now().Unix(), req, creq)
	var res *engine.ChatResult
	var out *openaiwire.Response
	if req.Stream {
		res, out = s.streamResponses(w, r, creq, shell)
	} else {
		res, err = s.eng.Chat(r.Context(), creq, nil)
		if err != nil {
			s.countEngineError(err)
			return err
		}
		shell.Output = openaiwire.RespOutput(res)
		openaiwire.RespFinish(&shell, res, shell.Output, s.now().Unix())
		out = &shell
		writeJSON(w, http.StatusOK, out)
	}
	if res == nil {
		return nil
	}
	s.recordGeneration(r, creq.Model, res.Usage, res.Timings)
	if out.Store {
		body, _ := json.Marshal(out)
		st.Put(out.ID, append(conv, openaiwire.RespAnswer(res)), body)
	}
	return nil
}

// respStream writes the Responses API's typed SSE events, numbered in order.
type respStream struct {
	sw  *streamWriter
	seq int
}

func (rs *respStream) send(typ string, fields map[string]any) error {
	fields["type"] = typ
	fields["sequence_number"] = rs.seq
	rs.seq++
	b, err := json.Marshal(fields)
	if err != nil {
		return err
	}
	sw := rs.sw
	sw.mu.Lock()
	defer sw.mu.Unlock()
	sw.start()
	if _, err := sw.w.Write([]byte("event: " + typ + "\ndata: " + string(b) + "\n\n")); err != nil {
		return err
	}
	if err := sw.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}

// streamResponses streams one answer as Responses events (openaiwire.RespEvents). Nothing is
// sent before the engine produces its first event, so an unknown model still gets a 404 with a
// JSON body. It returns the result and the final response, or nils when the stream failed.
func (s *Server) streamResponses(w http.ResponseWriter, r *http.Request, creq engine.ChatRequest, resp openaiwire.Response) (*engine.ChatResult, *openaiwire.Response) {
	rs := &respStream{sw: newSSE(w)}
	st := &openaiwire.RespEvents{Send: rs.send, Resp: &resp}
	res, err := s.eng.Chat(r.Context(), creq, st.Event)
	if err == nil {
		err = st.Finish(res, s.now().Unix())
	}
	if err != nil {
		s.countEngineError(err)
		rs.sw.fail(w, r, err, writeOpenAIError, func(e *apiError) any {
			return map[string]any{"type": "error", "code": e.Code, "message": e.Message, "param": nilIfEmpty(e.Param), "sequence_number": rs.seq}
		})
		return nil, nil
	}
	return res, &resp
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}
