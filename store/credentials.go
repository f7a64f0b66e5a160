package store

import (
	"context"
	"fmt"
)

// A shop's store credentials are kept sealed (encrypted with SECRETS_KEY by
// the caller): the store never sees them in the clear.

// SetShopCredentials keeps the shop's sealed credentials, replacing any it
// had.
func (s *Store) SetShopCredentials(ctx context.Context, shopID int64, sealed []byte) error {
	const q = `INSERT INTO shop_credentials (shop_id, sealed, updated_at) VALUES (?, ?, ?)
	ON CONFLICT (shop_id) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(q), shopID, sealed, s.nowUTC()); err != nil {
		return fmt.Errorf("set credentials of shop %d: %w", shopID, translate(err))
	}
	return nil
}

// ShopCredentials reads the shop's sealed credentials; ErrNotFound when it
// has none.
func (s *Store) ShopCredentials(ctx context.Context, shopID int64) ([]byte, error) {
	const q = `SELECT sealed FROM shop_credentials WHERE shop_id = ?`
	var sealed []byte
	if err := s.db.GetContext(ctx, &sealed, s.db.Rebind(q), shopID); err != nil {
		return nil, fmt.Errorf("credentials of shop %d: %w", shopID, translate(err))
	}
	return sealed, nil
}

// DeleteShopCredentials forgets the shop's credentials: it works on
// webhooks alone again.
func (s *Store) DeleteShopCredentials(ctx context.Context, shopID int64) error {
	const q = `DELETE FROM shop_credentials WHERE shop_id = ?`
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(q), shopID); err != nil {
		return fmt.Errorf("delete credentials of shop %d: %w", shopID, translate(err))
	}
	return nil
}

// CountShopCredentials counts the shops with credentials (start-up refuses
// them without a key to open them).
func (s *Store) CountShopCredentials(ctx context.Context) (int, error) {
	const q = `SELECT COUNT(*) FROM shop_credentials`
	var n int
	if err := s.db.GetContext(ctx, &n, q); err != nil {
		return 0, fmt.Errorf("count shop credentials: %w", translate(err))
	}
	return n, nil
}

// ShopHasCredentials reports whether the shop can be written to: it has
// credentials and is not uninstalled.
func (tx *Tx) ShopHasCredentials(ctx context.Context, shopID int64) (bool, error) {
	const q = `SELECT COUNT(*) FROM shop_credentials c JOIN shops s ON s.id = c.shop_id
	WHERE c.shop_id = ? AND s.status = 'active'`
	var n int
	if err := tx.tx.GetContext(ctx, &n, tx.tx.Rebind(q), shopID); err != nil {
		return false, fmt.Errorf("credentials of shop %d: %w", shopID, translate(err))
	}
	return n > 0, nil
}
