package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// ReplayFilter selects the deliveries an operator runs again: failed or
// rejected ones of a shop (0: every shop), received in a time range
// and/or with ids in a range (each bound inclusive; zero: open).
type ReplayFilter struct {
	ShopID       int64
	Statuses     []string // of InboxFailed and InboxRejected
	ReceivedFrom time.Time
	ReceivedTo   time.Time
	FromID       int64
	ToID         int64
	Limit        int
}

// ReplayCandidates lists the ids of the deliveries f selects, lowest first,
// at most f.Limit.
func (s *Store) ReplayCandidates(ctx context.Context, f ReplayFilter) ([]int64, error) {
	where, args := []string{`status IN (?)`}, []any{f.Statuses}
	add := func(cond string, arg any) {
		where, args = append(where, cond), append(args, arg)
	}
	if f.ShopID != 0 {
		add(`shop_id = ?`, f.ShopID)
	}
	if !f.ReceivedFrom.IsZero() {
		add(`received_at >= ?`, f.ReceivedFrom.UTC())
	}
	if !f.ReceivedTo.IsZero() {
		add(`received_at <= ?`, f.ReceivedTo.UTC())
	}
	if f.FromID != 0 {
		add(`id >= ?`, f.FromID)
	}
	if f.ToID != 0 {
		add(`id <= ?`, f.ToID)
	}
	q, args, err := sqlx.In(`SELECT id FROM inbox WHERE `+strings.Join(where, " AND ")+` ORDER BY id LIMIT ?`,
		append(args, f.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("bind replay filter: %w", err)
	}
	var ids []int64
	if err := s.db.SelectContext(ctx, &ids, s.db.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("list deliveries to replay: %w", translate(err))
	}
	return ids, nil
}

// ReopenInbox makes a failed or rejected delivery accepted again, with
// reason, so that its task applies it as it would a new one (and the relay
// looks after its task again). It reports whether the row was failed or
// rejected.
func (tx *Tx) ReopenInbox(ctx context.Context, id int64, reason string) (bool, error) {
	const q = `UPDATE inbox SET status = 'accepted', reason = ?, processed_at = NULL
	WHERE id = ? AND status IN ('failed', 'rejected')`
	res, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(q), reason, id)
	if err != nil {
		return false, fmt.Errorf("reopen inbox %d: %w", id, translate(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("reopen inbox %d: %w", id, err)
	}
	return n == 1, nil
}
