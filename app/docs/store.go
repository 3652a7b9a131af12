// Package docs is Perch's local retrieval (RAG): collections of documents split into
// passages, embedded with the collection's embedding model through the engine, kept in
// SQLite (collections.db in the data folder) and searched by cosine similarity, exact, over
// contiguous float32 vectors held in memory per collection, combined with SQLite FTS5
// keyword scores for the names and numbers embeddings miss. Chats cite what a search finds.
//
// A collection's vectors all come from one model: switching the model marks its documents
// stale, and search refuses until Reindex has embedded them again, rather than comparing
// vectors from two models.
package docs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/perchapp/perch/app/sqlitedb"

	"github.com/perchapp/perch/engine"
)

// Errors the API maps to statuses. Each error returned wraps one of them where it applies.
var (
	ErrNotFound = errors.New("not found")
	ErrInvalid  = errors.New("invalid")
	ErrExists   = errors.New("already exists")
	// ErrNeedsReindex: the collection's embedding model changed and some documents still
	// hold vectors of the old one.
	ErrNeedsReindex = errors.New("needs re-indexing")
	// ErrBusy: the collection is being indexed by another request.
	ErrBusy = errors.New("busy")
)

// Embedder makes vectors; *engine.Engine satisfies it. A model that is not loaded is loaded.
type Embedder interface {
	Embed(ctx context.Context, req engine.EmbedRequest) (*engine.EmbedResult, error)
}

// Options configure a Store. Zero values take the defaults noted.
type Options struct {
	Embedder Embedder
	Log      *slog.Logger
	// MaxPassageSize is the chunk.Options.MaxSize of new passages; default 1200.
	MaxPassageSize int
	// Roots are the folders AddFolder may read under (the reading policy, policy.go);
	// default the user's home folder.
	Roots []string
	// MaxFileBytes skips larger files; default 64 MiB.
	MaxFileBytes int64
	// EmbedBatch is how many passages go to the engine per request; default 16.
	EmbedBatch int
	// CacheBytes bounds the vectors held in memory across collections; the least recently
	// searched are dropped beyond it. Default 2 GiB.
	CacheBytes int64
}

// DefaultMinScore is the relevance a passage needs to be cited when the collection sets none.
// Cosine scales differ between models; for bge-m3, unrelated text scores about 0.3-0.45 and
// passages that answer a question 0.55 and up. A collection can set its own.
const DefaultMinScore = 0.5

// Store holds the collections. It is safe for concurrent use.
type Store struct {
	db   *sql.DB
	emb  Embedder
	log  *slog.Logger
	opt  Options
	now  func() time.Time
	vecs *vectorCache

	mu      sync.Mutex
	writing map[int64]chan struct{} // a collection being changed holds its channel
}

// schema is applied in steps; user_version records how many ran.
var schema = []string{
	`CREATE TABLE collections (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		name TEXT NOT NULL UNIQUE COLLATE NOCASE,
		embedding_model TEXT NOT NULL,
		query_prefix TEXT,    -- NULL: the model's known default
		document_prefix TEXT, -- NULL: the model's known default
		min_score REAL,       -- NULL: DefaultMinScore
		created_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL
	);
	CREATE TABLE documents (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE,
		name TEXT NOT NULL,
		source TEXT NOT NULL DEFAULT '', -- the file, for documents added from a folder
		format TEXT NOT NULL,
		size INTEGER NOT NULL,
		hash TEXT NOT NULL,              -- sha256 of the bytes given
		chunker INTEGER NOT NULL,        -- chunk.Version that split it
		embed_model TEXT NOT NULL,       -- the model its vectors came from
		embed_prefix TEXT NOT NULL,      -- and the document prefix they were made with
		passages INTEGER NOT NULL,
		pages INTEGER NOT NULL DEFAULT 0,
		created_at INTEGER NOT NULL,
		updated_at INTEGER NOT NULL,
		UNIQUE (collection_id, name)
	);
	CREATE INDEX documents_source ON documents(collection_id, source);
	CREATE TABLE passages (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
		collection_id INTEGER NOT NULL,
		seq INTEGER NOT NULL,
		heading TEXT NOT NULL,
		text TEXT NOT NULL,
		start_byte INTEGER NOT NULL,
		end_byte INTEGER NOT NULL,
		start_line INTEGER NOT NULL,
		end_line INTEGER NOT NULL,
		page INTEGER NOT NULL,
		vector BLOB NOT NULL             -- little-endian float32, unit length
	);
	CREATE INDEX passages_collection ON passages(collection_id, id);
	CREATE INDEX passages_document ON passages(document_id, seq);
	-- Keyword index: contentless (the text lives in passages), rows deleted by rowid. The coll
	-- column holds "c<collection id>" so a query is limited to one collection inside FTS5.
	CREATE VIRTUAL TABLE passages_fts USING fts5(heading, text, coll,
		tokenize = 'unicode61 remove_diacritics 2', content = '', contentless_delete = 1);
	CREATE TRIGGER passages_fts_insert AFTER INSERT ON passages BEGIN
		INSERT INTO passages_fts(rowid, heading, text, coll) VALUES (new.id, new.heading, new.text, 'c' || new.collection_id);
	END;
	CREATE TRIGGER passages_fts_delete AFTER DELETE ON passages BEGIN
		DELETE FROM passages_fts WHERE rowid = old.id;
	END;
	CREATE TABLE chat_collections (
		chat_id INTEGER PRIMARY KEY,
		collection_id INTEGER NOT NULL REFERENCES collections(id) ON DELETE CASCADE
	);
	CREATE TABLE chat_sources (
		chat_id INTEGER NOT NULL,
		message_id INTEGER NOT NULL,     -- the user message the sources were retrieved for
		sources TEXT NOT NULL,           -- JSON array of Source
		PRIMARY KEY (chat_id, message_id)
	);`,
	// A folder file's modification time (Unix ns) when it was read, so a run can pass over
	// files of the same size and time without reading them; 0: unknown (read and hash).
	`ALTER TABLE documents ADD COLUMN mtime INTEGER NOT NULL DEFAULT 0;`,
}

// Open opens (creating if needed) the database at path.
func Open(ctx context.Context, path string, o Options) (*Store, error) {
	if o.Embedder == nil {
		return nil, errors.New("docs: an embedder is required")
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.MaxFileBytes <= 0 {
		o.MaxFileBytes = 64 << 20
	}
	if o.EmbedBatch <= 0 {
		o.EmbedBatch = 16
	}
	if o.CacheBytes <= 0 {
		o.CacheBytes = 2 << 30
	}
	// A few connections let a search read while a document is written (WAL); writes are
	// short transactions, so busy_timeout covers their rare overlap.
	db, err := sqlitedb.Open(ctx, path, schema, sqlitedb.Options{BusyTimeout: 10 * time.Second, MaxOpenConns: 4})
	if err != nil {
		return nil, fmt.Errorf("docs: %w", err)
	}
	s := &Store{db: db, emb: o.Embedder, log: o.Log, opt: o, now: time.Now, writing: map[int64]chan struct{}{}}
	s.vecs = newVectorCache(o.CacheBytes)
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Collection is a named set of documents searched together.
type Collection struct {
	ID             int64  `json:"id"`
	Name           string `json:"name"`
	EmbeddingModel string `json:"embedding_model"`
	// QueryPrefix and DocumentPrefix are put before questions and passages when embedding
	// them, as some models expect ("query: ", "search_document: "); known models get theirs
	// unless the collection sets its own.
	QueryPrefix    string  `json:"query_prefix"`
	DocumentPrefix string  `json:"document_prefix"`
	MinScore       float64 `json:"min_score"`
	Documents      int     `json:"documents"`
	Passages       int     `json:"passages"`
	// Dimensions of the vectors (0 while empty).
	Dimensions int `json:"dimensions"`
	// StaleDocuments hold vectors of another model (or prefix) than the collection's.
	StaleDocuments int `json:"stale_documents"`
	// Status is empty, ready, needs_reindex or indexing.
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`

	// explicit prefixes, as stored (nil: the model's default)
	queryPrefix, documentPrefix *string
}

// Collection statuses.
const (
	StatusEmpty        = "empty"
	StatusReady        = "ready"
	StatusNeedsReindex = "needs_reindex"
	StatusIndexing     = "indexing"
)

// NewCollection creates a collection. Nil fields take defaults.
type NewCollection struct {
	Name           string   `json:"name"`
	EmbeddingModel string   `json:"embedding_model"`
	MinScore       *float64 `json:"min_score,omitempty"`
	QueryPrefix    *string  `json:"query_prefix,omitempty"`
	DocumentPrefix *string  `json:"document_prefix,omitempty"`
}

// Patch changes a collection; nil fields stay. A new embedding model (or document prefix)
// marks every document for re-indexing.
type Patch struct {
	Name           *string  `json:"name,omitempty"`
	EmbeddingModel *string  `json:"embedding_model,omitempty"`
	MinScore       *float64 `json:"min_score,omitempty"`
	QueryPrefix    *string  `json:"query_prefix,omitempty"`
	DocumentPrefix *string  `json:"document_prefix,omitempty"`
}

func validName(what, name string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return fmt.Errorf("%w: %s is required", ErrInvalid, what)
	case len(name) > 200:
		return fmt.Errorf("%w: %s is %d bytes long; the limit is 200", ErrInvalid, what, len(name))
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return fmt.Errorf("%w: %s contains control characters", ErrInvalid, what)
	case name != strings.TrimSpace(name):
		return fmt.Errorf("%w: %s starts or ends with spaces", ErrInvalid, what)
	}
	if _, err := strconv.ParseInt(name, 10, 64); err == nil && what == "name" {
		return fmt.Errorf("%w: a collection name cannot be a number (numbers are ids)", ErrInvalid)
	}
	return nil
}

func validMinScore(v *float64) error {
	if v != nil && (*v < -1 || *v > 2 || *v != *v) {
		return fmt.Errorf("%w: min_score must be between -1 and 2 (a cosine similarity plus the keyword bonus), got %v", ErrInvalid, *v)
	}
	return nil
}

func validPrefix(what string, p *string) error {
	if p != nil && len(*p) > 500 {
		return fmt.Errorf("%w: %s is %d bytes; the limit is 500", ErrInvalid, what, len(*p))
	}
	return nil
}

// Create adds a collection.
func (s *Store) Create(ctx context.Context, n NewCollection) (Collection, error) {
	if err := validName("name", n.Name); err != nil {
		return Collection{}, err
	}
	if err := validName("embedding_model", n.EmbeddingModel); err != nil {
		return Collection{}, err
	}
	if err := errors.Join(validMinScore(n.MinScore), validPrefix("query_prefix", n.QueryPrefix), validPrefix("document_prefix", n.DocumentPrefix)); err != nil {
		return Collection{}, err
	}
	now := s.now().UnixMilli()
	res, err := s.db.ExecContext(ctx, `INSERT INTO collections (name, embedding_model, query_prefix, document_prefix, min_score, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, n.Name, n.EmbeddingModel, n.QueryPrefix, n.DocumentPrefix, n.MinScore, now, now)
	if err != nil {
		if isUnique(err) {
			return Collection{}, fmt.Errorf("%w: a collection named %q exists", ErrExists, n.Name)
		}
		return Collection{}, fmt.Errorf("create collection: %w", err)
	}
	id, _ := res.LastInsertId()
	return s.Get(ctx, id)
}

func isUnique(err error) bool { return strings.Contains(err.Error(), "UNIQUE constraint failed") }

const collectionCols = `c.id, c.name, c.embedding_model, c.query_prefix, c.document_prefix, c.min_score, c.created_at, c.updated_at,
	(SELECT count(*) FROM documents d WHERE d.collection_id = c.id),
	(SELECT coalesce(sum(passages), 0) FROM documents d WHERE d.collection_id = c.id),
	(SELECT coalesce(length(vector) / 4, 0) FROM passages p WHERE p.collection_id = c.id ORDER BY p.id DESC LIMIT 1)`

func (s *Store) scanCollection(row interface{ Scan(...any) error }) (Collection, error) {
	var (
		c        Collection
		qp, dp   sql.NullString
		minScore sql.NullFloat64
		created  int64
		updated  int64
		dims     sql.NullInt64
	)
	if err := row.Scan(&c.ID, &c.Name, &c.EmbeddingModel, &qp, &dp, &minScore, &created, &updated, &c.Documents, &c.Passages, &dims); err != nil {
		return Collection{}, err
	}
	c.CreatedAt, c.UpdatedAt = time.UnixMilli(created).UTC(), time.UnixMilli(updated).UTC()
	c.Dimensions = int(dims.Int64)
	dq, dd := defaultPrefixes(c.EmbeddingModel)
	c.QueryPrefix, c.DocumentPrefix = dq, dd
	if qp.Valid {
		c.QueryPrefix, c.queryPrefix = qp.String, &qp.String
	}
	if dp.Valid {
		c.DocumentPrefix, c.documentPrefix = dp.String, &dp.String
	}
	c.MinScore = DefaultMinScore
	if minScore.Valid {
		c.MinScore = minScore.Float64
	}
	return c, nil
}

// fill adds the stale count and the status.
func (s *Store) fill(ctx context.Context, c *Collection) error {
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM documents d WHERE d.collection_id = ? AND `+staleDoc,
		c.ID, c.EmbeddingModel, c.DocumentPrefix).Scan(&c.StaleDocuments)
	if err != nil {
		return err
	}
	switch {
	case s.isWriting(c.ID):
		c.Status = StatusIndexing
	case c.StaleDocuments > 0:
		c.Status = StatusNeedsReindex
	case c.Documents == 0:
		c.Status = StatusEmpty
	default:
		c.Status = StatusReady
	}
	return nil
}

// Get returns a collection by id.
func (s *Store) Get(ctx context.Context, id int64) (Collection, error) {
	c, err := s.scanCollection(s.db.QueryRowContext(ctx, `SELECT `+collectionCols+` FROM collections c WHERE c.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Collection{}, fmt.Errorf("%w: no collection %d", ErrNotFound, id)
	}
	if err != nil {
		return Collection{}, fmt.Errorf("read collection %d: %w", id, err)
	}
	return c, s.fill(ctx, &c)
}

// Find returns a collection by id ("3") or name (case-insensitive).
func (s *Store) Find(ctx context.Context, ref string) (Collection, error) {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		return s.Get(ctx, id)
	}
	c, err := s.scanCollection(s.db.QueryRowContext(ctx, `SELECT `+collectionCols+` FROM collections c WHERE c.name = ?`, ref))
	if errors.Is(err, sql.ErrNoRows) {
		return Collection{}, fmt.Errorf("%w: no collection named %q", ErrNotFound, ref)
	}
	if err != nil {
		return Collection{}, fmt.Errorf("read collection %q: %w", ref, err)
	}
	return c, s.fill(ctx, &c)
}

// List returns every collection, by name.
func (s *Store) List(ctx context.Context) ([]Collection, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+collectionCols+` FROM collections c ORDER BY c.name COLLATE NOCASE`)
	if err != nil {
		return nil, fmt.Errorf("list collections: %w", err)
	}
	out := []Collection{}
	for rows.Next() {
		c, err := s.scanCollection(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		if err := s.fill(ctx, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Update changes a collection. Switching its embedding model does not touch the vectors:
// the documents become stale (Status needs_reindex) until Reindex embeds them again.
func (s *Store) Update(ctx context.Context, id int64, p Patch) (Collection, error) {
	c, err := s.Get(ctx, id)
	if err != nil {
		return Collection{}, err
	}
	if p.Name != nil {
		if err := validName("name", *p.Name); err != nil {
			return Collection{}, err
		}
		c.Name = *p.Name
	}
	if p.EmbeddingModel != nil {
		if err := validName("embedding_model", *p.EmbeddingModel); err != nil {
			return Collection{}, err
		}
		c.EmbeddingModel = *p.EmbeddingModel
	}
	if err := errors.Join(validMinScore(p.MinScore), validPrefix("query_prefix", p.QueryPrefix), validPrefix("document_prefix", p.DocumentPrefix)); err != nil {
		return Collection{}, err
	}
	minScore := any(nil)
	if p.MinScore != nil {
		minScore = *p.MinScore
	} else if c.MinScore != DefaultMinScore {
		minScore = c.MinScore
	}
	qp, dp := c.queryPrefix, c.documentPrefix
	if p.QueryPrefix != nil {
		qp = p.QueryPrefix
	}
	if p.DocumentPrefix != nil {
		dp = p.DocumentPrefix
	}
	_, err = s.db.ExecContext(ctx, `UPDATE collections SET name = ?, embedding_model = ?, query_prefix = ?, document_prefix = ?, min_score = ?, updated_at = ? WHERE id = ?`,
		c.Name, c.EmbeddingModel, qp, dp, minScore, s.now().UnixMilli(), id)
	if err != nil {
		if isUnique(err) {
			return Collection{}, fmt.Errorf("%w: a collection named %q exists", ErrExists, c.Name)
		}
		return Collection{}, fmt.Errorf("update collection %d: %w", id, err)
	}
	s.vecs.invalidate(id)
	return s.Get(ctx, id)
}

// Delete removes a collection with its documents and vectors.
func (s *Store) Delete(ctx context.Context, id int64) error {
	unlock, err := s.lock(ctx, id, false)
	if err != nil {
		return err
	}
	defer unlock()
	// Passages first, one statement: the trigger clears their keyword rows.
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM passages WHERE collection_id = ?`, id); err != nil {
		return fmt.Errorf("delete collection %d: %w", id, err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM collections WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete collection %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: no collection %d", ErrNotFound, id)
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	s.vecs.invalidate(id)
	return nil
}

// lock claims a collection for a change. wait=false fails at once with ErrBusy when another
// change runs (an indexing run can take minutes; a second one should not queue silently).
func (s *Store) lock(ctx context.Context, id int64, wait bool) (func(), error) {
	for {
		s.mu.Lock()
		ch, busy := s.writing[id]
		if !busy {
			ch = make(chan struct{})
			s.writing[id] = ch
			s.mu.Unlock()
			return func() {
				s.mu.Lock()
				delete(s.writing, id)
				s.mu.Unlock()
				close(ch)
			}, nil
		}
		s.mu.Unlock()
		if !wait {
			return nil, fmt.Errorf("%w: collection %d is being indexed; wait for it to finish or cancel it", ErrBusy, id)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (s *Store) isWriting(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.writing[id]
	return ok
}

// defaultPrefixes are the instruction prefixes known embedding model families were trained
// with; without them their retrieval quality drops noticeably. bge-m3 needs none.
func defaultPrefixes(model string) (query, document string) {
	m := strings.ToLower(model)
	switch {
	case strings.Contains(m, "nomic-embed"):
		return "search_query: ", "search_document: "
	case strings.Contains(m, "e5-") || strings.Contains(m, "-e5"):
		return "query: ", "passage: "
	case strings.Contains(m, "qwen3-embedding"):
		return "Instruct: Given a question, retrieve passages that answer it\nQuery: ", ""
	case strings.Contains(m, "embeddinggemma"):
		return "task: search result | query: ", "title: none | text: "
	case strings.Contains(m, "mxbai-embed"), strings.Contains(m, "bge-small-en"), strings.Contains(m, "bge-base-en"), strings.Contains(m, "bge-large-en"):
		return "Represent this sentence for searching relevant passages: ", ""
	}
	return "", ""
}
