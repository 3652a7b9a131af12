package chats

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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

// List returns chats, most recently updated first.
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
			SELECT c.id, c.title, c.model, c.updated_at, (SELECT count(*) FROM messages m WHERE m.chat_id = c.id), ''
			FROM chats c ORDER BY c.updated_at DESC, c.id DESC LIMIT ?`, limit)
	} else {
		// instr on lower() rather than LIKE: the user's text needs no escaping of % and _.
		rows, err = s.db.QueryContext(ctx, `
			SELECT c.id, c.title, c.model, c.updated_at,
				(SELECT count(*) FROM messages m WHERE m.chat_id = c.id),
				coalesce((SELECT m.content FROM messages m WHERE m.chat_id = c.id AND instr(lower(m.content), lower(?1)) > 0 ORDER BY m.id LIMIT 1), '')
			FROM chats c
			WHERE instr(lower(c.title), lower(?1)) > 0
				OR EXISTS (SELECT 1 FROM messages m WHERE m.chat_id = c.id AND instr(lower(m.content), lower(?1)) > 0)
			ORDER BY c.updated_at DESC, c.id DESC LIMIT ?2`, q, limit)
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
		if err := rows.Scan(&sm.ID, &sm.Title, &sm.Model, &updated, &sm.Messages, &hit); err != nil {
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

// Get returns a chat with its messages.
func (s *Store) Get(ctx context.Context, id int64) (Chat, error) {
	c, err := s.chat(ctx, s.db, id)
	if err != nil {
		return Chat{}, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+messageCols+` FROM messages WHERE chat_id = ? ORDER BY id`, id)
	if err != nil {
		return Chat{}, fmt.Errorf("chats: get %d: %w", id, err)
	}
	defer rows.Close()
	c.Messages = []Message{}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return Chat{}, fmt.Errorf("chats: get %d: %w", id, err)
		}
		c.Messages = append(c.Messages, m)
	}
	if err := rows.Err(); err != nil {
		return Chat{}, fmt.Errorf("chats: get %d: %w", id, err)
	}
	return c, nil
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
	err := q.QueryRowContext(ctx, `SELECT id, title, model, system, params, created_at, updated_at FROM chats WHERE id = ?`, id).
		Scan(&c.ID, &c.Title, &c.Model, &c.System, &params, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return Chat{}, fmt.Errorf("chat %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return Chat{}, fmt.Errorf("chats: get %d: %w", id, err)
	}
	c.Params = decodeParams(params)
	c.CreatedAt, c.UpdatedAt = fromMs(created), fromMs(updated)
	return c, nil
}

type scanner interface{ Scan(dest ...any) error }

// messageCols are the columns scanMessage reads, in its order.
const messageCols = `id, chat_id, role, content, reasoning, model, stopped, finish_reason,
	prompt_tokens, cached_tokens, completion_tokens, ttft_ms, tokens_per_s, total_ms, created_at,
	draft_tokens, draft_accepted`

func scanMessage(r scanner) (Message, error) {
	var (
		m                          Message
		stopped                    int
		created                    int64
		prompt, cached, completion sql.NullInt64
		ttft, tps, total           sql.NullFloat64
		drafted, accepted          sql.NullInt64
	)
	if err := r.Scan(&m.ID, &m.ChatID, &m.Role, &m.Content, &m.Reasoning, &m.Model, &stopped, &m.FinishReason,
		&prompt, &cached, &completion, &ttft, &tps, &total, &created, &drafted, &accepted); err != nil {
		return Message{}, err
	}
	m.Stopped = stopped != 0
	m.CreatedAt = fromMs(created)
	if completion.Valid {
		m.Stats = &Stats{PromptTokens: int(prompt.Int64), CachedTokens: int(cached.Int64), CompletionTokens: int(completion.Int64),
			TTFTMs: ttft.Float64, TokensPerSecond: tps.Float64, TotalMs: total.Float64,
			DraftTokens: int(drafted.Int64), DraftAccepted: int(accepted.Int64)}
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
		res, err := tx.ExecContext(ctx, `INSERT INTO messages (chat_id, role, content, created_at) VALUES (?, 'user', ?, ?)`,
			chatID, content, ms(now))
		if err != nil {
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		title := c.Title
		if title == "" {
			title = titleFrom(content)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE chats SET title = ?, updated_at = ? WHERE id = ?`, title, ms(now), chatID); err != nil {
			return err
		}
		out = Message{ID: id, ChatID: chatID, Role: RoleUser, Content: content, CreatedAt: fromMs(ms(now))}
		return nil
	})
	return out, err
}

// EditUserMessage replaces a user message's text and drops every message after it: the
// conversation continues from the edited turn.
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
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET content = ? WHERE id = ?`, content, msgID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM messages WHERE chat_id = ? AND id > ?`, chatID, msgID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE chats SET updated_at = ? WHERE id = ?`, ms(s.now()), chatID); err != nil {
			return err
		}
		m.Content = content
		out = m
		return nil
	})
	return out, err
}

// LastUserMessage returns the chat's last user message, the turn a regenerated answer
// replies to.
func (s *Store) LastUserMessage(ctx context.Context, chatID int64) (Message, error) {
	if _, err := s.chat(ctx, s.db, chatID); err != nil {
		return Message{}, err
	}
	row := s.db.QueryRowContext(ctx, `SELECT `+messageCols+` FROM messages WHERE chat_id = ? AND role = 'user' ORDER BY id DESC LIMIT 1`, chatID)
	m, err := scanMessage(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Message{}, fmt.Errorf("%w: chat %d has no message to answer yet", ErrInvalid, chatID)
	}
	if err != nil {
		return Message{}, fmt.Errorf("chats: last message of %d: %w", chatID, err)
	}
	return m, nil
}

func messageIn(ctx context.Context, tx *sql.Tx, chatID, msgID int64) (Message, error) {
	row := tx.QueryRowContext(ctx, `SELECT `+messageCols+` FROM messages WHERE chat_id = ? AND id = ?`, chatID, msgID)
	m, err := scanMessage(row)
	if errors.Is(err, sql.ErrNoRows) {
		return Message{}, fmt.Errorf("message %d in chat %d: %w", msgID, chatID, ErrNotFound)
	}
	return m, err
}

// SaveAnswer stores an answer to the user message replyTo, replacing every message after it
// (the previous answer, when regenerating) in one transaction.
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
		if _, err := tx.ExecContext(ctx, `DELETE FROM messages WHERE chat_id = ? AND id > ?`, chatID, replyTo); err != nil {
			return err
		}
		now := s.now()
		st := statsColumns(a.Stats)
		res, err := tx.ExecContext(ctx, `
			INSERT INTO messages (chat_id, role, content, reasoning, model, stopped, finish_reason,
				prompt_tokens, cached_tokens, completion_tokens, ttft_ms, tokens_per_s, total_ms, created_at,
				draft_tokens, draft_accepted)
			VALUES (?, 'assistant', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			chatID, a.Content, a.Reasoning, a.Model, boolInt(a.Stopped), a.FinishReason,
			st[0], st[1], st[2], st[3], st[4], st[5], ms(now), st[6], st[7])
		if err != nil {
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE chats SET updated_at = ? WHERE id = ?`, ms(now), chatID); err != nil {
			return err
		}
		out = a
		out.ID, out.ChatID, out.Role, out.CreatedAt = id, chatID, RoleAssistant, fromMs(ms(now))
		if a.Stats != nil {
			st := *a.Stats
			out.Stats = &st
		}
		return nil
	})
	return out, err
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
func statsColumns(st *Stats) [8]any {
	if st == nil {
		return [8]any{}
	}
	return [8]any{st.PromptTokens, st.CachedTokens, st.CompletionTokens, st.TTFTMs, st.TokensPerSecond, st.TotalMs,
		st.DraftTokens, st.DraftAccepted}
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
