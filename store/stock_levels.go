package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/backorderd/backorderd/backorder"
)

// LevelRecord is a stock level report as applied.
type LevelRecord struct {
	ShopID     int64     `db:"shop_id"`
	StockKey   string    `db:"stock_key"`
	LocationID string    `db:"location_id"`
	Available  *int      `db:"available"`
	StateAt    time.Time `db:"state_at"`
	StateSeq   int64     `db:"state_seq"`
}

// ApplyLevel writes a stock level report unless a newer one for the same
// stock key and location is applied; it reports whether it applied. Levels
// are kept by stock key whether or not an item maps to it yet.
func (tx *Tx) ApplyLevel(ctx context.Context, shopID int64, l backorder.StockLevel) (bool, error) {
	q := `INSERT INTO stock_levels (shop_id, stock_key, location_id, available, state_at, state_seq)
	VALUES (?, ?, ?, ?, ?, ?)
	ON CONFLICT (shop_id, stock_key, location_id) DO UPDATE SET available = excluded.available,
		state_at = excluded.state_at, state_seq = excluded.state_seq
	WHERE ` + fmt.Sprintf(newer, "stock_levels") + `
	RETURNING shop_id`
	return tx.upsertVersioned(ctx, "level "+l.StockKey, q, shopID, l.StockKey, l.LocationID, l.Available,
		l.Version.At.UTC(), l.Version.Seq)
}

// Levels reads the levels reported under a stock key, by location.
func (s *Store) Levels(ctx context.Context, shopID int64, stockKey string) ([]LevelRecord, error) {
	const q = `SELECT shop_id, stock_key, location_id, available, state_at, state_seq
	FROM stock_levels WHERE shop_id = ? AND stock_key = ? ORDER BY location_id`
	var ls []LevelRecord
	if err := s.db.SelectContext(ctx, &ls, s.db.Rebind(q), shopID, stockKey); err != nil {
		return nil, fmt.Errorf("levels of %s: %w", stockKey, translate(err))
	}
	return ls, nil
}

// ItemStock is an item's level: the sum of the levels reported under its
// stock key over every location, as of the newest report; where no
// location reported one, the store's total for the item (Shopify's variant
// inventory_quantity, WooCommerce's stock_quantity). Known is false when
// neither exists. Cap is the item's cap on waiting units, or its shop's.
// Received is the units received on purchase orders after LevelAt (all of
// them when no level is known): the level does not hold them yet, so they
// count in the projection until a newer level arrives.
type ItemStock struct {
	Level    int
	LevelAt  time.Time
	Known    bool
	Received int
	Cap      *int
	SKU      string
	Title    string
}

// ItemStock reads an item's level and cap.
func (tx *Tx) ItemStock(ctx context.Context, shopID int64, itemID string) (ItemStock, error) {
	const qi = `SELECT i.stock_key, i.sku, i.title, i.quantity, i.state_at, COALESCE(i.waiting_cap, s.waiting_cap) AS cap
	FROM items i JOIN shops s ON s.id = i.shop_id WHERE i.shop_id = ? AND i.item_id = ?`
	var it struct {
		StockKey string    `db:"stock_key"`
		SKU      string    `db:"sku"`
		Title    string    `db:"title"`
		Quantity *int      `db:"quantity"`
		StateAt  time.Time `db:"state_at"`
		Cap      *int      `db:"cap"`
	}
	err := translate(tx.tx.GetContext(ctx, &it, tx.tx.Rebind(qi), shopID, itemID))
	if errors.Is(err, ErrNotFound) {
		// An item the store never described: its orders and receipts alone.
		st, err := tx.shopCap(ctx, shopID)
		if err != nil {
			return ItemStock{}, err
		}
		return tx.withReceived(ctx, shopID, itemID, st)
	}
	if err != nil {
		return ItemStock{}, fmt.Errorf("item %s: %w", itemID, err)
	}
	st := ItemStock{Cap: it.Cap, SKU: it.SKU, Title: it.Title}
	// One row per location: summed here, where the time keeps its type.
	const ql = `SELECT available, state_at FROM stock_levels
	WHERE shop_id = ? AND stock_key = ? AND available IS NOT NULL`
	var levels []struct {
		Available int       `db:"available"`
		StateAt   time.Time `db:"state_at"`
	}
	if it.StockKey != "" {
		if err := tx.tx.SelectContext(ctx, &levels, tx.tx.Rebind(ql), shopID, it.StockKey); err != nil {
			return ItemStock{}, fmt.Errorf("levels of %s: %w", itemID, translate(err))
		}
	}
	for _, l := range levels {
		st.Level += l.Available
		if l.StateAt.After(st.LevelAt) {
			st.LevelAt = l.StateAt
		}
	}
	switch {
	case len(levels) > 0:
		st.Known = true
	case it.Quantity != nil:
		st.Level, st.LevelAt, st.Known = *it.Quantity, it.StateAt, true
	}
	return tx.withReceived(ctx, shopID, itemID, st)
}

// withReceived sets st.Received: the units received after st.LevelAt.
func (tx *Tx) withReceived(ctx context.Context, shopID int64, itemID string, st ItemStock) (ItemStock, error) {
	const q = `SELECT COALESCE(SUM(quantity), 0) FROM receipt_lines
	WHERE shop_id = ? AND item_id = ? AND received_at > ?`
	if err := tx.tx.GetContext(ctx, &st.Received, tx.tx.Rebind(q), shopID, itemID, st.LevelAt.UTC()); err != nil {
		return ItemStock{}, fmt.Errorf("received units of %s: %w", itemID, translate(err))
	}
	return st, nil
}

func (tx *Tx) shopCap(ctx context.Context, shopID int64) (ItemStock, error) {
	const q = `SELECT waiting_cap FROM shops WHERE id = ?`
	var st ItemStock
	if err := tx.tx.GetContext(ctx, &st.Cap, tx.tx.Rebind(q), shopID); err != nil {
		return ItemStock{}, fmt.Errorf("shop %d cap: %w", shopID, translate(err))
	}
	return st, nil
}
