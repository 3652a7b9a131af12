package chats

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/perchapp/perch/app/sqlitedb"
)

// schema is applied in steps; user_version records how many ran, so a database made by an
// older version is brought up to date in place.
var schema = []string{
	`CREATE TABLE chats (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		title TEXT NOT NULL DEFAULT '',
		model TEXT NOT NULL DEFAULT '',
		system TEXT NOT NULL DEFAULT '',
		params TEXT NOT NULL DEFAULT '{}',
		created_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL
	);
	CREATE INDEX chats_updated ON chats(updated_at DESC);
	CREATE TABLE messages (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		chat_id INTEGER NOT NULL REFERENCES chats(id) ON DELETE CASCADE,
		role TEXT NOT NULL CHECK (role IN ('user','assistant')),
		content TEXT NOT NULL,
		reasoning TEXT NOT NULL DEFAULT '',
		model TEXT NOT NULL DEFAULT '',
		stopped INTEGER NOT NULL DEFAULT 0,
		finish_reason TEXT NOT NULL DEFAULT '',
		prompt_tokens INTEGER,
		cached_tokens INTEGER,
		completion_tokens INTEGER,
		ttft_ms REAL,
		tokens_per_s REAL,
		total_ms REAL,
		created_at INTEGER NOT NULL
	);
	CREATE INDEX messages_chat ON messages(chat_id, id);`,
	// Speculative decoding's guesses for the answer and how many were right (issue 19).
	`ALTER TABLE messages ADD COLUMN draft_tokens INTEGER;
	ALTER TABLE messages ADD COLUMN draft_accepted INTEGER;`,
	// Versions: messages form a tree (parent_id is the turn before, NULL for the first) and
	// the chat shows the path that ends at leaf_id. Regenerating adds a sibling answer and
	// editing a sibling question, so nothing is deleted. dropped counts the earliest messages
	// an answer's request left out to fit the context.
	`ALTER TABLE messages ADD COLUMN parent_id INTEGER;
	ALTER TABLE messages ADD COLUMN dropped INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE chats ADD COLUMN leaf_id INTEGER;
	UPDATE messages SET parent_id = (SELECT max(p.id) FROM messages p WHERE p.chat_id = messages.chat_id AND p.id < messages.id);
	UPDATE chats SET leaf_id = (SELECT max(m.id) FROM messages m WHERE m.chat_id = chats.id);
	CREATE INDEX messages_parent ON messages(chat_id, parent_id);`,
	// Pinned chats sort first in the history (history.go).
	`ALTER TABLE chats ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;`,
	// What made an answer's speculative guesses: "ngram" or "model" (engine.Timings.DraftSource).
	`ALTER TABLE messages ADD COLUMN draft_source TEXT;`,
}

// Store is the history database. It is safe for concurrent use.
type Store struct {
	db  *sql.DB
	now func() time.Time
}

// Open opens (creating if needed) the database at path and brings its schema up to date.
func Open(ctx context.Context, path string) (*Store, error) {
	// One connection serialises writers, which SQLite does anyway, and avoids SQLITE_BUSY
	// between this process's own connections.
	db, err := sqlitedb.Open(ctx, path, schema, sqlitedb.Options{BusyTimeout: 5 * time.Second, MaxOpenConns: 1})
	if err != nil {
		return nil, fmt.Errorf("chats: %w", err)
	}
	return &Store{db: db, now: time.Now}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMs(v int64) time.Time { return time.UnixMilli(v).UTC() }

// Create starts a chat.
func (s *Store) Create(ctx context.Context, n NewChat) (Chat, error) {
	title, err := validTitle(n.Title)
	if err != nil {
		return Chat{}, err
	}
	if err := validSystem(n.System); err != nil {
		return Chat{}, err
	}
	if err := n.Params.Validate(); err != nil {
		return Chat{}, err
	}
	params, err := encodeParams(n.Params)
	if err != nil {
		return Chat{}, err
	}
	now := s.now()
	res, err := s.db.ExecContext(ctx,
		`INSERT INTO chats (title, model, system, params, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
		title, n.Model, n.System, params, ms(now), ms(now))
	if err != nil {
		return Chat{}, fmt.Errorf("chats: create: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return Chat{}, fmt.Errorf("chats: create: %w", err)
	}
	return Chat{ID: id, Title: title, Model: n.Model, System: n.System, Params: n.Params,
		CreatedAt: fromMs(ms(now)), UpdatedAt: fromMs(ms(now))}, nil
}

// ListOptions filter the history list.
type ListOptions struct {
	// Query, when set, keeps chats whose title or any message contains it (case-insensitive
	// for ASCII letters; Hangul has no case).
	Query string
	// Limit caps the number of chats; 0 means 200.
	Limit int
}

// List returns chats, pinned ones first, each group most recently updated first.
func (s *Store) List(ctx context.Context, o ListOptions) ([]Summary, error) {
	limit := o.Limit
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	q := strings.TrimSpace(o.Query)
	var (
		rows *sql.Rows
		err  error
	)
	if q == "" {
		rows, err = s.db.QueryContext(ctx, `
			SELECT c.id, c.title, c.model, c.updated_at, (SELECT count(*) FROM messages m WHERE m.chat_id = c.id), '', c.pinned
			FROM chats c ORDER BY c.pinned DESC, c.updated_at DESC, c.id DESC LIMIT ?`, limit)
	} else {
		// instr on lower() rather than LIKE: the user's text needs no escaping of % and _.
		rows, err = s.db.QueryContext(ctx, `
			SELECT c.id, c.title, c.model, c.updated_at,
				(SELECT count(*) FROM messages m WHERE m.chat_id = c.id),
				coalesce((SELECT m.content FROM messages m WHERE m.chat_id = c.id AND instr(lower(m.content), lower(?1)) > 0 ORDER BY m.id LIMIT 1), ''),
				c.pinned
			FROM chats c
			WHERE instr(lower(c.title), lower(?1)) > 0
				OR EXISTS (SELECT 1 FROM messages m WHERE m.chat_id = c.id AND instr(lower(m.content), lower(?1)) > 0)
			ORDER BY c.pinned DESC, c.updated_at DESC, c.id DESC LIMIT ?2`, q, limit)
	}
	if err != nil {
		return nil, fmt.Errorf("chats: list: %w", err)
	}
	defer rows.Close()
	out := []Summary{}
	for rows.Next() {
		var (
			sm      Summary
			updated int64
			hit     string
		)
		if err := rows.Scan(&sm.ID, &sm.Title, &sm.Model, &updated, &sm.Messages, &hit, &sm.Pinned); err != nil {
			return nil, fmt.Errorf("chats: list: %w", err)
		}
		sm.UpdatedAt = fromMs(updated)
		if hit != "" {
			sm.Snippet = snippet(hit, q)
		}
		out = append(out, sm)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("chats: list: %w", err)
	}
	return out, nil
}

// snippet cuts the text around the first match of q to about 80 characters.
func snippet(text, q string) string {
	lt, lq := strings.ToLower(text), strings.ToLower(q)
	i := strings.Index(lt, lq)
	if i < 0 || len(lt) != len(text) { // lowering changed byte offsets: show the start
		i = 0
	}
	r := []rune(text)
	at := utf8.RuneCountInString(text[:i])
	from := max(at-30, 0)
	to := min(at+50, len(r))
	out := strings.Join(strings.Fields(string(r[from:to])), " ")
	if from > 0 {
		out = "…" + out
	}
	if to < len(r) {
		out += "…"
	}
	return out
}

// Get returns a chat with the messages on its current path, each with its versions.
func (s *Store) Get(ctx context.Context, id int64) (Chat, error) {
	c, err := s.chat(ctx, s.db, id)
	if err != nil {
		return Chat{}, err
	}
	all, err := s.messages(ctx, id)
	if err != nil {
		return Chat{}, err
	}
	c.Messages = currentPath(all, c.leaf)
	return c, nil
}

func (s *Store) messages(ctx context.Context, chatID int64) ([]Message, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+messageCols+` FROM messages WHERE chat_id = ? ORDER BY id`, chatID)
	if err != nil {
		return nil, fmt.Errorf("chats: get %d: %w", chatID, err)
	}
	defer rows.Close()
	var all []Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("chats: get %d: %w", chatID, err)
		}
		all = append(all, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("chats: get %d: %w", chatID, err)
	}
	return all, nil
}

// currentPath walks from the leaf to the first message and fills each message's versions
// (its siblings, oldest first) where it has more than one.
func currentPath(all []Message, leaf int64) []Message {
	byID := make(map[int64]int, len(all))
	children := map[int64][]int64{}
	for i, m := range all {
		byID[m.ID] = i
		children[m.ParentID] = append(children[m.ParentID], m.ID)
	}
	path := []Message{}
	for id, seen := leaf, 0; id != 0 && seen <= len(all); seen++ {
		i, ok := byID[id]
		if !ok {
			break
		}
		m := all[i]
		if sib := children[m.ParentID]; len(sib) > 1 {
			m.Versions = sib
		}
		path = append(path, m)
		id = m.ParentID
	}
	slices.Reverse(path)
	return path
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func (s *Store) chat(ctx context.Context, q querier, id int64) (Chat, error) {
	var (
		c                Chat
		params           string
		created, updated int64
	)
	var leaf sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT id, title, model, system, params, created_at, updated_at, leaf_id, pinned FROM chats WHERE id = ?`, id).
		Scan(&c.ID, &c.Title, &c.Model, &c.System, &params, &created, &updated, &leaf, &c.Pinned)
	if errors.Is(err, sql.ErrNoRows) {
		return Chat{}, fmt.Errorf("chat %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Chat{}, fmt.Errorf("chats: get %d: %w", id, err)
	}
	c.Params = decodeParams(params)
	c.CreatedAt, c.UpdatedAt = fromMs(created), fromMs(updated)
	c.leaf = leaf.Int64
	return c, nil
}

type scanner interface{ Scan(dest ...any) error }

// messageCols are the columns scanMessage reads, in its order.
const messageCols = `id, chat_id, role, content, reasoning, model, stopped, finish_reason,
	prompt_tokens, cached_tokens, completion_tokens, ttft_ms, tokens_per_s, total_ms, created_at,
	draft_tokens, draft_accepted, parent_id, dropped, draft_source`

func scanMessage(r scanner) (Message, error) {
	var (
		m                          Message
		stopped                    int
		created                    int64
		prompt, cached, completion sql.NullInt64
		ttft, tps, total           sql.NullFloat64
		drafted, accepted          sql.NullInt64
		parent                     sql.NullInt64
		source                     sql.NullString
	)
	if err := r.Scan(&m.ID, &m.ChatID, &m.Role, &m.Content, &m.Reasoning, &m.Model, &stopped, &m.FinishReason,
		&prompt, &cached, &completion, &ttft, &tps, &total, &created, &drafted, &accepted, &parent, &m.Dropped, &source); err != nil {
		return Message{}, err
	}
	m.ParentID = parent.Int64
	m.Stopped = stopped != 0
	m.CreatedAt = fromMs(created)
	if completion.Valid {
		m.Stats = &Stats{PromptTokens: int(prompt.Int64), CachedTokens: int(cached.Int64), CompletionTokens: int(completion.Int64),
			TTFTMs: ttft.Float64, TokensPerSecond: tps.Float64, TotalMs: total.Float64,
			DraftTokens: int(drafted.Int64), DraftAccepted: int(accepted.Int64), DraftSource: source.String}
	}
	return m, nil
}

// Update applies a patch and returns the chat (without messages).
func (s *Store) Update(ctx context.Context, id int64, p Patch) (Chat, error) {
	var sets []string
	var args []any
	if p.Title != nil {
		t, err := validTitle(*p.Title)
		if err != nil {
			return Chat{}, err
		}
		sets, args = append(sets, "title = ?"), append(args, t)
	}
	if p.Model != nil {
		sets, args = append(sets, "model = ?"), append(args, *p.Model)
	}
	if p.System != nil {
		if err := validSystem(*p.System); err != nil {
			return Chat{}, err
		}
		sets, args = append(sets, "system = ?"), append(args, *p.System)
	}
	if p.Params != nil {
		if err := p.Params.Validate(); err != nil {
			return Chat{}, err
		}
		enc, err := encodeParams(*p.Params)
		if err != nil {
			return Chat{}, err
		}
		sets, args = append(sets, "params = ?"), append(args, enc)
	}
	if len(sets) > 0 {
		sets, args = append(sets, "updated_at = ?"), append(args, ms(s.now()))
		res, err := s.db.ExecContext(ctx, "UPDATE chats SET "+strings.Join(sets, ", ")+" WHERE id = ?", append(args, id)...)
		if err != nil {
			return Chat{}, fmt.Errorf("chats: update %d: %w", id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return Chat{}, fmt.Errorf("chat %d: %w", id, ErrNotFound)
		}
	}
	return s.chat(ctx, s.db, id)
}

// Delete removes a chat and its messages.
func (s *Store) Delete(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM chats WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("chats: delete %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("chat %d: %w", id, ErrNotFound)
	}
	return nil
}

// AddUserMessage appends a user message. A chat without a title is named after its first
// message.
func (s *Store) AddUserMessage(ctx context.Context, chatID int64, content string) (Message, error) {
	if err := ValidateContent(content); err != nil {
		return Message{}, err
	}
	var out Message
	err := s.tx(ctx, func(tx *sql.Tx) error {
		c, err := s.chat(ctx, tx, chatID)
		if err != nil {
			return err
		}
		now := s.now()
		id, err := insertUser(ctx, tx, chatID, c.leaf, content, now)
		if err != nil {
			return err
		}
		title := c.Title
		if title == "" {
			title = titleFrom(content)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE chats SET title = ?, updated_at = ?, leaf_id = ? WHERE id = ?`, title, ms(now), id, chatID); err != nil {
			return err
		}
		out = Message{ID: id, ChatID: chatID, Role: RoleUser, Content: content, ParentID: c.leaf, CreatedAt: fromMs(ms(now))}
		return nil
	})
	return out, err
}

func insertUser(ctx context.Context, tx *sql.Tx, chatID, parent int64, content string, now time.Time) (int64, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO messages (chat_id, role, content, created_at, parent_id) VALUES (?, 'user', ?, ?, ?)`,
		chatID, content, ms(now), nullID(parent))
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// EditUserMessage branches the conversation: the edited text becomes a new version of that
// turn (a sibling of the original), and the chat continues from it. The original turn and
// everything that followed it stay, one version back.
func (s *Store) EditUserMessage(ctx context.Context, chatID, msgID int64, content string) (Message, error) {
	if err := ValidateContent(content); err != nil {
		return Message{}, err
	}
	var out Message
	err := s.tx(ctx, func(tx *sql.Tx) error {
		m, err := messageIn(ctx, tx, chatID, msgID)
		if err != nil {
			return err
		}
		if m.Role != RoleUser {
			return fmt.Errorf("%w: message %d is the model's answer; only your own messages can be edited", ErrInvalid, msgID)
		}
		now := s.now()
		id, err := insertUser(ctx, tx, chatID, m.ParentID, content, now)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE chats SET updated_at = ?, leaf_id = ? WHERE id = ?`, ms(now), id, chatID); err != nil {
			return err
		}
		out = Message{ID: id, ChatID: chatID, Role: RoleUser, Content: content, ParentID: m.ParentID, CreatedAt: fromMs(ms(now))}
		return nil
	})
	return out, err
}

// SelectVersion shows another version of a turn: the chat's path then runs through msgID
// and on to its newest descendants.
func (s *Store) SelectVersion(ctx context.Context, chatID, msgID int64) (Chat, error) {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := messageIn(ctx, tx, chatID, msgID); err != nil {
			return err
		}
		leaf := msgID
		for {
			var next sql.NullInt64
			if err := tx.QueryRowContext(ctx, `SELECT max(id) FROM messages WHERE chat_id = ? AND parent_id = ?`, chatID, leaf).Scan(&next); err != nil {
				return err
			}
			if !next.Valid {
				break
			}
			leaf = next.Int64
		}
		_, err := tx.ExecContext(ctx, `UPDATE chats SET leaf_id = ? WHERE id = ?`, leaf, chatID)
		return err
	})
	if err != nil {
		return Chat{}, err
	}
	return s.Get(ctx, chatID)
}

// LastUserMessage returns the last user message on the chat's current path, the turn a
// regenerated answer replies to.
func (s *Store) LastUserMessage(ctx context.Context, chatID int64) (Message, error) {
	c, err := s.Get(ctx, chatID)
	if err != nil {
		return Message{}, err
	}
	for i := len(c.Messages) - 1; i >= 0; i-- {
		if m := c.Messages[i]; m.Role == RoleUser {
			m.Versions = nil
			return m, nil
		}
	}
	return Message{}, fmt.Errorf("%w: chat %d has no message to answer yet", ErrInvalid, chatID)
}

func messageIn(ctx context.Context, tx *sql.Tx, chatID, msgID int64) (Message, error) {
	row := tx.QueryRowContext(ctx, `SELECT `+messageCols+` FROM messages WHERE chat_id = ? AND id = ?`, chatID, msgID)
	m, err := scanMessage(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Message{}, fmt.Errorf("message %d in chat %d: %w", msgID, chatID, ErrNotFound)
	}
	return m, err
}

// SaveAnswer stores an answer to the user message replyTo and makes it the chat's current
// path. An earlier answer to the same message stays as another version.
func (s *Store) SaveAnswer(ctx context.Context, chatID, replyTo int64, a Message) (Message, error) {
	if !utf8.ValidString(a.Content) || !utf8.ValidString(a.Reasoning) {
		return Message{}, fmt.Errorf("%w: the answer is not valid UTF-8", ErrInvalid)
	}
	var out Message
	err := s.tx(ctx, func(tx *sql.Tx) error {
		m, err := messageIn(ctx, tx, chatID, replyTo)
		if err != nil {
			return err
		}
		if m.Role != RoleUser {
			return fmt.Errorf("%w: message %d is not a user message", ErrInvalid, replyTo)
		}
		now := s.now()
		st := statsColumns(a.Stats)
		res, err := tx.ExecContext(ctx, `
			INSERT INTO messages (chat_id, role, content, reasoning, model, stopped, finish_reason,
				prompt_tokens, cached_tokens, completion_tokens, ttft_ms, tokens_per_s, total_ms, created_at,
				draft_tokens, draft_accepted, parent_id, dropped, draft_source)
			VALUES (?, 'assistant', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			chatID, a.Content, a.Reasoning, a.Model, boolInt(a.Stopped), a.FinishReason,
			st[0], st[1], st[2], st[3], st[4], st[5], ms(now), st[6], st[7], replyTo, a.Dropped, st[8])
		if err != nil {
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE chats SET updated_at = ?, leaf_id = ? WHERE id = ?`, ms(now), id, chatID); err != nil {
			return err
		}
		out = a
		out.ID, out.ChatID, out.Role, out.ParentID, out.CreatedAt = id, chatID, RoleAssistant, replyTo, fromMs(ms(now))
		if a.Stats != nil {
			st := *a.Stats
			out.Stats = &st
		}
		return nil
	})
	return out, err
}

// ExtendAnswer appends a continuation to an answer (Continue after the token limit): its
// text grows, and its finish reason and statistics become the continuation's, with the
// completion tokens and speculative drafts of both.
func (s *Store) ExtendAnswer(ctx context.Context, chatID, msgID int64, more Message) (Message, error) {
	if !utf8.ValidString(more.Content) || !utf8.ValidString(more.Reasoning) {
		return Message{}, fmt.Errorf("%w: the answer is not valid UTF-8", ErrInvalid)
	}
	var out Message
	err := s.tx(ctx, func(tx *sql.Tx) error {
		m, err := messageIn(ctx, tx, chatID, msgID)
		if err != nil {
			return err
		}
		if m.Role != RoleAssistant {
			return fmt.Errorf("%w: message %d is not an answer", ErrInvalid, msgID)
		}
		m.Content += more.Content
		m.Reasoning += more.Reasoning
		m.Stopped, m.FinishReason = more.Stopped, more.FinishReason
		if more.Stats != nil {
			st := *more.Stats
			if m.Stats != nil {
				st.CompletionTokens += m.Stats.CompletionTokens
				st.DraftTokens += m.Stats.DraftTokens
				st.DraftAccepted += m.Stats.DraftAccepted
				if st.DraftSource == "" {
					st.DraftSource = m.Stats.DraftSource
				}
			}
			m.Stats = &st
		}
		sc := statsColumns(m.Stats)
		now := s.now()
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET content = ?, reasoning = ?, stopped = ?, finish_reason = ?,
			prompt_tokens = ?, cached_tokens = ?, completion_tokens = ?, ttft_ms = ?, tokens_per_s = ?, total_ms = ?,
			draft_tokens = ?, draft_accepted = ?, draft_source = ? WHERE id = ?`,
			m.Content, m.Reasoning, boolInt(m.Stopped), m.FinishReason, sc[0], sc[1], sc[2], sc[3], sc[4], sc[5],
			sc[6], sc[7], sc[8], msgID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE chats SET updated_at = ? WHERE id = ?`, ms(now), chatID); err != nil {
			return err
		}
		out = m
		return nil
	})
	return out, err
}

// Import makes a chat from an exported one: its settings and its messages, in order, as
// one path. It checks everything first, so bad input adds nothing.
func (s *Store) Import(ctx context.Context, n NewChat, msgs []Message) (Chat, error) {
	if len(msgs) == 0 {
		return Chat{}, fmt.Errorf("%w: the chat has no messages", ErrInvalid)
	}
	for i, m := range msgs {
		if m.Role != RoleUser && m.Role != RoleAssistant {
			return Chat{}, fmt.Errorf("%w: message %d has role %q (use user or assistant)", ErrInvalid, i+1, m.Role)
		}
		if m.Role == RoleUser {
			if err := ValidateContent(m.Content); err != nil {
				return Chat{}, fmt.Errorf("message %d: %w", i+1, err)
			}
		} else if len(m.Content) > MaxContentBytes || !utf8.ValidString(m.Content) || !utf8.ValidString(m.Reasoning) {
			return Chat{}, fmt.Errorf("%w: message %d is too long or not valid UTF-8", ErrInvalid, i+1)
		}
	}
	if n.Title == "" {
		n.Title = titleFrom(msgs[0].Content)
	}
	c, err := s.Create(ctx, n)
	if err != nil {
		return Chat{}, err
	}
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var parent int64
		now := s.now()
		for _, m := range msgs {
			st := statsColumns(m.Stats)
			res, err := tx.ExecContext(ctx, `
				INSERT INTO messages (chat_id, role, content, reasoning, model, stopped, finish_reason,
					prompt_tokens, cached_tokens, completion_tokens, ttft_ms, tokens_per_s, total_ms, created_at, parent_id,
					draft_tokens, draft_accepted, draft_source)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				c.ID, m.Role, m.Content, m.Reasoning, m.Model, boolInt(m.Stopped), m.FinishReason,
				st[0], st[1], st[2], st[3], st[4], st[5], ms(now), nullID(parent), st[6], st[7], st[8])
			if err != nil {
				return err
			}
			if parent, err = res.LastInsertId(); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE chats SET leaf_id = ? WHERE id = ?`, parent, c.ID)
		return err
	})
	if err != nil {
		s.Delete(context.WithoutCancel(ctx), c.ID) // nothing half-imported stays
		return Chat{}, err
	}
	return s.Get(ctx, c.ID)
}

// LastUsed returns, per model, when it last wrote an answer.
func (s *Store) LastUsed(ctx context.Context) (map[string]time.Time, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT model, max(created_at) FROM messages WHERE role = 'assistant' AND model != '' GROUP BY model`)
	if err != nil {
		return nil, fmt.Errorf("chats: last used: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var (
			model string
			at    int64
		)
		if err := rows.Scan(&model, &at); err != nil {
			return nil, fmt.Errorf("chats: last used: %w", err)
		}
		out[model] = fromMs(at)
	}
	return out, rows.Err()
}

// statsColumns are an answer's statistics as column values: NULLs when it has none, so that
// it reads back without statistics rather than with zeros.
func statsColumns(st *Stats) [9]any {
	if st == nil {
		return [9]any{}
	}
	var source any
	if st.DraftSource != "" {
		source = st.DraftSource
	}
	return [9]any{st.PromptTokens, st.CachedTokens, st.CompletionTokens, st.TTFTMs, st.TokensPerSecond, st.TotalMs,
		st.DraftTokens, st.DraftAccepted, source}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (s *Store) tx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("chats: begin: %w", err)
	}
	if err := f(tx); err != nil {
		tx.Rollback()
		if errors.Is(err, ErrNotFound) || errors.Is(err, ErrInvalid) {
			return err
		}
		return fmt.Errorf("chats: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("chats: commit: %w", err)
	}
	return nil
}
