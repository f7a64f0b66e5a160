package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Receipt is a delivery of a purchase order's units. ReceiptID is the
// client's name for it, so that a retried request adds nothing.
type Receipt struct {
	ID         int64     `db:"id"`
	POID       int64     `db:"po_id"`
	ReceiptID  string    `db:"receipt_id"`
	ReceivedAt time.Time `db:"received_at"`
	Lines      []ReceiptLine
}

// ReceiptLine is the units of one item a receipt brought.
type ReceiptLine struct {
	ItemID   string `db:"item_id"`
	Quantity int    `db:"quantity"`
}

// AddReceipt records a receipt and its lines (received now when
// r.ReceivedAt is zero), each for the purchase order's shop. A receipt_id
// the order has already received returns the first receipt's id and
// duplicate true, and writes nothing. It does not touch the order's lines:
// the caller counts the units there.
func (tx *Tx) AddReceipt(ctx context.Context, r Receipt) (id int64, duplicate bool, err error) {
	const insert = `INSERT INTO receipts (po_id, receipt_id, received_at) VALUES (?, ?, ?)
	ON CONFLICT (po_id, receipt_id) DO NOTHING RETURNING id`
	const first = `SELECT id FROM receipts WHERE po_id = ? AND receipt_id = ?`
	const line = `INSERT INTO receipt_lines (receipt_id, shop_id, item_id, quantity, received_at)
	SELECT ?, p.shop_id, ?, ?, ? FROM purchase_orders p WHERE p.id = ?`
	at := r.ReceivedAt.UTC().Truncate(time.Microsecond)
	if r.ReceivedAt.IsZero() {
		at = tx.store.nowUTC()
	}
	err = translate(tx.tx.QueryRowxContext(ctx, tx.tx.Rebind(insert), r.POID, r.ReceiptID, at).Scan(&id))
	if errors.Is(err, ErrNotFound) {
		if err := tx.tx.GetContext(ctx, &id, tx.tx.Rebind(first), r.POID, r.ReceiptID); err != nil {
			return 0, false, fmt.Errorf("receipt %q of purchase order %d: %w", r.ReceiptID, r.POID, translate(err))
		}
		return id, true, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("add receipt %q to purchase order %d: %w", r.ReceiptID, r.POID, err)
	}
	for _, l := range r.Lines {
		if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(line), id, l.ItemID, l.Quantity, at, r.POID); err != nil {
			return 0, false, fmt.Errorf("add %s to receipt %q: %w", l.ItemID, r.ReceiptID, translate(err))
		}
	}
	return id, false, nil
}
