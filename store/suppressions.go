package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Suppression is an address newly suppressed by an event: Event names
// it, Reason is SendGrid's text (it often holds the address).
type Suppression struct {
	ShopID  int64
	Address string
	Event   string
	Reason  string
}

func (tx *Tx) suppress(ctx context.Context, shopID int64, address, reason string) (Suppression, bool, error) {
	const q = `INSERT INTO suppressions (shop_id, address, reason, created_at) VALUES (?, ?, ?, ?)
	ON CONFLICT (shop_id, address) DO NOTHING RETURNING address`
	s := Suppression{ShopID: shopID, Address: strings.ToLower(address), Reason: reason}
	var got string
	err := translate(tx.tx.QueryRowxContext(ctx, tx.tx.Rebind(q), shopID, s.Address, reason, tx.store.nowUTC()).Scan(&got))
	if errors.Is(err, ErrNotFound) {
		return s, false, nil
	}
	if err != nil {
		return s, false, fmt.Errorf("suppress address: %w", err)
	}
	return s, true, nil
}

// Suppressed reports whether the shop may not mail address.
func (tx *Tx) Suppressed(ctx context.Context, shopID int64, address string) (bool, error) {
	const q = `SELECT COUNT(*) FROM suppressions WHERE shop_id = ? AND address = ?`
	var n int
	if err := tx.tx.GetContext(ctx, &n, tx.tx.Rebind(q), shopID, strings.ToLower(address)); err != nil {
		return false, fmt.Errorf("suppressed: %w", translate(err))
	}
	return n > 0, nil
}

// ClearSuppression lets the shop mail address again (the merchant fixed
// it); it reports whether it was suppressed.
func (s *Store) ClearSuppression(ctx context.Context, shopID int64, address string) (bool, error) {
	const q = `DELETE FROM suppressions WHERE shop_id = ? AND address = ?`
	res, err := s.db.ExecContext(ctx, s.db.Rebind(q), shopID, strings.ToLower(address))
	if err != nil {
		return false, fmt.Errorf("clear suppression: %w", translate(err))
	}
	n, err := res.RowsAffected()
	return n > 0, translate(err)
}
