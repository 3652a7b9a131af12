package docs

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/perchapp/perch/app/wire"
	"github.com/perchapp/perch/engine"
	"github.com/perchapp/perch/engine/chat"
)

// A chat that names a collection is answered from it: the last user message is the question
// the collection is searched for, and the model sees, in its place, the prompt that cites what
// was found (Retrieval.Prompt). The stored history keeps the question as asked. A request to
// POST /v1/chat/completions names the collection (Ref, CiteRequest); a UI chat has one
// attached (CiteChat), and the sources are saved with the user's turn.

// Question finds the question of a chat: the index of its last user message. ok is false
// when there is none, or it is blank.
func Question(msgs []chat.Message) (i int, ok bool) {
	last := -1
	for i, m := range msgs {
		if m.Role == "user" {
			last = i
		}
	}
	if last < 0 || strings.TrimSpace(msgs[last].Content) == "" {
		return -1, false
	}
	return last, true
}

// Cite returns a copy of msgs in which message i, the question, is replaced by the prompt
// that cites r's sources; msgs itself is left as it was.
func (r *Retrieval) Cite(msgs []chat.Message, i int) []chat.Message {
	out := append(msgs[:0:0], msgs...)
	out[i].Content = r.Prompt()
	return out
}

// Ref is the collection a chat request names, and how to search it.
type Ref struct {
	// Name is the collection's name or id.
	Name string
	// TopK (0: the default) and MinScore (nil: the collection's) tune the search.
	TopK     int
	MinScore *float64
}

// ParseRef reads the "collection" member of a chat request: "notes", 3, or {"name": "notes" |
// "id": 3, "top_k": 6, "min_score": 0.4}. A bad one is a *wire.ParamError.
func ParseRef(raw json.RawMessage) (Ref, error) {
	raw = bytes.TrimSpace(raw)
	var ref Ref
	switch {
	case len(raw) > 0 && raw[0] == '"':
		if err := json.Unmarshal(raw, &ref.Name); err != nil {
			return ref, wire.BadRequest("collection", `field "collection" must be a name, an id or an object`)
		}
	case len(raw) > 0 && raw[0] == '{':
		var o struct {
			ID       *int64   `json:"id"`
			Name     string   `json:"name"`
			TopK     int      `json:"top_k"`
			MinScore *float64 `json:"min_score"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			return ref, wire.BadRequest("collection", `field "collection" must be {"name" or "id", "top_k", "min_score"}: %v`, err)
		}
		ref.Name, ref.TopK, ref.MinScore = o.Name, o.TopK, o.MinScore
		if o.ID != nil {
			ref.Name = strconv.FormatInt(*o.ID, 10)
		}
	default:
		var id int64
		if err := json.Unmarshal(raw, &id); err != nil || id <= 0 {
			return ref, wire.BadRequest("collection", `field "collection" must be a name, an id or an object, got %s`, wire.JSONKind(raw))
		}
		ref.Name = strconv.FormatInt(id, 10)
	}
	if strings.TrimSpace(ref.Name) == "" {
		return ref, wire.BadRequest("collection", `field "collection" names no collection`)
	}
	if ref.TopK < 0 || ref.TopK > MaxTopK {
		return ref, wire.BadRequest("collection.top_k", "collection.top_k must be between 1 and %d", MaxTopK)
	}
	return ref, nil
}

// FindError is a failure to find the collection a chat request names (Err wraps ErrNotFound
// when there is none).
type FindError struct{ Err error }

func (e *FindError) Error() string { return e.Err.Error() }
func (e *FindError) Unwrap() error { return e.Err }

// SearchError is a failure to search the collection a chat cites; an error about "the
// model" in it is about the collection's embedding model.
type SearchError struct {
	Collection string
	Err        error
}

func (e *SearchError) Error() string {
	return "searching the collection " + strconv.Quote(e.Collection) + ": " + e.Err.Error()
}
func (e *SearchError) Unwrap() error { return e.Err }

// CiteStore is what citing needs of the collections; *Store satisfies it.
type CiteStore interface {
	Find(ctx context.Context, ref string) (Collection, error)
	Retrieve(ctx context.Context, id int64, question string, topK int, minScore *float64) (*Retrieval, error)
	ChatCollection(ctx context.Context, chatID int64) (Collection, bool, error)
	SaveSources(ctx context.Context, chatID, messageID int64, src []Source) error
}

// Citer answers chats from their collections.
type Citer struct{ Store CiteStore }

// CiteRequest searches the collection a chat request names (ref) for its question and gives
// the model, in req, the prompt that cites what was found.
func (c Citer) CiteRequest(ctx context.Context, ref Ref, req *engine.ChatRequest) (*Retrieval, error) {
	col, err := c.Store.Find(ctx, ref.Name)
	if err != nil {
		return nil, &FindError{Err: err}
	}
	return cite(ctx, c.Store, col, ref, req)
}

// CiteChat is CiteRequest for a stored chat with a collection attached: the sources are
// saved with the user's turn, userMessageID. It returns nil when the chat cites nothing.
func (c Citer) CiteChat(ctx context.Context, chatID, userMessageID int64, req *engine.ChatRequest) (*Retrieval, error) {
	col, found, err := c.Store.ChatCollection(ctx, chatID)
	if err != nil || !found {
		return nil, err
	}
	r, err := cite(ctx, c.Store, col, Ref{Name: strconv.FormatInt(col.ID, 10)}, req)
	if err != nil {
		return nil, err
	}
	if err := c.Store.SaveSources(ctx, chatID, userMessageID, r.Sources); err != nil {
		return nil, err
	}
	return r, nil
}

func cite(ctx context.Context, store CiteStore, col Collection, ref Ref, req *engine.ChatRequest) (*Retrieval, error) {
	last, ok := Question(req.Messages)
	if !ok {
		return nil, wire.BadRequest("messages", "a chat that names a collection needs a user message to search the documents for")
	}
	r, err := store.Retrieve(ctx, col.ID, req.Messages[last].Content, ref.TopK, ref.MinScore)
	if err != nil {
		return nil, &SearchError{Collection: col.Name, Err: err}
	}
	// A copy: the caller's messages (the stored history) keep the question as asked.
	req.Messages = r.Cite(req.Messages, last)
	return r, nil
}
