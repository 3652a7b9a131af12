package docs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// Source is a passage a chat answer was given to cite, as the UI shows it: the number the
// prompt used ([N]), the document and where in it.
type Source struct {
	N            int     `json:"n"`
	CollectionID int64   `json:"collection_id"`
	DocumentID   int64   `json:"document_id"`
	Document     string  `json:"document"`
	PassageID    int64   `json:"passage_id"`
	Seq          int     `json:"seq"`
	Heading      string  `json:"heading,omitempty"`
	StartLine    int     `json:"start_line"`
	EndLine      int     `json:"end_line"`
	Page         int     `json:"page,omitempty"`
	Score        float64 `json:"score"`
	Text         string  `json:"text"`
}

// Retrieval is what one question found in a collection.
type Retrieval struct {
	Collection Collection `json:"collection"`
	Question   string     `json:"question"`
	// Sources passed the relevance threshold; empty means nothing relevant was found.
	Sources  []Source `json:"sources"`
	MinScore float64  `json:"min_score"`
	Best     float64  `json:"best_score"`
}

// Retrieve searches a collection for a chat question.
func (s *Store) Retrieve(ctx context.Context, collectionID int64, question string, topK int, minScore *float64) (*Retrieval, error) {
	c, err := s.Get(ctx, collectionID)
	if err != nil {
		return nil, err
	}
	if topK == 0 {
		topK = 4 // four passages of ~300 tokens leave room for the conversation
	}
	f, err := s.search(ctx, c, Query{Text: question, TopK: topK, MinScore: minScore})
	if err != nil {
		return nil, err
	}
	r := &Retrieval{Collection: c, Question: question, Sources: []Source{}, MinScore: f.MinScore, Best: f.Best}
	for i, res := range f.Results {
		r.Sources = append(r.Sources, Source{
			N: i + 1, CollectionID: c.ID, DocumentID: res.DocumentID, Document: res.Document, PassageID: res.ID, Seq: res.Seq,
			Heading: res.Heading, StartLine: res.StartLine, EndLine: res.EndLine, Page: res.Page, Score: res.Score, Text: res.Text,
		})
	}
	return r, nil
}

// Prompt is the user turn that replaces the question: the instructions, the numbered
// sources and the question. It goes in the user's turn rather than a system message so that
// every chat template accepts it and the earlier turns stay a cached prefix of the prompt.
// When nothing passed the threshold it says so, and asks the model not to invent an answer.
func (r *Retrieval) Prompt() string {
	var b strings.Builder
	if len(r.Sources) == 0 {
		fmt.Fprintf(&b, "No passage in the document collection %q is relevant to the question below (the closest scored %.2f; the threshold is %.2f). "+
			"Tell the user plainly that their documents do not cover it. Do not make up an answer; you may suggest rephrasing the question or adding documents. "+
			"Answer in the language of the question.\n\nQuestion: %s", r.Collection.Name, r.Best, r.MinScore, r.Question)
		return b.String()
	}
	fmt.Fprintf(&b, "Answer the question below using the numbered sources, passages from the documents in the collection %q. "+
		"Cite the sources you use by their numbers in brackets, like [1]. "+
		"If the sources do not contain the answer, say that the documents do not cover it instead of guessing. "+
		"Answer in the language of the question.\n", r.Collection.Name)
	for _, src := range r.Sources {
		fmt.Fprintf(&b, "\n[%d] %s\n%s\n", src.N, src.Label(), strings.TrimSpace(src.Text))
	}
	fmt.Fprintf(&b, "\nQuestion: %s", r.Question)
	return b.String()
}

// Label names a source's place for the prompt: "guide.md, lines 10-12 (Install › macOS)".
func (src Source) Label() string {
	var b strings.Builder
	b.WriteString(filepath.Base(src.Document))
	switch {
	case src.Page > 0:
		fmt.Fprintf(&b, ", page %d", src.Page)
	case src.StartLine == src.EndLine:
		fmt.Fprintf(&b, ", line %d", src.StartLine)
	default:
		fmt.Fprintf(&b, ", lines %d-%d", src.StartLine, src.EndLine)
	}
	if src.Heading != "" {
		fmt.Fprintf(&b, " (%s)", src.Heading)
	}
	return b.String()
}

// AttachChat makes a chat's questions search a collection; collectionID 0 detaches it.
// Chats live in another database, so the link is by id and outlives nothing: a deleted
// collection drops its links.
func (s *Store) AttachChat(ctx context.Context, chatID, collectionID int64) error {
	if collectionID == 0 {
		_, err := s.db.ExecContext(ctx, `DELETE FROM chat_collections WHERE chat_id = ?`, chatID)
		return err
	}
	if _, err := s.Get(ctx, collectionID); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO chat_collections (chat_id, collection_id) VALUES (?, ?)
		ON CONFLICT (chat_id) DO UPDATE SET collection_id = excluded.collection_id`, chatID, collectionID)
	if err != nil {
		return fmt.Errorf("attach collection %d to chat %d: %w", collectionID, chatID, err)
	}
	return nil
}

// ChatCollection returns the collection attached to a chat; found is false when none is.
func (s *Store) ChatCollection(ctx context.Context, chatID int64) (c Collection, found bool, err error) {
	var id int64
	err = s.db.QueryRowContext(ctx, `SELECT collection_id FROM chat_collections WHERE chat_id = ?`, chatID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return Collection{}, false, nil
	}
	if err != nil {
		return Collection{}, false, err
	}
	c, err = s.Get(ctx, id)
	return c, err == nil, err
}

// SaveSources records the sources retrieved for a chat's user message, so the UI can show
// them with the answer after a reload. A regenerated answer overwrites them.
func (s *Store) SaveSources(ctx context.Context, chatID, messageID int64, src []Source) error {
	b, err := json.Marshal(src)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO chat_sources (chat_id, message_id, sources) VALUES (?, ?, ?)
		ON CONFLICT (chat_id, message_id) DO UPDATE SET sources = excluded.sources`, chatID, messageID, string(b))
	return err
}

// ChatSources returns the sources saved for a chat, by user message id.
func (s *Store) ChatSources(ctx context.Context, chatID int64) (map[int64][]Source, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT message_id, sources FROM chat_sources WHERE chat_id = ?`, chatID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64][]Source{}
	for rows.Next() {
		var id int64
		var raw string
		if err := rows.Scan(&id, &raw); err != nil {
			return nil, err
		}
		var src []Source
		if err := json.Unmarshal([]byte(raw), &src); err != nil {
			return nil, fmt.Errorf("sources of message %d: %w", id, err)
		}
		out[id] = src
	}
	return out, rows.Err()
}

// ForgetChat drops a deleted chat's link and sources.
func (s *Store) ForgetChat(ctx context.Context, chatID int64) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM chat_collections WHERE chat_id = ?`, chatID); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `DELETE FROM chat_sources WHERE chat_id = ?`, chatID)
	return err
}
