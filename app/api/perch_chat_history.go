package api

import (
	"context"
	"net/http"

	"github.com/perchapp/perch/app/chats"
	perchwire "github.com/perchapp/perch/app/wire/perch"
)

// The history list's own actions: pin a chat to the top, delete several at once.

// chatHistory is what pinning and deleting several chats need; *chats.Store has it.
type chatHistory interface {
	SetPinned(ctx context.Context, id int64, pinned bool) (chats.Chat, error)
	DeleteMany(ctx context.Context, ids []int64) (int, error)
}

func (a *perchAPI) history() (chatHistory, error) {
	h, ok := a.chats.(chatHistory)
	if !ok {
		return nil, unavailable("pinning and deleting several chats")
	}
	return h, nil
}

// pinRequest is PUT /perch/chats/{id}/pin's body.
type pinRequest struct {
	Pinned *bool `json:"pinned"`
}

func (a *perchAPI) chatPin(w http.ResponseWriter, r *http.Request) error {
	h, err := a.history()
	if err != nil {
		return err
	}
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var p pinRequest
	if err := decodeBody(r, &p); err != nil {
		return err
	}
	if p.Pinned == nil {
		return badRequest("pinned", `give "pinned": true to pin the chat or false to unpin it`)
	}
	c, err := h.SetPinned(r.Context(), id, *p.Pinned)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, chatView{Chat: c, Generating: a.answers.Active(id)})
	return nil
}

// deleteChatsRequest is POST /perch/chats/delete's body.
type deleteChatsRequest struct {
	IDs []int64 `json:"ids"`
}

// chatsDelete deletes several chats in one transaction: all of them, or none when one is
// unknown.
func (a *perchAPI) chatsDelete(w http.ResponseWriter, r *http.Request) error {
	h, err := a.history()
	if err != nil {
		return err
	}
	var req deleteChatsRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if len(req.IDs) == 0 {
		return badRequest("ids", `give "ids": the list of chat ids to delete`)
	}
	if len(req.IDs) > chats.MaxDeleteMany {
		return badRequest("ids", "%d chats at once is too many; delete at most %d at a time", len(req.IDs), chats.MaxDeleteMany)
	}
	n, err := h.DeleteMany(r.Context(), req.IDs)
	if err != nil {
		return err
	}
	// As for one chat (chatDelete): answers being written stop, and the chats' collection
	// links and saved sources go. A failure leaves only unreachable rows, so it is logged.
	f, _ := a.s.collections().(interface {
		ForgetChat(ctx context.Context, chatID int64) error
	})
	for _, id := range req.IDs {
		a.answers.Stop(id)
		if f == nil {
			continue
		}
		if err := f.ForgetChat(r.Context(), id); err != nil {
			a.s.log.Warn("forget the deleted chat's collection and sources", "chat", id, "err", err)
		}
	}
	writeJSON(w, http.StatusOK, perchwire.DeleteChatsResult{Deleted: n})
	return nil
}
