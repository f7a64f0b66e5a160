package store

import (
	"context"
	"fmt"
	"time"
)

// Store write kinds: what a row of store_writes writes to a shop's store.
const (
	StoreWriteOrder   = "order"   // an order's tag, hold, ETA note, status (subject: order id)
	StoreWriteSelling = "selling" // an item's selling state at its cap (subject: item id)
	StoreWriteStock   = "stock"   // a receipt's units added to the store's stock (subject: receipt key)
	StoreWriteCancel  = "cancel"  // an order cancelled past the maximum wait (subject: order id)
	StoreWriteResolve = "resolve" // an inventory item no item maps, looked up (subject: stock key)
)

// Store write statuses.
const (
	StoreWritePending = "pending" // wanted differs from what was written: a task is to write it
	StoreWriteDone    = "done"    // the wanted state is written
	StoreWriteFailed  = "failed"  // the store refused it for good; last_error says why
)

// WriteBack is one thing backorderd writes to a shop's store: the state
// wanted (JSON of the storeapi value), and what was last written.
type WriteBack struct {
	ID          int64      `db:"id"`
	ShopID      int64      `db:"shop_id"`
	Kind        string     `db:"kind"`
	Subject     string     `db:"subject"`
	Wanted      string     `db:"wanted"`
	WantedHash  string     `db:"wanted_hash"`
	WrittenHash string     `db:"written_hash"`
	Status      string     `db:"status"`
	Attempts    int        `db:"attempts"`
	LastError   string     `db:"last_error"`
	CreatedAt   time.Time  `db:"created_at"`
	UpdatedAt   time.Time  `db:"updated_at"`
	WrittenAt   *time.Time `db:"written_at"`
}

const storeWriteColumns = `id, shop_id, kind, subject, wanted, wanted_hash, written_hash, status, attempts,
	last_error, created_at, updated_at, written_at`

// WantStoreWrite records the state wanted of (shop, kind, subject) in the
// transaction that changed the facts. It reports changed when the row now
// waits for a write of a state it did not wait for before: a new subject,
// or a wanted state that differs from the one before and from the one
// written. A state equal to the one written is done at once; the same
// state wanted again leaves the row as it was (a failed write stays failed).
func (tx *Tx) WantStoreWrite(ctx context.Context, shopID int64, kind, subject, wanted, hash string) (w WriteBack, changed bool, err error) {
	const q = `INSERT INTO store_writes (shop_id, kind, subject, wanted, wanted_hash, status, created_at, updated_at)
	VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)
	ON CONFLICT (shop_id, kind, subject) DO UPDATE SET
		status = CASE WHEN store_writes.written_hash = excluded.wanted_hash THEN 'done'
			WHEN store_writes.wanted_hash = excluded.wanted_hash THEN store_writes.status ELSE 'pending' END,
		attempts = CASE WHEN store_writes.wanted_hash = excluded.wanted_hash THEN store_writes.attempts ELSE 0 END,
		last_error = CASE WHEN store_writes.wanted_hash = excluded.wanted_hash THEN store_writes.last_error ELSE '' END,
		updated_at = CASE WHEN store_writes.wanted_hash = excluded.wanted_hash THEN store_writes.updated_at ELSE excluded.updated_at END,
		wanted = excluded.wanted, wanted_hash = excluded.wanted_hash
	RETURNING ` + storeWriteColumns
	before, err := tx.storeWriteHash(ctx, shopID, kind, subject)
	if err != nil {
		return WriteBack{}, false, err
	}
	now := tx.store.nowUTC()
	if err := tx.tx.GetContext(ctx, &w, tx.tx.Rebind(q), shopID, kind, subject, wanted, hash, now, now); err != nil {
		return WriteBack{}, false, fmt.Errorf("want %s write of %s: %w", kind, subject, translate(err))
	}
	return w, w.Status == StoreWritePending && before != hash, nil
}

// storeWriteHash is the wanted hash of a row, "" when there is none.
func (tx *Tx) storeWriteHash(ctx context.Context, shopID int64, kind, subject string) (string, error) {
	const q = `SELECT wanted_hash FROM store_writes WHERE shop_id = ? AND kind = ? AND subject = ?`
	var hs []string
	if err := tx.tx.SelectContext(ctx, &hs, tx.tx.Rebind(q), shopID, kind, subject); err != nil {
		return "", fmt.Errorf("read %s write of %s: %w", kind, subject, translate(err))
	}
	if len(hs) == 0 {
		return "", nil
	}
	return hs[0], nil
}

// HasStoreWrite reports whether the shop has a write of kind for subject.
func (tx *Tx) HasStoreWrite(ctx context.Context, shopID int64, kind, subject string) (bool, error) {
	h, err := tx.storeWriteHash(ctx, shopID, kind, subject)
	return h != "", err
}

// StoreWrite reads one write.
func (s *Store) StoreWrite(ctx context.Context, id int64) (WriteBack, error) {
	const q = `SELECT ` + storeWriteColumns + ` FROM store_writes WHERE id = ?`
	var w WriteBack
	if err := s.db.GetContext(ctx, &w, s.db.Rebind(q), id); err != nil {
		return WriteBack{}, fmt.Errorf("store write %d: %w", id, translate(err))
	}
	return w, nil
}

// StoreWritten records that the state of hash was written: the row is done
// unless another state is wanted meanwhile, and then pending, even when
// that state was the one written before (wanted again while this write was
// under way, it was taken for done): the caller queues its write. It
// returns the row as it is now.
func (s *Store) StoreWritten(ctx context.Context, id int64, hash string) (WriteBack, error) {
	const q = `UPDATE store_writes SET written_hash = ?, written_at = ?, updated_at = ?, last_error = '',
		status = CASE WHEN wanted_hash = ? THEN 'done' ELSE 'pending' END
	WHERE id = ?
	RETURNING ` + storeWriteColumns
	now := s.nowUTC()
	var w WriteBack
	if err := s.db.GetContext(ctx, &w, s.db.Rebind(q), hash, now, now, hash, id); err != nil {
		return WriteBack{}, fmt.Errorf("record store write %d: %w", id, translate(err))
	}
	return w, nil
}

// StoreWriteFailed records a failed attempt to write the state of hash:
// attempts grow and last_error says why; for good (permanent) the row is
// failed unless another state is wanted meanwhile. A refusal for good of a
// state no longer wanted changes nothing.
func (s *Store) StoreWriteFailed(ctx context.Context, id int64, hash, reason string, permanent bool) error {
	const q = `UPDATE store_writes SET attempts = attempts + 1, last_error = ?, updated_at = ?,
		status = CASE WHEN ? AND status = 'pending' THEN 'failed' ELSE status END
	WHERE id = ? AND wanted_hash = ?`
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(q), reason, s.nowUTC(), permanent, id, hash); err != nil {
		return fmt.Errorf("record failed store write %d: %w", id, translate(err))
	}
	return nil
}

// StoreWriteBlocked records why a pending write cannot be made now (the
// shop is uninstalled, or has no credentials) without counting an attempt.
func (s *Store) StoreWriteBlocked(ctx context.Context, id int64, reason string) error {
	const q = `UPDATE store_writes SET last_error = ?, updated_at = ? WHERE id = ? AND status = 'pending'`
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(q), reason, s.nowUTC(), id); err != nil {
		return fmt.Errorf("record blocked store write %d: %w", id, translate(err))
	}
	return nil
}

// LeaseStoreWrite lets one writer at a time write the row to its store:
// it reports false while another holds an unexpired lease. The lease ends
// at ReleaseStoreWrite, or after d (a writer that died).
func (s *Store) LeaseStoreWrite(ctx context.Context, id int64, d time.Duration) (bool, error) {
	const q = `UPDATE store_writes SET lease_until = ? WHERE id = ? AND (lease_until IS NULL OR lease_until < ?)`
	now := s.nowUTC()
	res, err := s.db.ExecContext(ctx, s.db.Rebind(q), now.Add(d), id, now)
	if err != nil {
		return false, fmt.Errorf("lease store write %d: %w", id, translate(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("lease store write %d: %w", id, err)
	}
	return n == 1, nil
}

// ReleaseStoreWrite ends the row's lease: the next writer may write it.
func (s *Store) ReleaseStoreWrite(ctx context.Context, id int64) error {
	const q = `UPDATE store_writes SET lease_until = NULL WHERE id = ?`
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(q), id); err != nil {
		return fmt.Errorf("release store write %d: %w", id, translate(err))
	}
	return nil
}

// PendingStoreWrites lists a shop's pending writes last changed before
// before, ids above afterID, lowest first: the writes whose task may be
// lost, or that waited for the shop to come back.
func (s *Store) PendingStoreWrites(ctx context.Context, shopID int64, before time.Time, afterID int64, limit int) ([]WriteBack, error) {
	const q = `SELECT ` + storeWriteColumns + ` FROM store_writes
	WHERE status = 'pending' AND shop_id = ? AND updated_at < ? AND id > ?
	ORDER BY id LIMIT ?`
	var ws []WriteBack
	if err := s.db.SelectContext(ctx, &ws, s.db.Rebind(q), shopID, before.UTC(), afterID, limit); err != nil {
		return nil, fmt.Errorf("list pending store writes: %w", translate(err))
	}
	return ws, nil
}

// WriteBackFilter selects writes for the admin API: newest first, below
// Before (a cursor; 0: from the newest).
type WriteBackFilter struct {
	ShopID int64  `db:"shop_id"`
	Status string `db:"status"`
	Kind   string `db:"kind"`
	Before int64  `db:"before"`
	Limit  int    `db:"limit"`
}

// ListStoreWrites lists writes matching f.
func (s *Store) ListStoreWrites(ctx context.Context, f WriteBackFilter) ([]WriteBack, error) {
	const q = `SELECT ` + storeWriteColumns + ` FROM store_writes
	WHERE (:shop_id = 0 OR shop_id = :shop_id) AND (:status = '' OR status = :status)
		AND (:kind = '' OR kind = :kind) AND (:before = 0 OR id < :before)
	ORDER BY id DESC LIMIT :limit`
	var ws []WriteBack
	if err := s.selectNamed(ctx, &ws, q, f); err != nil {
		return nil, fmt.Errorf("list store writes: %w", err)
	}
	return ws, nil
}

// KnownState is what a shop's store should already show when it is
// connected: its orders with a line that waits, and its items at their
// cap on waiting units.
type KnownState struct {
	WaitingOrders []string
	ItemsAtCap    []string
}

// ShopKnownState reads the shop's KnownState, in id order.
func (tx *Tx) ShopKnownState(ctx context.Context, shopID int64) (KnownState, error) {
	const orders = `SELECT DISTINCT order_id FROM backorders WHERE shop_id = ? AND waiting > 0 ORDER BY order_id`
	const items = `SELECT item_id FROM item_ledgers WHERE shop_id = ? AND at_cap ORDER BY item_id`
	var st KnownState
	if err := tx.tx.SelectContext(ctx, &st.WaitingOrders, tx.tx.Rebind(orders), shopID); err != nil {
		return KnownState{}, fmt.Errorf("waiting orders of shop %d: %w", shopID, translate(err))
	}
	if err := tx.tx.SelectContext(ctx, &st.ItemsAtCap, tx.tx.Rebind(items), shopID); err != nil {
		return KnownState{}, fmt.Errorf("items at cap of shop %d: %w", shopID, translate(err))
	}
	return st, nil
}
