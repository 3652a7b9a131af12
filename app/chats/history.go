package chats

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
)

// MaxDeleteMany caps the chats one DeleteMany removes.
const MaxDeleteMany = 1000

// SetPinned pins a chat to the top of the history or unpins it. Its updated time stays, so
// unpinning puts it back where it was.
func (s *Store) SetPinned(ctx context.Context, id int64, pinned bool) (Chat, error) {
	v := 0
	if pinned {
		v = 1
	}
	res, err := s.db.ExecContext(ctx, `UPDATE chats SET pinned = ? WHERE id = ?`, v, id)
	if err != nil {
		return Chat{}, fmt.Errorf("chats: pin %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Chat{}, fmt.Errorf("chat %d: %w", id, ErrNotFound)
	}
	return s.chat(ctx, s.db, id)
}

// DeleteMany removes the chats with the given ids and their messages in one transaction:
// all of them, or none when any id is unknown (the error names those).
func (s *Store) DeleteMany(ctx context.Context, ids []int64) (int, error) {
	if len(ids) == 0 {
		return 0, fmt.Errorf("%w: no chats were named; give the ids of the chats to delete", ErrInvalid)
	}
	if len(ids) > MaxDeleteMany {
		return 0, fmt.Errorf("%w: %d chats at once is too many; delete at most %d at a time", ErrInvalid, len(ids), MaxDeleteMany)
	}
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var deleted int
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var missing []string
		for _, id := range ids {
			res, err := tx.ExecContext(ctx, `DELETE FROM chats WHERE id = ?`, id)
			if err != nil {
				return fmt.Errorf("chats: delete %d: %w", id, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				missing = append(missing, fmt.Sprint(id))
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("chats %s: %w; nothing was deleted (reload the history and try again)", strings.Join(missing, ", "), ErrNotFound)
		}
		deleted = len(ids)
		return nil
	})
	if err != nil {
		return 0, err
	}
	return deleted, nil
}
