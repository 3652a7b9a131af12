package sqlitedb

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var steps = []string{
	`CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT NOT NULL);`,
	`ALTER TABLE a ADD COLUMN note TEXT NOT NULL DEFAULT '';`,
}

func version(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		prepare func(t *testing.T, path string)
		schema  []string
		wantErr string
		wantV   int
	}{
		{name: "new database in a new folder", schema: steps, wantV: 2},
		{
			name: "older database brought up to date",
			prepare: func(t *testing.T, path string) {
				db, err := Open(ctx, path, steps[:1], Options{})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := db.Exec(`INSERT INTO a (name) VALUES ('kept')`); err != nil {
					t.Fatal(err)
				}
				db.Close()
			},
			schema: steps, wantV: 2,
		},
		{
			name: "newer database refused",
			prepare: func(t *testing.T, path string) {
				db, err := Open(ctx, path, steps, Options{})
				if err != nil {
					t.Fatal(err)
				}
				db.Close()
			},
			schema: steps[:1], wantErr: "written by a newer Perch (schema 2; this one knows 1)",
		},
		{
			name:    "failed step leaves the database as it was",
			schema:  []string{steps[0], `CREATE TABLE a (x);`},
			wantErr: "schema step 2", wantV: 1,
		},
		{
			name: "not an SQLite file",
			prepare: func(t *testing.T, path string) {
				if err := os.WriteFile(path, []byte(strings.Repeat("not a database ", 100)), 0o644); err != nil {
					t.Fatal(err)
				}
			},
			schema: steps, wantErr: "is it an SQLite database?",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "sub", "x.db")
			if tt.prepare != nil {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				tt.prepare(t, path)
			}
			db, err := Open(ctx, path, tt.schema, Options{MaxOpenConns: 1})
			if tt.wantErr != "" {
				if err == nil {
					db.Close()
					t.Fatalf("no error, want one containing %q", tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), path) {
					t.Fatalf("error %q: want %q and the path", err, tt.wantErr)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				defer db.Close()
				var fk int
				if err := db.QueryRow("PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
					t.Fatalf("foreign_keys = %d, %v", fk, err)
				}
				if _, err := db.Exec(`INSERT INTO a (name, note) VALUES ('x', 'y')`); err != nil {
					t.Fatalf("schema not applied: %v", err)
				}
				db.Close()
			}
			if tt.wantV > 0 {
				if got := version(t, path); got != tt.wantV {
					t.Fatalf("schema version %d, want %d", got, tt.wantV)
				}
			}
		})
	}
}
