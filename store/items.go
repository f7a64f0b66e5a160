package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/backorderd/backorderd/backorder"
)

// ItemRecord is an item as applied.
type ItemRecord struct {
	ShopID          int64     `db:"shop_id"`
	ItemID          string    `db:"item_id"`
	ProductID       string    `db:"product_id"`
	StockKey        string    `db:"stock_key"`
	SKU             string    `db:"sku"`
	Title           string    `db:"title"`
	ContinueSelling *bool     `db:"continue_selling"`
	Quantity        *int      `db:"quantity"`
	Deleted         bool      `db:"deleted"`
	StateAt         time.Time `db:"state_at"`
	StateSeq        int64     `db:"state_seq"`
}

// ApplyItem writes what the store says of an item unless a newer state is
// applied; it reports whether it applied.
func (tx *Tx) ApplyItem(ctx context.Context, shopID int64, it backorder.Item) (bool, error) {
	q := `INSERT INTO items (shop_id, item_id, product_id, stock_key, sku, title, continue_selling, quantity,
		deleted, state_at, state_seq)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, FALSE, ?, ?)
	ON CONFLICT (shop_id, item_id) DO UPDATE SET product_id = excluded.product_id,
		stock_key = excluded.stock_key, sku = excluded.sku, title = excluded.title,
		continue_selling = excluded.continue_selling, quantity = excluded.quantity, deleted = FALSE,
		state_at = excluded.state_at, state_seq = excluded.state_seq
	WHERE ` + fmt.Sprintf(newer, "items") + `
	RETURNING id`
	return tx.upsertVersioned(ctx, "item "+it.ItemID, q, shopID, it.ItemID, it.ProductID, it.StockKey, it.SKU,
		it.Title, it.ContinueSelling, it.Quantity, it.Version.At.UTC(), it.Version.Seq)
}

// DeleteItem marks an item the store deleted.
func (tx *Tx) DeleteItem(ctx context.Context, shopID int64, itemID string) error {
	const q = `UPDATE items SET deleted = TRUE WHERE shop_id = ? AND item_id = ?`
	if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(q), shopID, itemID); err != nil {
		return fmt.Errorf("delete item %s: %w", itemID, translate(err))
	}
	return nil
}

// SetItemCap sets an item's own cap on waiting units (nil: the shop's
// default applies). The item is created if the store has not described it.
func (s *Store) SetItemCap(ctx context.Context, shopID int64, itemID string, limit *int) error {
	const q = `INSERT INTO items (shop_id, item_id, waiting_cap, state_at, state_seq) VALUES (?, ?, ?, ?, 0)
	ON CONFLICT (shop_id, item_id) DO UPDATE SET waiting_cap = excluded.waiting_cap`
	// An item first named here has the oldest possible version: any state
	// the store reports replaces it.
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(q), shopID, itemID, limit, time.Unix(0, 0).UTC()); err != nil {
		return fmt.Errorf("set cap of item %s: %w", itemID, translate(err))
	}
	return nil
}

// Item reads one item.
func (s *Store) Item(ctx context.Context, shopID int64, itemID string) (ItemRecord, error) {
	const q = `SELECT shop_id, item_id, product_id, stock_key, sku, title, continue_selling, quantity, deleted,
		state_at, state_seq FROM items WHERE shop_id = ? AND item_id = ?`
	var it ItemRecord
	if err := s.db.GetContext(ctx, &it, s.db.Rebind(q), shopID, itemID); err != nil {
		return ItemRecord{}, fmt.Errorf("item %s: %w", itemID, translate(err))
	}
	return it, nil
}

// ItemsByID finds the items with itemID in shopID (0: in any shop).
func (s *Store) ItemsByID(ctx context.Context, shopID int64, itemID string) ([]ItemRecord, error) {
	return s.findItems(ctx, `item_id = :value`, shopID, itemID)
}

// ItemsBySKU finds the items labelled sku (0: in any shop).
func (s *Store) ItemsBySKU(ctx context.Context, shopID int64, sku string) ([]ItemRecord, error) {
	return s.findItems(ctx, `sku = :value`, shopID, sku)
}

// findItems finds the items of shopID (0: of any shop) that match, a
// condition on :value.
func (s *Store) findItems(ctx context.Context, match string, shopID int64, value string) ([]ItemRecord, error) {
	q := `SELECT shop_id, item_id, product_id, stock_key, sku, title, continue_selling, quantity, deleted,
		state_at, state_seq FROM items
	WHERE (:shop_id = 0 OR shop_id = :shop_id) AND ` + match + `
	ORDER BY shop_id, item_id`
	var its []ItemRecord
	if err := s.selectNamed(ctx, &its, q, map[string]any{"shop_id": shopID, "value": value}); err != nil {
		return nil, fmt.Errorf("find items: %w", err)
	}
	return its, nil
}

// Items exist in the items table only once a product or inventory delivery
// described them; an item that so far only orders name is known from its
// order lines. The admin API looks items up in both.

// OrderedItemsByID finds the items with itemID that order lines name but no
// product or inventory delivery has described (shopID 0: in any shop), each
// with the product, SKU and title its lines give.
func (s *Store) OrderedItemsByID(ctx context.Context, shopID int64, itemID string) ([]ItemRecord, error) {
	return s.orderedItems(ctx, `l.item_id = :value`, shopID, itemID)
}

// OrderedItemsBySKU is OrderedItemsByID for the items order lines label sku.
func (s *Store) OrderedItemsBySKU(ctx context.Context, shopID int64, sku string) ([]ItemRecord, error) {
	return s.orderedItems(ctx, `l.sku = :value`, shopID, sku)
}

func (s *Store) orderedItems(ctx context.Context, match string, shopID int64, value string) ([]ItemRecord, error) {
	q := `SELECT l.shop_id, l.item_id, MAX(l.product_id) AS product_id, MAX(l.sku) AS sku, MAX(l.title) AS title
	FROM order_lines l
	WHERE (:shop_id = 0 OR l.shop_id = :shop_id) AND ` + match + `
		AND NOT EXISTS (SELECT 1 FROM items i WHERE i.shop_id = l.shop_id AND i.item_id = l.item_id)
	GROUP BY l.shop_id, l.item_id
	ORDER BY l.shop_id, l.item_id`
	var its []ItemRecord
	if err := s.selectNamed(ctx, &its, q, map[string]any{"shop_id": shopID, "value": value}); err != nil {
		return nil, fmt.Errorf("find ordered items: %w", err)
	}
	return its, nil
}

// ItemsByStockKeys lists the items that report stock under any of keys.
func (tx *Tx) ItemsByStockKeys(ctx context.Context, shopID int64, keys []string) ([]string, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	q, args, err := sqlx.In(`SELECT item_id FROM items WHERE shop_id = ? AND stock_key IN (?) ORDER BY item_id`, shopID, keys)
	if err != nil {
		return nil, fmt.Errorf("bind stock keys: %w", err)
	}
	var ids []string
	if err := tx.tx.SelectContext(ctx, &ids, tx.tx.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("items by stock key: %w", translate(err))
	}
	return ids, nil
}

// MappedStockKeys lists which of keys some item of the shop reports stock
// under; a key not listed is an inventory item no delivery has mapped.
func (tx *Tx) MappedStockKeys(ctx context.Context, shopID int64, keys []string) ([]string, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	q, args, err := sqlx.In(`SELECT DISTINCT stock_key FROM items WHERE shop_id = ? AND stock_key IN (?) ORDER BY stock_key`, shopID, keys)
	if err != nil {
		return nil, fmt.Errorf("bind stock keys: %w", err)
	}
	var mapped []string
	if err := tx.tx.SelectContext(ctx, &mapped, tx.tx.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("mapped stock keys: %w", translate(err))
	}
	return mapped, nil
}

// Item reads one item inside the transaction; ErrNotFound when the store
// never described it.
func (tx *Tx) Item(ctx context.Context, shopID int64, itemID string) (ItemRecord, error) {
	const q = `SELECT shop_id, item_id, product_id, stock_key, sku, title, continue_selling, quantity, deleted,
		state_at, state_seq FROM items WHERE shop_id = ? AND item_id = ?`
	var it ItemRecord
	if err := tx.tx.GetContext(ctx, &it, tx.tx.Rebind(q), shopID, itemID); err != nil {
		return ItemRecord{}, fmt.Errorf("item %s: %w", itemID, translate(err))
	}
	return it, nil
}

// StockKeyMapped reports whether some item of the shop reports stock
// under key.
func (s *Store) StockKeyMapped(ctx context.Context, shopID int64, key string) (bool, error) {
	const q = `SELECT COUNT(*) FROM items WHERE shop_id = ? AND stock_key = ?`
	var n int
	if err := s.db.GetContext(ctx, &n, s.db.Rebind(q), shopID, key); err != nil {
		return false, fmt.Errorf("stock key %s mapped: %w", key, translate(err))
	}
	return n > 0, nil
}
