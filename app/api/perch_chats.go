package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/perchapp/perch/app/chats"
	"github.com/perchapp/perch/engine"
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
	writeJSON(w, http.StatusOK, chatView{Chat: c, Context: a.meter(c), Generating: a.answers.Active(id)})
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
	writeJSON(w, http.StatusOK, chatView{Chat: c, Generating: a.answers.Active(id)})
	return nil
}

func (a *perchAPI) chatDelete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	a.answers.Stop(id) // an answer being written to a deleted chat has nowhere to go
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
	writeJSON(w, http.StatusOK, map[string]bool{"stopped": a.answers.Stop(id)})
	return nil
}

// chatEvent is one SSE event of an answer. Type is start, reasoning, delta, done or error.
type chatEvent struct {
	Type string `json:"type"`
	// start: the user message the answer replies to (saved), and the model answering.
	User  *chats.Message `json:"user,omitempty"`
	Model string         `json:"model,omitempty"`
	// reasoning and delta: the next piece of text.
	Text string `json:"text,omitempty"`
	// done: the saved answer and the chat's context meter.
	Message *chats.Message `json:"message,omitempty"`
	Context *contextMeter  `json:"context,omitempty"`
	// error: what went wrong; Message is set too when part of the answer was saved.
	Error *openAIErrorObject `json:"error,omitempty"`
}

// respond runs the common part of send, regenerate and edit through the chats' answer
// service (app/chats/answer): claim the chat, store the user's turn (prepare), stream the
// model's answer as SSE, save it.
func (a *perchAPI) respond(w http.ResponseWriter, r *http.Request, prepare func(ctx context.Context, id int64) (chats.Message, error)) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	t, err := a.answers.Begin(r.Context(), id, prepare)
	if err != nil {
		return err
	}
	defer t.End()
	noteModel(r, t.Model)
	if err := t.Cite(); err != nil { // cite the attached collection (perch_collections.go)
		return err
	}
	sw := newSSE(w)
	if err := sw.Send(chatEvent{Type: "start", User: &t.User, Model: t.Model}); err != nil {
		return nil
	}
	if t.Sources != nil {
		if err := sw.Send(sourcesEventOf(t.Sources)); err != nil {
			return nil
		}
	}
	o := t.Generate(func(ev engine.ChatEvent) error {
		if ev.Reasoning != "" {
			if err := sw.Send(chatEvent{Type: "reasoning", Text: ev.Reasoning}); err != nil {
				return err
			}
		}
		if ev.Content != "" {
			return sw.Send(chatEvent{Type: "delta", Text: ev.Content})
		}
		return nil
	})
	a.s.countEngineError(o.Err)
	if o.Result != nil {
		noteTokens(r, o.Result.Usage.PromptTokens, o.Result.Usage.CompletionTokens)
	}
	switch {
	case o.SaveErr != nil:
		sw.Send(chatEvent{Type: "error", Error: &openAIErrorObject{Message: "the answer could not be saved: " + o.SaveErr.Error(), Type: "server_error"}})
	case o.Err != nil:
		e := toAPIError(o.Err)
		noteError(r, e)
		obj := openAIError(e).Error
		sw.Send(chatEvent{Type: "error", Error: &obj, Message: o.Saved})
	default:
		// The saved answer is the chat's last message now, so it alone gives the meter.
		sw.Send(chatEvent{Type: "done", Message: o.Saved, Context: a.meterOf(t.Chat.Model, *o.Saved)})
	}
	return nil
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
