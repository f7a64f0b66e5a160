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
	const q = `SELECT id, shop_id, inbox_id, kind, request_id, customer_id, document, orders, deliveries, created_at,
		scanned, completed_at
	FROM privacy_requests WHERE (:shop_id = 0 OR shop_id = :shop_id) AND (:before = 0 OR id < :before)
	ORDER BY id DESC LIMIT :limit`
	var rs []PrivacyRecord
	arg := map[string]any{"shop_id": shopID, "before": before, "limit": limit}
	if err := s.selectNamed(ctx, &rs, q, arg); err != nil {
		return nil, fmt.Errorf("list privacy requests: %w", err)
	}
	return rs, nil
}

// EraseDataDocuments empties the customer data documents produced for a
// customer (or, with customerID "", for the whole shop); it returns how many.
func (tx *Tx) EraseDataDocuments(ctx context.Context, shopID int64, customerID string) (int, error) {
	const q = `UPDATE privacy_requests SET document = ''
	WHERE shop_id = :shop_id AND kind = 'customer_data' AND document <> ''
		AND (:customer_id = '' OR customer_id = :customer_id)`
	res, err := tx.tx.NamedExecContext(ctx, q, map[string]any{"shop_id": shopID, "customer_id": customerID})
	if err != nil {
		return 0, fmt.Errorf("erase data documents: %w", translate(err))
	}
	n, err := res.RowsAffected()
	return int(n), translate(err)
}

// PrivacyScan is where a privacy request's scan of the recorded deliveries
// stands: the request's kind and subject, the data document to complete,
// and the counts so far.
type PrivacyScan struct {
	ShopID      int64      `db:"shop_id"`
	InboxID     int64      `db:"inbox_id"`
	Kind        string     `db:"kind"`
	RequestID   string     `db:"request_id"`
	Subject     string     `db:"subject"`
	Document    string     `db:"document"`
	Scanned     int        `db:"scanned"`
	Deliveries  int        `db:"deliveries"`
	CompletedAt *time.Time `db:"completed_at"`
}

// PrivacyScanOf reads the scan of the privacy request recorded from inbox
// row inboxID.
func (tx *Tx) PrivacyScanOf(ctx context.Context, inboxID int64) (PrivacyScan, error) {
	const q = `SELECT shop_id, inbox_id, kind, request_id, subject, document, scanned, deliveries, completed_at
	FROM privacy_requests WHERE inbox_id = ?`
	var p PrivacyScan
	if err := tx.tx.GetContext(ctx, &p, tx.tx.Rebind(q), inboxID); err != nil {
		return PrivacyScan{}, fmt.Errorf("privacy scan of inbox %d: %w", inboxID, translate(err))
	}
	return p, nil
}

// AdvancePrivacyScan adds one page's counts to the scan and keeps its
// subject for the next page.
func (tx *Tx) AdvancePrivacyScan(ctx context.Context, inboxID int64, scanned, deliveries int, subject string) error {
	const q = `UPDATE privacy_requests SET scanned = scanned + ?, deliveries = deliveries + ?, subject = ?
	WHERE inbox_id = ?`
	if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(q), scanned, deliveries, subject, inboxID); err != nil {
		return fmt.Errorf("advance privacy scan of inbox %d: %w", inboxID, translate(err))
	}
	return nil
}

// CompletePrivacyScan adds the last page's counts, records when the scan
// finished, forgets its subject and stores the finished data document
// (unchanged when document is "").
func (tx *Tx) CompletePrivacyScan(ctx context.Context, inboxID int64, scanned, deliveries int, document string) error {
	const q = `UPDATE privacy_requests SET scanned = scanned + :scanned, deliveries = deliveries + :deliveries,
		subject = '', document = CASE WHEN :document = '' THEN document ELSE :document END, completed_at = :now
	WHERE inbox_id = :inbox_id`
	arg := map[string]any{"scanned": scanned, "deliveries": deliveries, "document": document,
		"now": tx.store.nowUTC(), "inbox_id": inboxID}
	if _, err := tx.tx.NamedExecContext(ctx, q, arg); err != nil {
		return fmt.Errorf("complete privacy scan of inbox %d: %w", inboxID, translate(err))
	}
	return nil
}
