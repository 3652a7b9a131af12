package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/perchapp/perch/app/chats"
	"github.com/perchapp/perch/app/docs"
	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/chat"
)

// chatView is a chat as GET /perch/chats/{id} returns it: the stored chat plus its context
// meter and whether an answer is being written right now.
type chatView struct {
	chats.Chat
	Context    *contextMeter `json:"context,omitempty"`
	Generating bool          `json:"generating"`
}

// contextMeter says how much of the model's context the chat fills, and the KV memory that
// takes: tokens × (the loaded model's KV bytes ÷ its KV cells).
type contextMeter struct {
	Model           string `json:"model"`
	UsedTokens      int    `json:"used_tokens"`
	ContextTokens   int    `json:"context_tokens"`
	KVBytesPerToken int64  `json:"kv_bytes_per_token"`
	KVBytes         int64  `json:"kv_bytes"`
	// Loaded is false when the model is not in memory; ContextTokens is then the model's
	// trained context, not the slot it will get.
	Loaded bool `json:"loaded"`
}

func (a *perchAPI) chatsList(w http.ResponseWriter, r *http.Request) error {
	o := chats.ListOptions{Query: r.URL.Query().Get("q")}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return badRequest("limit", "limit must be a whole number from 1 to 1000, got %q", v)
		}
		o.Limit = n
	}
	if len(o.Query) > 500 {
		return badRequest("q", "the search text is %d bytes; the limit is 500", len(o.Query))
	}
	list, err := a.chats.List(r.Context(), o)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"chats": list})
	return nil
}

func (a *perchAPI) chatCreate(w http.ResponseWriter, r *http.Request) error {
	var n chats.NewChat
	if err := decodeBody(r, &n); err != nil {
		return err
	}
	if n.Model == "" && a.settings != nil {
		n.Model = a.settings.Get().DefaultModel
	}
	if n.Model != "" {
		if err := validateModelName("model", n.Model); err != nil {
			return err
		}
	}
	c, err := a.chats.Create(r.Context(), n)
	if err != nil {
		return err
	}
	c.Messages = []chats.Message{}
	writeJSON(w, http.StatusCreated, chatView{Chat: c})
	return nil
}

func (a *perchAPI) chatGet(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := a.chats.Get(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, chatView{Chat: c, Context: a.meter(c), Generating: a.gens.active(id)})
	return nil
}

func (a *perchAPI) chatPatch(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var p chats.Patch
	if err := decodeBody(r, &p); err != nil {
		return err
	}
	if p.Model != nil && *p.Model != "" {
		if err := validateModelName("model", *p.Model); err != nil {
			return err
		}
	}
	c, err := a.chats.Update(r.Context(), id, p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, chatView{Chat: c, Generating: a.gens.active(id)})
	return nil
}

func (a *perchAPI) chatDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a.gens.stop(id) // an answer being written to a deleted chat has nowhere to go
	if err := a.chats.Delete(r.Context(), id); err != nil {
		return err
	}
	// The chat is gone; its collection link and saved sources go with it. A failure here
	// leaves only rows no chat can reach (ids are never reused), so it is logged, not answered.
	if f, ok := a.s.collections().(chatForgetter); ok {
		if err := f.ForgetChat(r.Context(), id); err != nil {
			a.s.log.Warn("forget the deleted chat's collection and sources", "chat", id, "err", err)
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// chatForgetter is a store that keeps data about chats (*docs.Store: the collection a chat
// cites and the sources of its answers).
type chatForgetter interface {
	ForgetChat(ctx context.Context, chatID int64) error
}

type contentRequest struct {
	Content string `json:"content"`
}

func decodeContent(r *http.Request) (string, error) {
	var req contentRequest
	if err := decodeBody(r, &req); err != nil {
		return "", err
	}
	if err := chats.ValidateContent(req.Content); err != nil {
		return "", &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Param: "content", Message: err.Error()}
	}
	return req.Content, nil
}

// chatSend appends the user's message and streams the answer.
func (a *perchAPI) chatSend(w http.ResponseWriter, r *http.Request) error {
	return a.respond(w, r, func(ctx context.Context, id int64) (chats.Message, error) {
		content, err := decodeContent(r)
		if err != nil {
			return chats.Message{}, err
		}
		return a.chats.AddUserMessage(ctx, id, content)
	})
}

// chatRegenerate answers the last user message again; the new answer replaces the old one
// once it is saved (a failed attempt leaves the old one in place).
func (a *perchAPI) chatRegenerate(w http.ResponseWriter, r *http.Request) error {
	return a.respond(w, r, func(ctx context.Context, id int64) (chats.Message, error) {
		return a.chats.LastUserMessage(ctx, id)
	})
}

// chatEdit changes one of the user's messages, drops what followed it and answers it.
func (a *perchAPI) chatEdit(w http.ResponseWriter, r *http.Request) error {
	return a.respond(w, r, func(ctx context.Context, id int64) (chats.Message, error) {
		mid, err := pathID(r, "mid")
		if err != nil {
			return chats.Message{}, err
		}
		content, err := decodeContent(r)
		if err != nil {
			return chats.Message{}, err
		}
		return a.chats.EditUserMessage(ctx, id, mid, content)
	})
}

// chatStop stops the answer being written in a chat; its stream ends with the saved,
// stopped answer.
func (a *perchAPI) chatStop(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]bool{"stopped": a.gens.stop(id)})
	return nil
}

// chatEvent is one SSE event of an answer. Type is start, trimmed, reasoning, delta, done
// or error.
type chatEvent struct {
	Type string `json:"type"`
	// start: the user message the answer replies to (saved), and the model answering.
	User  *chats.Message `json:"user,omitempty"`
	Model string         `json:"model,omitempty"`
	// reasoning and delta: the next piece of text.
	Text string `json:"text,omitempty"`
	// trimmed: how many of the earliest messages were left out to fit the context.
	Dropped int `json:"dropped,omitempty"`
	// done: the saved answer and the chat's context meter.
	Message *chats.Message `json:"message,omitempty"`
	Context *contextMeter  `json:"context,omitempty"`
	// error: what went wrong; Message is set too when part of the answer was saved.
	Error *openAIErrorObject `json:"error,omitempty"`
}

// respond runs the common part of send, regenerate and edit: claim the chat (one answer at
// a time), store the user's turn (prepare), stream the model's answer, save it.
func (a *perchAPI) respond(w http.ResponseWriter, r *http.Request, prepare func(ctx context.Context, id int64) (chats.Message, error)) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	if !a.gens.claim(id, cancel) {
		return errBusy
	}
	defer a.gens.release(id)

	c, model, err := a.chatAndModel(ctx, id)
	if err != nil {
		return err
	}
	user, err := prepare(ctx, id)
	if err != nil {
		return err
	}
	// The history up to and including the user's turn, re-read after prepare changed it.
	c, err = a.chats.Get(ctx, id)
	if err != nil {
		return err
	}
	req := chatRequest(c, model, user.ID)
	noteModel(r, model)
	rag, err := a.s.chatCollection(ctx, id, user.ID, &req) // cite the attached collection (perch_collections.go)
	if err != nil {
		return err
	}

	sw := newSSE(w)
	if err := sw.Send(chatEvent{Type: "start", User: &user, Model: model}); err != nil {
		return nil
	}
	if err := sendSources(sw, rag); err != nil {
		return nil
	}
	ans, genErr, stopped := a.generate(ctx, r, sw, req)
	// Save even when the client is gone: the stopped answer belongs in the history.
	saveCtx, done := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer done()
	a.finish(saveCtx, r, sw, c.Model, ans, genErr, stopped, func(ans chats.Message) (chats.Message, error) {
		return a.chats.SaveAnswer(saveCtx, id, user.ID, ans)
	})
	return nil
}

var errBusy = &apiError{Status: http.StatusConflict, Type: "invalid_request_error", Code: "busy",
	Message: "an answer is already being written in this chat; stop it first"}

// chatAndModel reads a chat and the model that answers in it.
func (a *perchAPI) chatAndModel(ctx context.Context, id int64) (chats.Chat, string, error) {
	c, err := a.chats.Get(ctx, id)
	if err != nil {
		return chats.Chat{}, "", err
	}
	model := c.Model
	if model == "" && a.settings != nil {
		model = a.settings.Get().DefaultModel
	}
	if model == "" {
		return chats.Chat{}, "", badRequest("model", "this chat has no model: choose one (PATCH the chat's model, or set a default model)")
	}
	return c, model, nil
}

// finish saves the answer (unless it failed with nothing written) and ends the stream with
// done, or with error when the engine failed.
func (a *perchAPI) finish(ctx context.Context, r *http.Request, sw *streamWriter, chatModel string, ans chats.Message, genErr error, stopped bool, save func(chats.Message) (chats.Message, error)) {
	failed := genErr != nil && !stopped
	var saved *chats.Message
	if !failed || ans.Content != "" || ans.Reasoning != "" {
		m, err := save(ans)
		if err != nil {
			a.s.log.Warn("chat answer not saved", "error", err)
			sw.Send(chatEvent{Type: "error", Error: &openAIErrorObject{Message: "the answer could not be saved: " + err.Error(), Type: "server_error"}})
			return
		}
		saved = &m
	}
	if failed {
		e := toAPIError(genErr)
		noteError(r, e)
		obj := openAIError(e).Error
		sw.Send(chatEvent{Type: "error", Error: &obj, Message: saved})
		return
	}
	// The saved answer is the chat's last message now, so it alone gives the meter.
	sw.Send(chatEvent{Type: "done", Message: saved, Context: a.meterOf(chatModel, *saved)})
}

// maxTrims bounds the retries that drop more of the oldest turns when the prompt is still
// over the context.
const maxTrims = 4

// generate streams the model's answer to req. When the conversation no longer fits the
// context, the oldest turns are left out (the system prompt and the newest question stay),
// and a trimmed event says how many, rather than failing every later message.
func (a *perchAPI) generate(ctx context.Context, r *http.Request, sw *streamWriter, req engine.ChatRequest) (chats.Message, error, bool) {
	var (
		content, reasoning strings.Builder
		pieces, dropped    int
		first              time.Time
		start              = a.s.now()
		res                *engine.ChatResult
		genErr             error
	)
	for try := 0; ; try++ {
		res, genErr = a.s.eng.Chat(ctx, req, func(ev engine.ChatEvent) error {
			if first.IsZero() {
				first = a.s.now()
			}
			pieces++
			if ev.Reasoning != "" {
				reasoning.WriteString(ev.Reasoning)
				if err := sw.Send(chatEvent{Type: "reasoning", Text: ev.Reasoning}); err != nil {
					return err
				}
			}
			if ev.Content != "" {
				content.WriteString(ev.Content)
				if err := sw.Send(chatEvent{Type: "delta", Text: ev.Content}); err != nil {
					return err
				}
			}
			return nil
		})
		var ee *engine.Error
		if pieces > 0 || try >= maxTrims || !errors.As(genErr, &ee) || ee.Kind != engine.KindContextExceeded {
			break
		}
		n := trimHistory(&req, ee.PromptTokens, ee.ContextLength)
		if n == 0 {
			break
		}
		dropped += n
		if err := sw.Send(chatEvent{Type: "trimmed", Dropped: dropped}); err != nil {
			break
		}
	}
	stopped := ctx.Err() != nil
	if genErr != nil && !stopped {
		a.s.countEngineError(genErr)
	}
	ans := chats.Message{Model: req.Model, Content: content.String(), Reasoning: reasoning.String(), Dropped: dropped}
	switch {
	case res != nil && !stopped:
		ans.Content, ans.Reasoning = res.Message.Content, res.Message.Reasoning
		ans.FinishReason = res.FinishReason
		ans.Stopped = res.FinishReason == engine.FinishCancelled
		ans.Stats = statsOf(res)
		noteTokens(r, res.Usage.PromptTokens, res.Usage.CompletionTokens)
	case stopped:
		ans.Stopped, ans.FinishReason = true, engine.FinishCancelled
		if res != nil {
			ans.Stats = statsOf(res)
		} else {
			ans.Stats = roughStats(pieces, start, first, a.s.now())
			ans.Stats.PromptTokens = a.promptTokens(context.WithoutCancel(ctx), req)
		}
	default: // the engine failed
		ans.Stopped, ans.FinishReason = true, "error"
		ans.Stats = roughStats(pieces, start, first, a.s.now())
	}
	return ans, genErr, stopped
}

// promptTokens counts the tokens of a request's messages with the model's tokenizer, for an
// answer stopped before the engine reported its usage, so the context meter stays right. The
// template's few role markers are not counted.
func (a *perchAPI) promptTokens(ctx context.Context, req engine.ChatRequest) int {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	var b strings.Builder
	for _, m := range req.Messages {
		b.WriteString(m.Content)
		b.WriteString("\n")
	}
	toks, err := a.s.eng.Tokenize(ctx, req.Model, b.String(), true, false)
	if err != nil {
		return 0
	}
	return len(toks)
}

// trimHistory leaves out the oldest turns of req (after a system prompt; never the last
// message) until, by a share-of-characters estimate, the prompt fits in ctxLen with a
// quarter of it (at most 1024 tokens) left for the answer. It drops whole turns, so the
// history still starts with a question, and returns how many messages it dropped.
func trimHistory(req *engine.ChatRequest, promptTokens, ctxLen int) int {
	msgs := req.Messages
	head := 0
	if len(msgs) > 0 && msgs[0].Role == "system" {
		head = 1
	}
	if len(msgs)-head < 2 || promptTokens <= 0 || ctxLen <= 0 {
		return 0
	}
	chars := 0
	for _, m := range msgs {
		chars += len(m.Content) + 16
	}
	perChar := float64(promptTokens) / float64(max(chars, 1))
	need := float64(promptTokens - ctxLen + min(ctxLen/4, 1024))
	cut := head
	for cut < len(msgs)-1 && need > 0 {
		need -= perChar * float64(len(msgs[cut].Content)+16)
		cut++
		// Keep going to the next question, so no answer is left without its question.
		for cut < len(msgs)-1 && msgs[cut].Role != "user" {
			need -= perChar * float64(len(msgs[cut].Content)+16)
			cut++
		}
	}
	if cut == head {
		return 0
	}
	req.Messages = append(append([]chat.Message(nil), msgs[:head]...), msgs[cut:]...)
	return cut - head
}

// chatContinue writes more of an answer cut by the token limit: the model picks up where
// the answer ends, and the text is appended to the same message.
func (a *perchAPI) chatContinue(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	mid, err := pathID(r, "mid")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	if !a.gens.claim(id, cancel) {
		return errBusy
	}
	defer a.gens.release(id)
	c, model, err := a.chatAndModel(ctx, id)
	if err != nil {
		return err
	}
	last := len(c.Messages) - 1
	if last < 0 || c.Messages[last].ID != mid || c.Messages[last].Role != chats.RoleAssistant {
		return badRequest("mid", "only the chat's last answer can be continued")
	}
	cut := c.Messages[last]
	req := chatRequest(c, model, cut.ParentID)
	req.Messages = append(req.Messages, chat.Message{Role: chats.RoleAssistant, Content: cut.Content})
	req.Continue = true
	noteModel(r, model)

	sw := newSSE(w)
	parent := chats.Message{ID: cut.ParentID, ChatID: id, Role: chats.RoleUser}
	if err := sw.Send(chatEvent{Type: "start", User: &parent, Model: model}); err != nil {
		return nil
	}
	ans, genErr, stopped := a.generate(ctx, r, sw, req)
	saveCtx, done := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer done()
	a.finish(saveCtx, r, sw, c.Model, ans, genErr, stopped, func(ans chats.Message) (chats.Message, error) {
		return a.chats.ExtendAnswer(saveCtx, id, mid, ans)
	})
	return nil
}

// chatExport is the file a chat is exported to and imported from (JSON).
type chatExport struct {
	Format   string          `json:"format"`
	Version  int             `json:"version"`
	Title    string          `json:"title"`
	Model    string          `json:"model"`
	System   string          `json:"system"`
	Params   chats.Params    `json:"params"`
	Messages []chats.Message `json:"messages"`
}

// chatExportFormat names Perch's chat files; anything else is refused on import.
const chatExportFormat = "perch.chat"

// chatImport makes a chat from an exported file. A file that is not Perch's format gets a
// clear 400 and changes nothing.
func (a *perchAPI) chatImport(w http.ResponseWriter, r *http.Request) error {
	var in chatExport
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	if in.Format != chatExportFormat || in.Version != 1 {
		return badRequest("format", "this file is not a chat exported by Perch (it needs \"format\": %q and \"version\": 1); nothing was imported", chatExportFormat)
	}
	c, err := a.chats.Import(r.Context(), chats.NewChat{Title: in.Title, Model: in.Model, System: in.System, Params: in.Params}, in.Messages)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, chatView{Chat: c})
	return nil
}

// chatSelectVersion shows another version of a turn (‹1/2›): the chat's path runs through it.
func (a *perchAPI) chatSelectVersion(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	mid, err := pathID(r, "mid")
	if err != nil {
		return err
	}
	if a.gens.active(id) {
		return errBusy
	}
	c, err := a.chats.SelectVersion(r.Context(), id, mid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, chatView{Chat: c, Context: a.meter(c)})
	return nil
}

// chatRequest builds the engine request: the system prompt, then every message up to and
// including the user's turn replyTo, with the chat's parameters.
func chatRequest(c chats.Chat, model string, replyTo int64) engine.ChatRequest {
	req := engine.ChatRequest{Model: model, RequestOptions: engine.RequestOptions{Sampling: engine.DefaultSampling()}}
	if strings.TrimSpace(c.System) != "" {
		req.Messages = append(req.Messages, chat.Message{Role: "system", Content: c.System})
	}
	for _, m := range c.Messages {
		if m.ID > replyTo {
			break
		}
		if m.Role == chats.RoleAssistant && m.Content == "" {
			continue // an answer stopped before its first word says nothing to the model
		}
		// Earlier answers go back without their reasoning, as chat templates expect.
		req.Messages = append(req.Messages, chat.Message{Role: m.Role, Content: m.Content})
	}
	p := c.Params
	if p.Temperature != nil {
		req.Sampling.Temperature = float32(*p.Temperature)
	}
	if p.TopP != nil {
		req.Sampling.TopP = float32(*p.TopP)
	}
	if p.TopK != nil {
		req.Sampling.TopK = *p.TopK
	}
	if p.MinP != nil {
		req.Sampling.MinP = float32(*p.MinP)
	}
	if p.RepeatPenalty != nil {
		req.Sampling.RepeatPenalty = float32(*p.RepeatPenalty)
	}
	if p.Seed != nil {
		req.Sampling.Seed = *p.Seed
	}
	if p.MaxTokens != nil {
		req.MaxTokens = *p.MaxTokens
	}
	req.Think = p.Think
	return req
}

func statsOf(res *engine.ChatResult) *chats.Stats {
	return &chats.Stats{
		PromptTokens: res.Usage.PromptTokens, CachedTokens: res.Usage.CachedTokens, CompletionTokens: res.Usage.CompletionTokens,
		TTFTMs: res.Timings.FirstTokenM, TokensPerSecond: res.Timings.PredictPerS, TotalMs: res.Timings.TotalMs,
		DraftTokens: res.Timings.DraftTokens, DraftAccepted: res.Timings.DraftAccepted,
	}
}

// roughStats stands in when the engine returned no result (stopped or failed): each event
// carries about one token.
func roughStats(pieces int, start, first, end time.Time) *chats.Stats {
	st := &chats.Stats{CompletionTokens: pieces, TotalMs: float64(end.Sub(start).Microseconds()) / 1000}
	if !first.IsZero() {
		st.TTFTMs = float64(first.Sub(start).Microseconds()) / 1000
		if d := end.Sub(first).Seconds(); d > 0 && pieces > 1 {
			st.TokensPerSecond = float64(pieces-1) / d
		}
	}
	return st
}

// meter computes the context meter from the last answer's usage and the loaded model.
func (a *perchAPI) meter(c chats.Chat) *contextMeter {
	for i := len(c.Messages) - 1; i >= 0; i-- {
		if m := c.Messages[i]; m.Role == chats.RoleAssistant && m.Stats != nil {
			return a.meterOf(c.Model, m)
		}
	}
	return a.meterOf(c.Model, chats.Message{})
}

// meterOf computes the meter from one answer: its usage and its model (else chatModel).
func (a *perchAPI) meterOf(chatModel string, ans chats.Message) *contextMeter {
	model, used := chatModel, 0
	if ans.Stats != nil {
		used = ans.Stats.PromptTokens + ans.Stats.CompletionTokens
		if ans.Model != "" {
			model = ans.Model
		}
	}
	if model == "" {
		return nil
	}
	cm := &contextMeter{Model: model, UsedTokens: used}
	for _, st := range a.s.eng.Loaded() {
		if st.Name != model {
			continue
		}
		cm.Loaded = true
		cm.ContextTokens = st.SlotCtx
		if st.Memory.KVCells > 0 {
			cm.KVBytesPerToken = st.Memory.KVBytes / int64(st.Memory.KVCells)
		}
		cm.KVBytes = cm.KVBytesPerToken * int64(used)
		return cm
	}
	if a.s.lib != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if m, err := a.s.lib.Get(ctx, model); err == nil {
			cm.ContextTokens = m.ContextLength
		}
	}
	return cm
}

// generations tracks the answer being written in each chat, so a second one is refused and
// POST /perch/chats/{id}/stop can cancel it.
type generations struct {
	mu  sync.Mutex
	run map[int64]context.CancelFunc
}

func newGenerations() *generations { return &generations{run: map[int64]context.CancelFunc{}} }

func (g *generations) claim(id int64, cancel context.CancelFunc) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, busy := g.run[id]; busy {
		return false
	}
	g.run[id] = cancel
	return true
}

func (g *generations) release(id int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.run, id)
}

func (g *generations) active(id int64) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	_, ok := g.run[id]
	return ok
}

func (g *generations) stop(id int64) bool {
	g.mu.Lock()
	cancel, ok := g.run[id]
	g.mu.Unlock()
	if ok {
		cancel()
	}
	return ok
}

// sendSources sends the sources of a UI chat answer that cited a collection.
func sendSources(sw *streamWriter, r *docs.Retrieval) error {
	if r == nil {
		return nil
	}
	return sw.Send(sourcesEventOf(r))
}
