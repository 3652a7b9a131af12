package chats

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
)

func listIDs(t *testing.T, s *Store, q string) []int64 {
	t.Helper()
	got, err := s.List(context.Background(), ListOptions{Query: q})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, g := range got {
		ids = append(ids, g.ID)
	}
	return ids
}

func TestPerchChatsPinSortsFirstAndSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "chats.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, msg := range []string{"first apple", "second apple", "third apple"} {
		c, err := s.Create(ctx, NewChat{Model: "m"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddUserMessage(ctx, c.ID, msg); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	before, _ := s.Get(ctx, ids[0])
	c, err := s.SetPinned(ctx, ids[0], true)
	if err != nil || !c.Pinned {
		t.Fatalf("pin: %+v, %v", c, err)
	}
	if !c.UpdatedAt.Equal(before.UpdatedAt) {
		t.Errorf("pinning changed updated_at from %v to %v", before.UpdatedAt, c.UpdatedAt)
	}
	want := []int64{ids[0], ids[2], ids[1]}
	for _, q := range []string{"", "apple"} {
		if got := listIDs(t, s, q); !slices.Equal(got, want) {
			t.Errorf("list %q = %v, want the pinned chat first: %v", q, got, want)
		}
	}
	s.Close()

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, _ := s.List(ctx, ListOptions{})
	if len(got) != 3 || got[0].ID != ids[0] || !got[0].Pinned || got[1].Pinned {
		t.Fatalf("after reopening: %+v", got)
	}
	if _, err := s.SetPinned(ctx, ids[0], false); err != nil {
		t.Fatal(err)
	}
	if got := listIDs(t, s, ""); !slices.Equal(got, []int64{ids[2], ids[1], ids[0]}) {
		t.Errorf("unpinned chat did not go back to its place: %v", got)
	}
	if _, err := s.SetPinned(ctx, 999, true); !errors.Is(err, ErrNotFound) {
		t.Errorf("pin an unknown chat: %v, want ErrNotFound", err)
	}
}

// A database of the schema before pinning (three steps) is upgraded in place: its chats
// stay, unpinned, and can be pinned.
func TestPerchChatsPinAfterUpgrade(t *testing.T) {
	ctx := context.Background()
	s := upgradedFrom(t, 3, `INSERT INTO chats (title, created_at, updated_at) VALUES ('old', 1, 1), ('older', 0, 0);
		INSERT INTO messages (chat_id, role, content, created_at) VALUES (1, 'user', 'hi', 1);`)
	got, err := s.List(ctx, ListOptions{})
	if err != nil || len(got) != 2 || got[0].Title != "old" || got[0].Pinned || got[0].Messages != 1 {
		t.Fatalf("old chats after the upgrade: %+v, %v", got, err)
	}
	if _, err := s.SetPinned(ctx, 2, true); err != nil {
		t.Fatal(err)
	}
	if ids := listIDs(t, s, ""); !slices.Equal(ids, []int64{2, 1}) {
		t.Errorf("after pinning the older chat: %v", ids)
	}
}

func TestPerchChatsDeleteMany(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	var ids []int64
	for range 4 {
		c, err := s.Create(ctx, NewChat{Model: "m"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddUserMessage(ctx, c.ID, "hello"); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	all := []int64{ids[3], ids[2], ids[1], ids[0]} // newest first
	tests := []struct {
		name    string
		ids     []int64
		wantErr error
		left    []int64
	}{
		{"none", nil, ErrInvalid, all},
		{"too many", make([]int64, MaxDeleteMany+1), ErrInvalid, all},
		{"one unknown keeps all", []int64{ids[0], 999}, ErrNotFound, all},
		{"two with a repeat", []int64{ids[1], ids[3], ids[1]}, nil, []int64{ids[2], ids[0]}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := s.DeleteMany(ctx, tt.ids)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("DeleteMany(%v) = %d, %v; want %v", tt.ids, n, err, tt.wantErr)
			}
			if err == nil && n != 2 {
				t.Errorf("deleted %d, want 2", n)
			}
			if got := listIDs(t, s, ""); !slices.Equal(got, tt.left) {
				t.Errorf("left %v, want %v", got, tt.left)
			}
		})
	}
	// The deleted chats' messages went with them; the others' stayed.
	var msgs int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM messages`).Scan(&msgs); err != nil || msgs != 2 {
		t.Errorf("messages left: %d, %v; want 2", msgs, err)
	}
}
