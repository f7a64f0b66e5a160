package store

import (
	"context"
	"fmt"
	"time"
)

// PrivacyRecord is a privacy request carried out: for a customer's data,
// the document produced (personal data, erased by a later redaction); for a
// redaction, what it erased, counted.
type PrivacyRecord struct {
	ID         int64     `db:"id"`
	ShopID     int64     `db:"shop_id"`
	InboxID    int64     `db:"inbox_id"`
	Kind       string    `db:"kind"`
	RequestID  string    `db:"request_id"`
	CustomerID string    `db:"customer_id"`
	Document   string    `db:"document"`
	Orders     int       `db:"orders"`
	Deliveries int       `db:"deliveries"`
	CreatedAt  time.Time `db:"created_at"`
	// Scanned is how many recorded deliveries the request looked through
	// (Deliveries of them mention the customer, or were redacted), a page
	// per transaction; CompletedAt is set when it has looked through all.
	Scanned     int        `db:"scanned"`
	CompletedAt *time.Time `db:"completed_at"`
}

// AddPrivacyRecord records a privacy request carried out, once per delivery.
func (tx *Tx) AddPrivacyRecord(ctx context.Context, r PrivacyRecord) error {
	const q = `INSERT INTO privacy_requests (shop_id, inbox_id, kind, request_id, customer_id, document,
		orders, deliveries, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (inbox_id) DO NOTHING`
	if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(q), r.ShopID, r.InboxID, r.Kind, r.RequestID, r.CustomerID,
		r.Document, r.Orders, r.Deliveries, tx.store.nowUTC()); err != nil {
		return fmt.Errorf("record privacy request: %w", translate(err))
	}
	return nil
}

// PrivacyRecords lists privacy requests carried out, newest first, with ids
// below before (0: from the newest), filtered by shop when shopID is not 0.
func (s *Store) PrivacyRecords(ctx context.Context, shopID, before int64, limit int) ([]PrivacyRecord, error) {
	q := `SELECT id, shop_id, inbox_id, kind, request_id, customer_id, document, orders, deliveries, created_at,
		scanned, completed_at
	FROM privacy_requests WHERE (? = 0 OR shop_id = ?) AND (? = 0 OR id < ?) ORDER BY id DESC LIMIT ?`
	var rs []PrivacyRecord
	if err := s.db.SelectContext(ctx, &rs, s.db.Rebind(q), shopID, shopID, before, before, limit); err != nil {
		return nil, fmt.Errorf("list privacy requests: %w", translate(err))
	}
	return rs, nil
}

// RedactOrders erases the personal fields of a customer's orders (by
// customer id, email or order id), or of every order of the shop when all
// is set, keeping the orders and their lines; it returns how many orders.
func (tx *Tx) RedactOrders(ctx context.Context, shopID int64, customerID, email string, orderIDs []string, all bool) (int, error) {
	where, args := `shop_id = ?`, []any{shopID}
	if !all {
		var err error
		if where, args, err = customerMatch(shopID, customerID, email, orderIDs); err != nil {
			return 0, err
		}
	}
	q := `UPDATE orders SET email = '', first_name = '', last_name = '', phone = '', redacted_at = ? WHERE ` + where
	res, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(q), append([]any{tx.store.nowUTC()}, args...)...)
	if err != nil {
		return 0, fmt.Errorf("redact orders: %w", translate(err))
	}
	n, err := res.RowsAffected()
	return int(n), translate(err)
}

// EraseDataDocuments empties the customer data documents produced for a
// customer (or, with customerID "", for the whole shop); it returns how many.
func (tx *Tx) EraseDataDocuments(ctx context.Context, shopID int64, customerID string) (int, error) {
	const q = `UPDATE privacy_requests SET document = ''
	WHERE shop_id = ? AND kind = 'customer_data' AND document <> '' AND (? = '' OR customer_id = ?)`
	res, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(q), shopID, customerID, customerID)
	if err != nil {
		return 0, fmt.Errorf("erase data documents: %w", translate(err))
	}
	n, err := res.RowsAffected()
	return int(n), translate(err)
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

// Shop reads one shop inside the transaction.
func (tx *Tx) Shop(ctx context.Context, id int64) (Shop, error) {
	const q = `SELECT ` + shopColumns + ` FROM shops WHERE id = ?`
	var shop Shop
	if err := tx.tx.GetContext(ctx, &shop, tx.tx.Rebind(q), id); err != nil {
		return Shop{}, fmt.Errorf("shop %d: %w", id, translate(err))
	}
	return shop, nil
}

// UninstallShop marks the shop uninstalled: its work stops, and it is kept,
// since its secret verifies the shop/redact that follows.
func (tx *Tx) UninstallShop(ctx context.Context, id int64) error {
	const q = `UPDATE shops SET status = 'uninstalled', uninstalled_at = ?, updated_at = ? WHERE id = ? AND status = 'active'`
	now := tx.store.nowUTC()
	if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(q), now, now, id); err != nil {
		return fmt.Errorf("uninstall shop %d: %w", id, translate(err))
	}
	return nil
}

// ReactivateShop resumes work for a shop that was uninstalled (the app was
// installed again).
func (s *Store) ReactivateShop(ctx context.Context, id int64) error {
	const q = `UPDATE shops SET status = 'active', uninstalled_at = NULL, updated_at = ? WHERE id = ?`
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(q), s.nowUTC(), id); err != nil {
		return fmt.Errorf("reactivate shop %d: %w", id, translate(err))
	}
	return nil
}
