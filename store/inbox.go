package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Inbox statuses.
const (
	InboxAccepted  = "accepted"  // recorded; its task has not finished
	InboxProcessed = "processed" // its facts are applied
	InboxRejected  = "rejected"  // signed but unusable (malformed); kept for operators
	InboxFailed    = "failed"    // its task was archived by asynq: a dead letter
)

// Delivery is a verified webhook delivery to record.
type Delivery struct {
	ShopID int64
	Topic  string
	// DedupeKey identifies the delivery within its shop: the same key is
	// the same delivery.
	DedupeKey  string
	Headers    map[string]string
	Body       []byte
	ReceivedAt time.Time
}

// InboxRow is one recorded delivery.
type InboxRow struct {
	ID          int64      `db:"id"`
	ShopID      int64      `db:"shop_id"`
	Topic       string     `db:"topic"`
	DedupeKey   string     `db:"dedupe_key"`
	Headers     string     `db:"headers"`
	Body        []byte     `db:"body"`
	Status      string     `db:"status"`
	Reason      string     `db:"reason"`
	Duplicates  int        `db:"duplicates"`
	ReceivedAt  time.Time  `db:"received_at"`
	ProcessedAt *time.Time `db:"processed_at"`
}

const inboxColumns = `id, shop_id, topic, dedupe_key, headers, body, status, reason,
	duplicates, received_at, processed_at`

// RecordDelivery writes d to the inbox and returns its id. A delivery whose
// dedupe key the shop already has is not written again: the original's
// duplicates count goes up, and its id comes back with duplicate set.
func (s *Store) RecordDelivery(ctx context.Context, d Delivery) (id int64, duplicate bool, err error) {
	headers, err := json.Marshal(d.Headers)
	if err != nil {
		return 0, false, fmt.Errorf("encode headers: %w", err)
	}
	return recordOne(ctx, s.db, d, string(headers), 0)
}

// rowQueryer is the pool or a transaction.
type rowQueryer interface {
	QueryRowxContext(ctx context.Context, query string, args ...any) *sqlx.Row
	Rebind(query string) string
}

// recordOne inserts d with dups duplicates already counted, or, when the
// shop has its dedupe key, adds dups + 1 to the original's count. One
// statement each, in the caller's transaction or none.
func recordOne(ctx context.Context, q rowQueryer, d Delivery, headers string, dups int) (id int64, duplicate bool, err error) {
	const insert = `INSERT INTO inbox (shop_id, topic, dedupe_key, headers, body, status, received_at, duplicates)
	VALUES (?, ?, ?, ?, ?, 'accepted', ?, ?)
	ON CONFLICT (shop_id, dedupe_key) DO NOTHING
	RETURNING id`
	const bump = `UPDATE inbox SET duplicates = duplicates + ?
	WHERE shop_id = ? AND dedupe_key = ?
	RETURNING id`
	err = q.QueryRowxContext(ctx, q.Rebind(insert),
		d.ShopID, d.Topic, d.DedupeKey, headers, d.Body, d.ReceivedAt.UTC(), dups).Scan(&id)
	if err == nil {
		return id, false, nil
	}
	if err = translate(err); !errors.Is(err, ErrNotFound) {
		return 0, false, fmt.Errorf("record delivery: %w", err)
	}
	// The insert did nothing: the key exists.
	if err := q.QueryRowxContext(ctx, q.Rebind(bump), dups+1, d.ShopID, d.DedupeKey).Scan(&id); err != nil {
		return 0, false, fmt.Errorf("count duplicate delivery: %w", translate(err))
	}
	return id, true, nil
}

// Inbox reads one recorded delivery.
func (s *Store) Inbox(ctx context.Context, id int64) (InboxRow, error) {
	const q = `SELECT ` + inboxColumns + ` FROM inbox WHERE id = ?`
	var row InboxRow
	if err := s.db.GetContext(ctx, &row, s.db.Rebind(q), id); err != nil {
		return InboxRow{}, fmt.Errorf("inbox %d: %w", id, translate(err))
	}
	return row, nil
}

// ClaimInbox reads delivery id and locks it for the rest of the transaction,
// so that two runs of its task cannot both apply it.
func (tx *Tx) ClaimInbox(ctx context.Context, id int64) (InboxRow, error) {
	q := `SELECT ` + inboxColumns + ` FROM inbox WHERE id = ?` + tx.store.forUpdate()
	var row InboxRow
	if err := tx.tx.GetContext(ctx, &row, tx.tx.Rebind(q), id); err != nil {
		return InboxRow{}, fmt.Errorf("claim inbox %d: %w", id, translate(err))
	}
	return row, nil
}

// FinishInbox sets the delivery's final status (processed or rejected, with
// the reason for a rejection) in the transaction that applied it.
func (tx *Tx) FinishInbox(ctx context.Context, id int64, status, reason string) error {
	const q = `UPDATE inbox SET status = ?, reason = ?, processed_at = ? WHERE id = ?`
	if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(q), status, reason, tx.store.nowUTC(), id); err != nil {
		return fmt.Errorf("finish inbox %d: %w", id, translate(err))
	}
	return nil
}

// FailInbox marks a delivery whose task asynq archived as failed: a dead
// letter for operators, never retried by the relay.
func (s *Store) FailInbox(ctx context.Context, id int64, reason string) error {
	const q = `UPDATE inbox SET status = 'failed', reason = ? WHERE id = ? AND status = 'accepted'`
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(q), reason, id); err != nil {
		return fmt.Errorf("fail inbox %d: %w", id, translate(err))
	}
	return nil
}

// InboxRef is a delivery as the relay enqueues it again: its id, and its
// shop's domain and topic for the task's subject.
type InboxRef struct {
	ID     int64  `db:"id"`
	Domain string `db:"domain"`
	Topic  string `db:"topic"`
}

// UnfinishedInboxRefs is UnfinishedInbox with each delivery's shop domain
// and topic.
func (s *Store) UnfinishedInboxRefs(ctx context.Context, before time.Time, afterID int64, limit int) ([]InboxRef, error) {
	const q = `SELECT i.id, s.domain, i.topic FROM inbox i JOIN shops s ON s.id = i.shop_id
	WHERE i.status = 'accepted' AND i.received_at < ? AND i.id > ?
	ORDER BY i.id LIMIT ?`
	var refs []InboxRef
	if err := s.db.SelectContext(ctx, &refs, s.db.Rebind(q), before.UTC(), afterID, limit); err != nil {
		return nil, fmt.Errorf("list unfinished inbox: %w", translate(err))
	}
	return refs, nil
}

// UnfinishedInbox lists deliveries still accepted that were received before
// before, with ids above afterID, lowest first: the relay's work list.
func (s *Store) UnfinishedInbox(ctx context.Context, before time.Time, afterID int64, limit int) ([]int64, error) {
	const q = `SELECT id FROM inbox WHERE status = 'accepted' AND received_at < ? AND id > ?
	ORDER BY id LIMIT ?`
	var ids []int64
	if err := s.db.SelectContext(ctx, &ids, s.db.Rebind(q), before.UTC(), afterID, limit); err != nil {
		return nil, fmt.Errorf("list unfinished inbox: %w", translate(err))
	}
	return ids, nil
}

// InboxFilter selects deliveries for operators. Zero values select all.
type InboxFilter struct {
	ShopID int64  `db:"shop_id"`
	Topic  string `db:"topic"`
	Status string `db:"status"`
	// Before is a cursor: only ids below it (0: from the newest).
	Before int64 `db:"before"`
	Limit  int   `db:"limit"`
}

// InboxEntry is a delivery as operators see it: no body, no headers.
type InboxEntry struct {
	ID          int64      `db:"id"`
	ShopID      int64      `db:"shop_id"`
	Shop        string     `db:"shop"`
	Platform    string     `db:"platform"`
	Topic       string     `db:"topic"`
	Status      string     `db:"status"`
	Reason      string     `db:"reason"`
	Duplicates  int        `db:"duplicates"`
	ReceivedAt  time.Time  `db:"received_at"`
	ProcessedAt *time.Time `db:"processed_at"`
}

// ListInbox lists deliveries matching f, newest first.
func (s *Store) ListInbox(ctx context.Context, f InboxFilter) ([]InboxEntry, error) {
	const q = `SELECT i.id, i.shop_id, s.domain AS shop, s.platform, i.topic, i.status, i.reason, i.duplicates,
		i.received_at, i.processed_at
	FROM inbox i JOIN shops s ON s.id = i.shop_id
	WHERE (:shop_id = 0 OR i.shop_id = :shop_id) AND (:topic = '' OR i.topic = :topic)
		AND (:status = '' OR i.status = :status) AND (:before = 0 OR i.id < :before)
	ORDER BY i.id DESC LIMIT :limit`
	var es []InboxEntry
	if err := s.selectNamed(ctx, &es, q, f); err != nil {
		return nil, fmt.Errorf("list inbox: %w", err)
	}
	return es, nil
}

// InboxBody is a recorded delivery's raw body.
type InboxBody struct {
	ID   int64  `db:"id"`
	Body []byte `db:"body"`
}

// InboxBodies pages through the bodies of a shop's deliveries, ids above
// afterID, lowest first.
func (tx *Tx) InboxBodies(ctx context.Context, shopID, afterID int64, limit int) ([]InboxBody, error) {
	const q = `SELECT id, body FROM inbox WHERE shop_id = ? AND id > ? ORDER BY id LIMIT ?`
	var bs []InboxBody
	if err := tx.tx.SelectContext(ctx, &bs, tx.tx.Rebind(q), shopID, afterID, limit); err != nil {
		return nil, fmt.Errorf("page inbox bodies: %w", translate(err))
	}
	return bs, nil
}

// ReplaceInboxBody rewrites a delivery's body (with its personal data
// erased).
func (tx *Tx) ReplaceInboxBody(ctx context.Context, id int64, body []byte) error {
	const q = `UPDATE inbox SET body = ? WHERE id = ?`
	if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(q), body, id); err != nil {
		return fmt.Errorf("replace inbox body %d: %w", id, translate(err))
	}
	return nil
}
