package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/backorderd/backorderd/backorder"
)

// newer is the condition under which an upsert replaces a row's state: the
// incoming version (excluded) is after the stored one.
const newer = `(%[1]s.state_at < excluded.state_at OR (%[1]s.state_at = excluded.state_at AND %[1]s.state_seq < excluded.state_seq))`

// ApplyOrder writes the order's state and its lines unless a newer state of
// the order is already applied; it reports whether it applied. Lines the new
// state no longer has keep their row with no units. A redacted order's
// personal fields stay erased.
func (tx *Tx) ApplyOrder(ctx context.Context, shopID int64, o backorder.Order) (bool, error) {
	q := `INSERT INTO orders (shop_id, order_id, name, status, store_status, customer_id, email,
		first_name, last_name, phone, shipping_method, placed_at, store_updated_at, state_at, state_seq)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (shop_id, order_id) DO UPDATE SET name = excluded.name, status = excluded.status,
		store_status = excluded.store_status, customer_id = excluded.customer_id,
		email = CASE WHEN orders.redacted_at IS NULL THEN excluded.email ELSE '' END,
		first_name = CASE WHEN orders.redacted_at IS NULL THEN excluded.first_name ELSE '' END,
		last_name = CASE WHEN orders.redacted_at IS NULL THEN excluded.last_name ELSE '' END,
		phone = CASE WHEN orders.redacted_at IS NULL THEN excluded.phone ELSE '' END,
		shipping_method = excluded.shipping_method, placed_at = excluded.placed_at,
		store_updated_at = excluded.store_updated_at, state_at = excluded.state_at, state_seq = excluded.state_seq
	WHERE ` + fmt.Sprintf(newer, "orders") + `
	RETURNING id`
	c := o.Customer
	applied, err := tx.upsertVersioned(ctx, "order "+o.OrderID, q, shopID, o.OrderID, o.Name, string(o.Status),
		o.StoreStatus, c.ID, c.Email, c.FirstName, c.LastName, c.Phone, o.ShippingMethod, o.PlacedAt.UTC(),
		o.UpdatedAt.UTC(), o.Version.At.UTC(), o.Version.Seq)
	if err != nil || !applied {
		return false, err
	}
	return true, tx.replaceLines(ctx, shopID, o.OrderID, o.Lines)
}

func (tx *Tx) replaceLines(ctx context.Context, shopID int64, orderID string, lines []backorder.Line) error {
	const upsert = `INSERT INTO order_lines (shop_id, order_id, line_id, item_id, product_id, sku, title, quantity, open_units)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (shop_id, order_id, line_id) DO UPDATE SET item_id = excluded.item_id,
		product_id = excluded.product_id, sku = excluded.sku, title = excluded.title,
		quantity = excluded.quantity, open_units = excluded.open_units`
	// In line id order, as every writer of an order's lines takes them.
	lines = slices.SortedFunc(slices.Values(lines), func(a, b backorder.Line) int { return strings.Compare(a.LineID, b.LineID) })
	ids := make([]string, 0, len(lines))
	for _, l := range lines {
		if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(upsert), shopID, orderID, l.LineID, l.ItemID, l.ProductID,
			l.SKU, l.Title, l.Quantity, l.OpenUnits); err != nil {
			return fmt.Errorf("apply order %s line %s: %w", orderID, l.LineID, translate(err))
		}
		ids = append(ids, l.LineID)
	}
	gone := `UPDATE order_lines SET quantity = 0, open_units = 0 WHERE shop_id = ? AND order_id = ?`
	args := []any{shopID, orderID}
	if len(ids) > 0 {
		var err error
		if gone, args, err = sqlx.In(gone+` AND line_id NOT IN (?)`, shopID, orderID, ids); err != nil {
			return fmt.Errorf("bind dropped lines: %w", err)
		}
	}
	if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(gone), args...); err != nil {
		return fmt.Errorf("drop lines of order %s: %w", orderID, translate(err))
	}
	return nil
}

// DeleteOrder marks an order the store deleted: its lines hold no units. A
// restored order comes back with its next state.
func (tx *Tx) DeleteOrder(ctx context.Context, shopID int64, orderID string) error {
	const q1 = `UPDATE orders SET status = 'deleted' WHERE shop_id = ? AND order_id = ?`
	const q2 = `UPDATE order_lines SET open_units = 0 WHERE shop_id = ? AND order_id = ?`
	for _, q := range []string{q1, q2} {
		if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(q), shopID, orderID); err != nil {
			return fmt.Errorf("delete order %s: %w", orderID, translate(err))
		}
	}
	return nil
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

// ApplyRefund records a refund's lines once.
func (tx *Tx) ApplyRefund(ctx context.Context, shopID int64, r backorder.Refund) error {
	const q = `INSERT INTO refund_lines (shop_id, refund_id, line_id, order_id, quantity, restock_type, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (shop_id, refund_id, line_id) DO NOTHING`
	lines := slices.SortedFunc(slices.Values(r.Lines), func(a, b backorder.RefundLine) int { return strings.Compare(a.LineID, b.LineID) })
	for _, l := range lines {
		if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(q), shopID, r.RefundID, l.LineID, r.OrderID, l.Quantity,
			l.RestockType, r.CreatedAt.UTC()); err != nil {
			return fmt.Errorf("apply refund %s: %w", r.RefundID, translate(err))
		}
	}
	return nil
}

func (tx *Tx) upsertVersioned(ctx context.Context, what, q string, args ...any) (bool, error) {
	rows, err := tx.tx.QueryxContext(ctx, tx.tx.Rebind(q), args...)
	if err != nil {
		return false, fmt.Errorf("apply %s: %w", what, translate(err))
	}
	applied := rows.Next()
	if err := closeRows(rows); err != nil {
		return false, fmt.Errorf("apply %s: %w", what, err)
	}
	return applied, nil
}

func closeRows(rows *sqlx.Rows) error {
	if err := rows.Err(); err != nil {
		_ = rows.Close()
		return translate(err)
	}
	return translate(rows.Close())
}
