package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// ErrBusy is returned when a row is claimed without waiting and another
// transaction holds it.
var ErrBusy = errors.New("held by another transaction")

// InboxStatus reads delivery id's status without a transaction or a lock:
// a task whose delivery another task's batch already applied learns it
// with one read.
func (s *Store) InboxStatus(ctx context.Context, id int64) (string, error) {
	const q = `SELECT status FROM inbox WHERE id = ?`
	var status string
	if err := s.db.GetContext(ctx, &status, s.db.Rebind(q), id); err != nil {
		return "", fmt.Errorf("inbox %d status: %w", id, translate(err))
	}
	return status, nil
}

// TryClaimInbox is ClaimInbox without waiting: a row that another
// transaction holds (applying it in its batch) is ErrBusy at once. SQLite
// has one writer, so a row is never held there.
func (tx *Tx) TryClaimInbox(ctx context.Context, id int64) (InboxRow, error) {
	if tx.store.engine != Postgres {
		return tx.ClaimInbox(ctx, id)
	}
	const q = `SELECT ` + inboxColumns + ` FROM inbox WHERE id = $1 FOR UPDATE SKIP LOCKED`
	var row InboxRow
	err := tx.tx.GetContext(ctx, &row, q, id)
	if err == nil {
		return row, nil
	}
	if err = translate(err); !errors.Is(err, ErrNotFound) {
		return InboxRow{}, fmt.Errorf("claim inbox %d: %w", id, err)
	}
	var n int
	if err := tx.tx.GetContext(ctx, &n, `SELECT count(*) FROM inbox WHERE id = $1`, id); err != nil {
		return InboxRow{}, fmt.Errorf("claim inbox %d: %w", id, translate(err))
	}
	if n == 0 {
		return InboxRow{}, fmt.Errorf("claim inbox %d: %w", id, ErrNotFound)
	}
	return InboxRow{}, fmt.Errorf("claim inbox %d: %w", id, ErrBusy)
}

// ClaimMoreInbox locks up to limit accepted deliveries of the shop other
// than exceptID, oldest first, for the rest of the transaction, skipping
// the rows another transaction holds: it never waits, so claiming in any
// order cannot deadlock. Oldest first, as they arrived: an item whose
// reconcile runs between two batches (its quiet, or SETTLE_MAX, passed
// while a backlog was applied) then sees a prefix of the store's history,
// whose newest units are the ones that wait. Newest first, it saw the
// latest orders before earlier ones and committed units to them, which
// the earlier orders then waited for (a CI run of the polling test).
func (tx *Tx) ClaimMoreInbox(ctx context.Context, shopID, exceptID int64, limit int) ([]InboxRow, error) {
	q := `SELECT ` + inboxColumns + ` FROM inbox WHERE status = 'accepted' AND shop_id = ? AND id <> ?
	ORDER BY received_at, id LIMIT ?`
	if tx.store.engine == Postgres {
		q += ` FOR UPDATE SKIP LOCKED`
	}
	var rows []InboxRow
	if err := tx.tx.SelectContext(ctx, &rows, tx.tx.Rebind(q), shopID, exceptID, limit); err != nil {
		return nil, fmt.Errorf("claim inbox of shop %d: %w", shopID, translate(err))
	}
	return rows, nil
}

// InboxOutcome is the final status of an applied delivery, with the reason.
type InboxOutcome struct {
	ID     int64
	Status string
	Reason string
}

// FinishInboxes sets the final status of deliveries applied together, in
// the transaction that applied them: one statement on PostgreSQL.
func (tx *Tx) FinishInboxes(ctx context.Context, outcomes []InboxOutcome) error {
	if tx.store.engine != Postgres || len(outcomes) == 1 {
		for _, o := range outcomes {
			if err := tx.FinishInbox(ctx, o.ID, o.Status, o.Reason); err != nil {
				return err
			}
		}
		return nil
	}
	ids := make([]int64, len(outcomes))
	statuses := make([]string, len(outcomes))
	reasons := make([]string, len(outcomes))
	for i, o := range outcomes {
		ids[i], statuses[i], reasons[i] = o.ID, o.Status, o.Reason
	}
	const q = `UPDATE inbox SET status = v.status, reason = v.reason, processed_at = $1
	FROM unnest($2::bigint[], $3::text[], $4::text[]) AS v(id, status, reason) WHERE inbox.id = v.id`
	if _, err := tx.tx.ExecContext(ctx, q, tx.store.nowUTC(), ids, statuses, reasons); err != nil {
		return fmt.Errorf("finish %d inbox rows: %w", len(outcomes), translate(err))
	}
	return nil
}

// ItemsOfOrders lists the items of the stored lines of the shop's orders,
// sorted, once each.
func (tx *Tx) ItemsOfOrders(ctx context.Context, shopID int64, orderIDs []string) ([]string, error) {
	if len(orderIDs) == 0 {
		return nil, nil
	}
	q, args, err := sqlx.In(`SELECT DISTINCT item_id FROM order_lines WHERE shop_id = ? AND order_id IN (?) ORDER BY item_id`,
		shopID, orderIDs)
	if err != nil {
		return nil, fmt.Errorf("bind order ids: %w", err)
	}
	var ids []string
	if err := tx.tx.SelectContext(ctx, &ids, tx.tx.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("items of %d orders: %w", len(orderIDs), translate(err))
	}
	return ids, nil
}

// OldestUnapplied returns when the oldest delivery of the shop received in
// [from, before) that is still accepted (not yet applied, or in a batch
// that has not committed) arrived, or nil when there is none. An item's
// reconcile waits for such deliveries: they may hold facts of the item that
// arrived before it settled.
func (tx *Tx) OldestUnapplied(ctx context.Context, shopID int64, from, before time.Time) (*time.Time, error) {
	const q = `SELECT received_at FROM inbox
	WHERE status = 'accepted' AND received_at >= ? AND received_at < ? AND shop_id = ?
	ORDER BY received_at LIMIT 1`
	var at time.Time
	err := tx.tx.GetContext(ctx, &at, tx.tx.Rebind(q), from.UTC(), before.UTC(), shopID)
	if err = translate(err); errors.Is(err, ErrNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("oldest unapplied delivery of shop %d: %w", shopID, err)
	}
	return &at, nil
}
