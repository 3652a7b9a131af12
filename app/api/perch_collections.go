package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/perchapp/perch/app/docs"
	"github.com/perchapp/perch/app/wire"
	openaiwire "github.com/perchapp/perch/app/wire/openai"
	"github.com/perchapp/perch/engine"
)

// Document collections (local RAG): the /perch/collections routes, and the hook through
// which chat requests that name a collection get the passages it finds.
//
//	POST   /perch/collections                       {name, embedding_model, min_score?} → 201 collection ({id, ...})
//	GET    /perch/collections                       → {collections: [...]}
//	GET    /perch/collections/{id}                  → {collection, documents}
//	PATCH  /perch/collections/{id}                  {name?, embedding_model?, min_score?, query_prefix?, document_prefix?}
//	DELETE /perch/collections/{id}                  → 204
//	POST   /perch/collections/{id}/documents        {name, text} JSON, or multipart "file" (+ "name") → {id, passages, status, document}
//	GET    /perch/collections/{id}/documents        → {documents: [...]}
//	GET    /perch/collections/{id}/documents/{doc}  → {document, passages}: opens a source in its context
//	DELETE /perch/collections/{id}/documents/{doc}  → 204
//	POST   /perch/collections/{id}/folders          {path} → SSE progress, or JSON with "stream": false
//	POST   /perch/collections/{id}/reindex          → SSE progress (after switching the embedding model)
//	POST   /perch/collections/{id}/search           {query, top_k?, min_score?} → {results: [{document, text, score, ...}]}
//	GET    /perch/chats/{id}/collection             → {collection: ... | null}
//	PUT    /perch/chats/{id}/collection             {collection: id | name | null}
//	GET    /perch/chats/{id}/sources                → {sources: {"<user message id>": [source, ...]}}
//
// Chat: POST /v1/chat/completions takes "collection": a name, an id, or {"name"|"id",
// "top_k", "min_score"}. The last user message is searched and replaced, for the model only,
// by a turn that cites the passages found as numbered sources ([1], [2]...) or says that
// nothing relevant was found. The response carries them in an extra top-level "sources"
// array (empty when nothing passed the threshold); a stream sends them first, in a chunk
// with empty "choices" and the "sources". A UI chat with a collection attached (PUT
// /perch/chats/{id}/collection) sends a {"type":"sources"} event after "start", and the
// sources stay readable at GET /perch/chats/{id}/sources.

// Collections is the document store; *docs.Store satisfies it.
type Collections interface {
	Create(ctx context.Context, n docs.NewCollection) (docs.Collection, error)
	Get(ctx context.Context, id int64) (docs.Collection, error)
	Find(ctx context.Context, ref string) (docs.Collection, error)
	List(ctx context.Context) ([]docs.Collection, error)
	Update(ctx context.Context, id int64, p docs.Patch) (docs.Collection, error)
	Delete(ctx context.Context, id int64) error
	AddText(ctx context.Context, id int64, name, text string) (docs.Added, error)
	AddFile(ctx context.Context, id int64, name string, data []byte) (docs.Added, error)
	AddFolder(ctx context.Context, id int64, dir string, progress func(docs.Progress)) (docs.Summary, error)
	// AllowFolder records a folder picked in the desktop window's dialog as one the
	// collection may index (perch_desktop.go).
	AllowFolder(ctx context.Context, id int64, dir string) (string, error)
	Reindex(ctx context.Context, id int64, progress func(docs.Progress)) (docs.Summary, error)
	Documents(ctx context.Context, id int64) ([]docs.Document, error)
	Document(ctx context.Context, id, doc int64) (docs.Document, error)
	Passages(ctx context.Context, id, doc int64) ([]docs.Passage, error)
	DeleteDocument(ctx context.Context, id, doc int64) error
	Search(ctx context.Context, id int64, q docs.Query) (docs.Found, error)
	Retrieve(ctx context.Context, id int64, question string, topK int, minScore *float64) (*docs.Retrieval, error)
	AttachChat(ctx context.Context, chatID, collectionID int64) error
	ChatCollection(ctx context.Context, chatID int64) (docs.Collection, bool, error)
	SaveSources(ctx context.Context, chatID, messageID int64, src []docs.Source) error
	ChatSources(ctx context.Context, chatID int64) (map[int64][]docs.Source, error)
}

func (s *Server) collections() Collections { return s.deps.Collections }

type collectionsAPI struct {
	s     *Server
	store Collections
	chats ChatStore
}

func (a *collectionsAPI) list(w http.ResponseWriter, r *http.Request) error {
	list, err := a.store.List(r.Context())
	if err != nil {
		return collectionError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"collections": list})
	return nil
}

// collectionView is a collection as the API returns it, with a warning the UI should show.
type collectionView struct {
	docs.Collection
	// Warning: the embedding model is a chat model (it embeds, but worse than a dedicated
	// embedding model).
	Warning string `json:"warning,omitempty"`
}

// checkModel refuses an embedding model the library does not have, and warns about a chat
// model. Without a library the engine's error at indexing time says it instead.
func (a *collectionsAPI) checkModel(ctx context.Context, name string) (string, error) {
	if err := wire.ValidateModelName("embedding_model", name); err != nil {
		return "", err
	}
	if a.s.lib == nil {
		return "", nil
	}
	m, err := a.s.lib.Get(ctx, name)
	if err != nil {
		e := toAPIError(err)
		if e.Status == http.StatusNotFound {
			e.Param = "embedding_model"
			e.Message = fmt.Sprintf("embedding model %q is not installed; pull one first (the catalog recommends bge-m3, which handles Korean)", name)
		}
		return "", e
	}
	if !m.Embedding {
		return fmt.Sprintf("%s is a chat model: it can embed, but a dedicated embedding model such as bge-m3 finds passages much better", name), nil
	}
	return "", nil
}

func (a *collectionsAPI) create(w http.ResponseWriter, r *http.Request) error {
	var n docs.NewCollection
	if err := decodeBody(r, &n); err != nil {
		return err
	}
	warning, err := a.checkModel(r.Context(), n.EmbeddingModel)
	if err != nil {
		return err
	}
	c, err := a.store.Create(r.Context(), n)
	if err != nil {
		return collectionError(err)
	}
	writeJSON(w, http.StatusCreated, collectionView{Collection: c, Warning: warning})
	return nil
}

func (a *collectionsAPI) get(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := a.store.Get(r.Context(), id)
	if err != nil {
		return collectionError(err)
	}
	list, err := a.store.Documents(r.Context(), id)
	if err != nil {
		return collectionError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"collection": c, "documents": list})
	return nil
}

func (a *collectionsAPI) patch(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var p docs.Patch
	if err := decodeBody(r, &p); err != nil {
		return err
	}
	warning := ""
	if p.EmbeddingModel != nil {
		var err error
		if warning, err = a.checkModel(r.Context(), *p.EmbeddingModel); err != nil {
			return err
		}
	}
	c, err := a.store.Update(r.Context(), id, p)
	if err != nil {
		return collectionError(err)
	}
	writeJSON(w, http.StatusOK, collectionView{Collection: c, Warning: warning})
	return nil
}

func (a *collectionsAPI) delete(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := a.store.Delete(r.Context(), id); err != nil {
		return collectionError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// addedView is the answer to adding a document: its id and passage count up front.
type addedView struct {
	ID       int64         `json:"id"`
	Passages int           `json:"passages"`
	Status   string        `json:"status"`
	Document docs.Document `json:"document"`
}

func (a *collectionsAPI) addDocument(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var added docs.Added
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		var name string
		var data []byte
		name, data, err = readUpload(r)
		if err != nil {
			return err
		}
		added, err = a.store.AddFile(r.Context(), id, name, data)
	} else {
		var body struct {
			Name string  `json:"name"`
			Text *string `json:"text"`
		}
		if err := decodeBody(r, &body); err != nil {
			return err
		}
		if body.Text == nil {
			return badRequest("text", `field "text" is required (or send the file as multipart/form-data in a "file" field)`)
		}
		added, err = a.store.AddText(r.Context(), id, body.Name, *body.Text)
	}
	if err != nil {
		return collectionError(err)
	}
	status := http.StatusCreated
	if added.Status == docs.Unchanged {
		status = http.StatusOK
	}
	writeJSON(w, status, addedView{ID: added.Document.ID, Passages: added.Document.Passages, Status: added.Status, Document: added.Document})
	return nil
}

// readUpload reads the "file" part of a multipart body (and an optional "name" part that
// overrides its file name). The body is already limited by the server's body size limit.
func readUpload(r *http.Request) (string, []byte, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return "", nil, badRequest("file", "the multipart body could not be read: %v", err)
	}
	var name, fileName string
	var data []byte
	found := false
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", nil, readError(err)
		}
		switch p.FormName() {
		case "file":
			if found {
				return "", nil, badRequest("file", "send one file per request")
			}
			found, fileName = true, filepath.Base(p.FileName())
			if data, err = io.ReadAll(p); err != nil {
				return "", nil, readError(err)
			}
		case "name":
			b, err := io.ReadAll(io.LimitReader(p, 4096))
			if err != nil {
				return "", nil, readError(err)
			}
			name = strings.TrimSpace(string(b))
		}
	}
	if !found {
		return "", nil, badRequest("file", `the multipart body has no "file" part`)
	}
	if name == "" {
		name = fileName
	}
	if name == "" || name == "." {
		return "", nil, badRequest("name", "the file has no name; add a \"name\" part (its extension picks the format)")
	}
	return name, data, nil
}

func readError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tooLarge(mbe.Limit)
	}
	return badRequest("file", "the upload could not be read: %v", err)
}

func docID(r *http.Request) (int64, int64, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return 0, 0, err
	}
	doc, err := pathID(r, "doc")
	return id, doc, err
}

func (a *collectionsAPI) listDocuments(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	list, err := a.store.Documents(r.Context(), id)
	if err != nil {
		return collectionError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"documents": list})
	return nil
}

func (a *collectionsAPI) getDocument(w http.ResponseWriter, r *http.Request) error {
	id, doc, err := docID(r)
	if err != nil {
		return err
	}
	d, err := a.store.Document(r.Context(), id, doc)
	if err != nil {
		return collectionError(err)
	}
	ps, err := a.store.Passages(r.Context(), id, doc)
	if err != nil {
		return collectionError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"document": d, "passages": ps})
	return nil
}

func (a *collectionsAPI) deleteDocument(w http.ResponseWriter, r *http.Request) error {
	id, doc, err := docID(r)
	if err != nil {
		return err
	}
	if err := a.store.DeleteDocument(r.Context(), id, doc); err != nil {
		return collectionError(err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// progressEvent is one SSE event of a folder or re-indexing run: the store's progress
// (phase scan, embed, file, done), then phase "summary" with the totals, or phase "error".
type progressEvent struct {
	docs.Progress
	Summary *docs.Summary      `json:"summary,omitempty"`
	Error   *openAIErrorObject `json:"error,omitempty"`
}

func (a *collectionsAPI) addFolder(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var body struct {
		Path   string `json:"path"`
		Stream *bool  `json:"stream"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	if body.Path == "" {
		return badRequest("path", `field "path" is required: the absolute path of a folder on this machine`)
	}
	return a.run(w, r, body.Stream == nil || *body.Stream, func(ctx context.Context, progress func(docs.Progress)) (docs.Summary, error) {
		return a.store.AddFolder(ctx, id, body.Path, progress)
	})
}

func (a *collectionsAPI) reindex(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	stream := true
	if r.ContentLength > 0 {
		var body struct {
			Stream *bool `json:"stream"`
		}
		if err := decodeBody(r, &body); err != nil {
			return err
		}
		stream = body.Stream == nil || *body.Stream
	}
	return a.run(w, r, stream, func(ctx context.Context, progress func(docs.Progress)) (docs.Summary, error) {
		return a.store.Reindex(ctx, id, progress)
	})
}

// run streams an indexing run's progress as SSE, or answers its summary as JSON. Closing the
// stream cancels the run; what it finished stays indexed, and running it again continues
// where it stopped (unchanged files are recognized by their hash).
func (a *collectionsAPI) run(w http.ResponseWriter, r *http.Request, stream bool, do func(context.Context, func(docs.Progress)) (docs.Summary, error)) error {
	ctx := r.Context()
	if !stream {
		sum, err := do(ctx, nil)
		if err != nil {
			return collectionError(err)
		}
		writeJSON(w, http.StatusOK, sum)
		return nil
	}
	sw := newSSE(w)
	var sendErr error
	sum, err := do(ctx, func(p docs.Progress) {
		if sendErr == nil {
			sendErr = sw.Send(progressEvent{Progress: p})
		}
	})
	if err != nil {
		sw.fail(w, r, collectionError(err), writeOpenAIError, func(e *apiError) any {
			obj := openAIError(e).Error
			return progressEvent{Progress: docs.Progress{Phase: "error"}, Error: &obj}
		})
		return nil
	}
	sw.Send(progressEvent{Progress: docs.Progress{Phase: "summary", Done: sum.Files, Total: sum.Files, Embedded: sum.Embedded, Elapsed: sum.ElapsedMs}, Summary: &sum})
	return nil
}

func (a *collectionsAPI) search(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var q docs.Query
	if err := decodeBody(r, &q); err != nil {
		return err
	}
	found, err := a.store.Search(r.Context(), id, q)
	if err != nil {
		return collectionError(err)
	}
	writeJSON(w, http.StatusOK, found)
	return nil
}

// chatID is the chat of a /perch/chats/{id}/… route, which must exist.
func (a *collectionsAPI) chatID(r *http.Request) (int64, error) {
	id, err := pathID(r, "id")
	if err != nil {
		return 0, err
	}
	if a.chats != nil {
		if _, err := a.chats.Get(r.Context(), id); err != nil {
			return 0, err
		}
	}
	return id, nil
}

func (a *collectionsAPI) chatCollection(w http.ResponseWriter, r *http.Request) error {
	id, err := a.chatID(r)
	if err != nil {
		return err
	}
	c, found, err := a.store.ChatCollection(r.Context(), id)
	if err != nil {
		return collectionError(err)
	}
	if !found {
		writeJSON(w, http.StatusOK, map[string]any{"collection": nil})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]any{"collection": c})
	return nil
}

func (a *collectionsAPI) attach(w http.ResponseWriter, r *http.Request) error {
	id, err := a.chatID(r)
	if err != nil {
		return err
	}
	var body struct {
		Collection json.RawMessage `json:"collection"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	if wire.IsNull(body.Collection) {
		if err := a.store.AttachChat(r.Context(), id, 0); err != nil {
			return collectionError(err)
		}
		writeJSON(w, http.StatusOK, map[string]any{"collection": nil})
		return nil
	}
	ref, err := docs.ParseRef(body.Collection)
	if err != nil {
		return err
	}
	c, err := a.store.Find(r.Context(), ref.Name)
	if err != nil {
		return collectionError(err)
	}
	if err := a.store.AttachChat(r.Context(), id, c.ID); err != nil {
		return collectionError(err)
	}
	writeJSON(w, http.StatusOK, map[string]any{"collection": c})
	return nil
}

func (a *collectionsAPI) chatSources(w http.ResponseWriter, r *http.Request) error {
	id, err := a.chatID(r)
	if err != nil {
		return err
	}
	src, err := a.store.ChatSources(r.Context(), id)
	if err != nil {
		return collectionError(err)
	}
	out := make(map[string][]docs.Source, len(src))
	for mid, s := range src {
		out[strconv.FormatInt(mid, 10)] = s
	}
	writeJSON(w, http.StatusOK, map[string]any{"sources": out})
	return nil
}

// The chat hooks: the citing itself is app/docs (Citer); here the sources go on the wire.

// withCollection is the hook of POST /v1/chat/completions: when the request names a
// collection (raw is its "collection" member), the last user message is searched and
// replaced (in req only) by the cited prompt. It returns nil when no collection is named.
func (s *Server) withCollection(ctx context.Context, raw json.RawMessage, req *engine.ChatRequest) (*docs.Retrieval, error) {
	if wire.IsNull(raw) {
		return nil, nil
	}
	store := s.collections()
	if store == nil {
		return nil, unavailable("document collections")
	}
	ref, err := docs.ParseRef(raw)
	if err != nil {
		return nil, err
	}
	return docs.Citer{Store: store}.CiteRequest(ctx, ref, req)
}

// withSources adds the top-level "sources" to a chat completion that cited a collection.
func withSources(resp openaiwire.ChatResponse, rag *docs.Retrieval) any {
	if rag == nil {
		return resp
	}
	return struct {
		openaiwire.ChatResponse
		Sources []docs.Source `json:"sources"`
	}{resp, rag.Sources}
}

// sendSourcesChunk sends the sources first in a stream, in a chunk with no choices.
func sendSourcesChunk(sw *streamWriter, c openaiwire.ChatChunk, rag *docs.Retrieval) error {
	if rag == nil {
		return nil
	}
	c.Choices = []openaiwire.ChunkChoice{}
	return sw.Send(struct {
		openaiwire.ChatChunk
		Sources []docs.Source `json:"sources"`
	}{c, rag.Sources})
}

// sourcesEvent is the UI chat's {"type": "sources"} event.
type sourcesEvent struct {
	Type       string        `json:"type"`
	Collection string        `json:"collection"`
	Sources    []docs.Source `json:"sources"`
	MinScore   float64       `json:"min_score"`
	Best       float64       `json:"best_score"`
}

// sourcesEventOf is the event with the sources of a UI chat answer.
func sourcesEventOf(r *docs.Retrieval) sourcesEvent {
	return sourcesEvent{Type: "sources", Collection: r.Collection.Name, Sources: r.Sources, MinScore: r.MinScore, Best: r.Best}
}
