package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"time"

	openaiwire "github.com/perchapp/perch/app/wire/openai"
	"github.com/perchapp/perch/engine"
)

// OpenAI's Responses API: POST /v1/responses (plain and streamed), GET and DELETE
// /v1/responses/{id}. The conversions are in app/wire/openai (responses_convert.go); this
// file moves data and keeps recent responses in memory so previous_response_id works.

// Stored responses are kept for an hour, at most 256 of them (oldest dropped first): enough
// for a client's conversation, bounded for a long-running server.
const (
	respStoreMax = 256
	respStoreTTL = time.Hour
)

type storedResp struct {
	conv openaiwire.RespConversation // the conversation including this answer, without instructions
	body []byte                      // the final response object
	at   time.Time
}

type respStore struct {
	mu    sync.Mutex
	max   int
	ttl   time.Duration
	now   func() time.Time
	items map[string]storedResp
	order []string // ids, oldest first
}

func newRespStore(max int, ttl time.Duration, now func() time.Time) *respStore {
	return &respStore{max: max, ttl: ttl, now: now, items: map[string]storedResp{}}
}

func (st *respStore) put(id string, conv openaiwire.RespConversation, body []byte) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.items[id] = storedResp{conv: conv, body: body, at: st.now()}
	st.order = append(st.order, id)
	st.expire()
	for len(st.items) > st.max && len(st.order) > 0 {
		delete(st.items, st.order[0])
		st.order = st.order[1:]
	}
}

func (st *respStore) get(id string) (storedResp, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.expire()
	v, ok := st.items[id]
	return v, ok
}

func (st *respStore) remove(id string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	_, ok := st.items[id]
	delete(st.items, id)
	return ok
}

// expire drops responses older than the ttl; order is oldest first. Called with mu held.
func (st *respStore) expire() {
	cut := st.now().Add(-st.ttl)
	for len(st.order) > 0 {
		v, ok := st.items[st.order[0]]
		if ok && v.at.After(cut) {
			return
		}
		delete(st.items, st.order[0])
		st.order = st.order[1:]
	}
}

func respNotFound(id string) *apiError {
	return &apiError{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "not_found", Param: "response_id",
		Message: "no response with id '" + id + "': it was never stored here, or it expired (responses are kept for an hour)"}
}

func (s *Server) openaiResponseGet(w http.ResponseWriter, r *http.Request) error {
	st := s.responses
	v, ok := st.get(r.PathValue("id"))
	if !ok {
		return respNotFound(r.PathValue("id"))
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(v.body)
	return nil
}

func (s *Server) openaiResponseDelete(w http.ResponseWriter, r *http.Request) error {
	st := s.responses
	id := r.PathValue("id")
	if !st.remove(id) {
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
		v, ok := st.get(req.PreviousResponseID)
		if !ok {
			e := respNotFound(req.PreviousResponseID)
			e.Param = "previous_response_id"
			return e
		}
		prev = v.conv
	}
	creq, conv, err := openaiwire.RespRequestToChat(req, prev)
	if err != nil {
		return err
	}
	noteModel(r, creq.Model)
	creq.KeepAlive = s.keepAlive(creq.KeepAlive)
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
		st.put(out.ID, append(conv, openaiwire.RespAnswer(res)), body)
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
