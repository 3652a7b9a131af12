// Package sqlitedb opens Perch's SQLite databases (chat history, documents) the same way:
// pure-Go SQLite, WAL, foreign keys, and a schema brought up to date in numbered steps.
package sqlitedb

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver (pure Go, no cgo, with FTS5)
)

// Options sets how a database is opened.
type Options struct {
	// BusyTimeout is how long a statement waits for another writer before failing.
	BusyTimeout time.Duration
	// MaxOpenConns bounds the connection pool; 1 serialises everything.
	MaxOpenConns int
}

// Open opens (creating it and its folder if needed) the database at path and applies the
// steps of schema it has not run yet. user_version records how many ran, so a database made
// by an older Perch is brought up to date in place, and one made by a newer Perch is refused
// rather than misread.
func Open(ctx context.Context, path string, schema []string, o Options) (*sql.DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create folder: %w", err)
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 5 * time.Second
	}
	// WAL lets readers go on while a writer writes; busy_timeout waits out a writer instead
	// of failing; foreign keys make deleting a parent row delete its children.
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", o.BusyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if o.MaxOpenConns > 0 {
		db.SetMaxOpenConns(o.MaxOpenConns)
	}
	if err := migrate(ctx, db, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return db, nil
}

func migrate(ctx context.Context, db *sql.DB, schema []string) error {
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("read schema version (is it an SQLite database?): %w", err)
	}
	if v > len(schema) {
		return fmt.Errorf("the database was written by a newer Perch (schema %d; this one knows %d)", v, len(schema))
	}
	for i := v; i < len(schema); i++ {
		if err := step(ctx, db, i+1, schema[i]); err != nil {
			return fmt.Errorf("schema step %d: %w", i+1, err)
		}
	}
	return nil
}

// step runs one schema step and records it in one transaction, so a failed step leaves the
// database as it was.
func step(ctx context.Context, db *sql.DB, n int, stmt string) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, stmt); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", n)); err != nil {
		return err
	}
	return tx.Commit()
}
