package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/perchapp/perch/app/chats"
	"github.com/perchapp/perch/app/chats/answer"
	"github.com/perchapp/perch/app/docs"
	"github.com/perchapp/perch/app/wire"
)

// chatView is a chat as GET /perch/chats/{id} returns it: the stored chat plus its context
// meter and whether an answer is being written right now.
type chatView struct {
	chats.Chat
	Context    *answer.Meter `json:"context,omitempty"`
	Generating bool          `json:"generating"`
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
		if err := wire.ValidateModelName("model", n.Model); err != nil {
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
	writeJSON(w, http.StatusOK, chatView{Chat: c, Context: a.answers.Meter(c), Generating: a.answers.Active(id)})
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
		if err := wire.ValidateModelName("model", *p.Model); err != nil {
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
	Context *answer.Meter  `json:"context,omitempty"`
	// error: what went wrong; Message is set too when part of the answer was saved.
	Error *openAIErrorObject `json:"error,omitempty"`
}

// respond runs the common part of send, regenerate and edit: the answer service claims the
// chat and stores the user's turn (prepare); here the answer is streamed as SSE.
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
	rag, err := t.Cite() // cite the attached collection
	if err != nil {
		return err
	}
	sw := newSSE(w)
	if err := sw.Send(chatEvent{Type: "start", User: &t.User, Model: t.Model}); err != nil {
		return nil
	}
	if err := sendSources(sw, rag); err != nil {
		return nil
	}
	a.streamAnswer(r, sw, t)
	return nil
}

// streamAnswer writes the answer's pieces as SSE events and ends the stream with done (the
// saved answer and the context meter), or with error when the engine failed or the answer
// could not be saved.
func (a *perchAPI) streamAnswer(r *http.Request, sw *streamWriter, t *answer.Turn) {
	o := t.Generate(chatSink{sw})
	if o.Err != nil {
		a.s.countEngineError(o.Err)
	}
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
		sw.Send(chatEvent{Type: "done", Message: o.Saved, Context: a.answers.MeterOf(t.Chat.Model, *o.Saved)})
	}
}

// chatSink writes an answer's pieces as the UI chat's SSE events.
type chatSink struct{ sw *streamWriter }

func (k chatSink) Reasoning(text string) error {
	return k.sw.Send(chatEvent{Type: "reasoning", Text: text})
}

func (k chatSink) Content(text string) error { return k.sw.Send(chatEvent{Type: "delta", Text: text}) }

func (k chatSink) Trimmed(dropped int) error {
	return k.sw.Send(chatEvent{Type: "trimmed", Dropped: dropped})
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
	t, err := a.answers.BeginContinue(r.Context(), id, mid)
	if err != nil {
		return err
	}
	defer t.End()
	noteModel(r, t.Model)
	sw := newSSE(w)
	if err := sw.Send(chatEvent{Type: "start", User: &t.User, Model: t.Model}); err != nil {
		return nil
	}
	a.streamAnswer(r, sw, t)
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
	if a.answers.Active(id) {
		return answer.ErrBusy
	}
	c, err := a.chats.SelectVersion(r.Context(), id, mid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, chatView{Chat: c, Context: a.answers.Meter(c)})
	return nil
}

// sendSources sends the sources of a UI chat answer that cited a collection.
func sendSources(sw *streamWriter, r *docs.Retrieval) error {
	if r == nil {
		return nil
	}
	return sw.Send(sourcesEventOf(r))
}
