package store

import (
	"context"
	"fmt"
	"time"
)

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
	const q = `UPDATE privacy_requests SET scanned = scanned + ?, deliveries = deliveries + ?, subject = '',
		document = CASE WHEN ? = '' THEN document ELSE ? END, completed_at = ?
	WHERE inbox_id = ?`
	if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(q), scanned, deliveries, document, document,
		tx.store.nowUTC(), inboxID); err != nil {
		return fmt.Errorf("complete privacy scan of inbox %d: %w", inboxID, translate(err))
	}
	return nil
}
