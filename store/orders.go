package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/backorderd/backorderd/backorder"
)

// OrderRecord is an order as applied, with its lines.
type OrderRecord struct {
	ShopID         int64        `db:"shop_id"`
	OrderID        string       `db:"order_id"`
	Name           string       `db:"name"`
	Status         string       `db:"status"`
	StoreStatus    string       `db:"store_status"`
	CustomerID     string       `db:"customer_id"`
	Email          string       `db:"email"`
	FirstName      string       `db:"first_name"`
	LastName       string       `db:"last_name"`
	Phone          string       `db:"phone"`
	ShippingMethod string       `db:"shipping_method"`
	PlacedAt       time.Time    `db:"placed_at"`
	StoreUpdatedAt time.Time    `db:"store_updated_at"`
	StateAt        time.Time    `db:"state_at"`
	StateSeq       int64        `db:"state_seq"`
	RedactedAt     *time.Time   `db:"redacted_at"`
	Lines          []LineRecord `db:"-"`
}

// LineRecord is an order line as applied.
type LineRecord struct {
	OrderID   string `db:"order_id"`
	LineID    string `db:"line_id"`
	ItemID    string `db:"item_id"`
	ProductID string `db:"product_id"`
	SKU       string `db:"sku"`
	Title     string `db:"title"`
	Quantity  int    `db:"quantity"`
	OpenUnits int    `db:"open_units"`
}

const orderColumns = `shop_id, order_id, name, status, store_status, customer_id, email, first_name, last_name,
	phone, shipping_method, placed_at, store_updated_at, state_at, state_seq, redacted_at`

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

// Order reads one order with its lines.
func (s *Store) Order(ctx context.Context, shopID int64, orderID string) (OrderRecord, error) {
	orders, err := s.selectOrders(ctx, s.db, `shop_id = ? AND order_id = ?`, shopID, orderID)
	if err != nil {
		return OrderRecord{}, err
	}
	if len(orders) == 0 {
		return OrderRecord{}, fmt.Errorf("order %s: %w", orderID, ErrNotFound)
	}
	return orders[0], nil
}

// CustomerOrders reads, with their lines, the shop's orders placed by the
// customer with customerID or email, or named in orderIDs.
func (tx *Tx) CustomerOrders(ctx context.Context, shopID int64, customerID, email string, orderIDs []string) ([]OrderRecord, error) {
	where, args, err := customerMatch(shopID, customerID, email, orderIDs)
	if err != nil {
		return nil, err
	}
	return tx.store.selectOrders(ctx, tx.tx, where, args...)
}

// customerMatch is the condition for a customer's orders in a shop.
func customerMatch(shopID int64, customerID, email string, orderIDs []string) (string, []any, error) {
	var or []string
	var args []any
	if customerID != "" {
		or, args = append(or, `customer_id = ?`), append(args, customerID)
	}
	if email != "" {
		or, args = append(or, `lower(email) = lower(?)`), append(args, email)
	}
	if len(orderIDs) > 0 {
		or, args = append(or, `order_id IN (?)`), append(args, orderIDs)
	}
	if len(or) == 0 {
		return `1 = 0`, nil, nil
	}
	where, inArgs, err := sqlx.In(`shop_id = ? AND (`+strings.Join(or, " OR ")+`)`, append([]any{shopID}, args...)...)
	if err != nil {
		return "", nil, fmt.Errorf("bind customer match: %w", err)
	}
	return where, inArgs, nil
}

// selectOrders reads orders and their lines through db, the store's pool or
// a transaction.
func (s *Store) selectOrders(ctx context.Context, db sqlx.QueryerContext, where string, args ...any) ([]OrderRecord, error) {
	var orders []OrderRecord
	q := `SELECT ` + orderColumns + ` FROM orders WHERE ` + where + ` ORDER BY placed_at, order_id`
	if err := sqlx.SelectContext(ctx, db, &orders, s.db.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("select orders: %w", translate(err))
	}
	for i := range orders {
		const lq = `SELECT order_id, line_id, item_id, product_id, sku, title, quantity, open_units
		FROM order_lines WHERE shop_id = ? AND order_id = ? ORDER BY line_id`
		if err := sqlx.SelectContext(ctx, db, &orders[i].Lines, s.db.Rebind(lq), orders[i].ShopID, orders[i].OrderID); err != nil {
			return nil, fmt.Errorf("select lines of order %s: %w", orders[i].OrderID, translate(err))
		}
	}
	return orders, nil
}

// OrderItemIDs lists the items an order's lines are for.
func (tx *Tx) OrderItemIDs(ctx context.Context, shopID int64, orderID string) ([]string, error) {
	const q = `SELECT DISTINCT item_id FROM order_lines WHERE shop_id = ? AND order_id = ? ORDER BY item_id`
	var ids []string
	if err := tx.tx.SelectContext(ctx, &ids, tx.tx.Rebind(q), shopID, orderID); err != nil {
		return nil, fmt.Errorf("items of order %s: %w", orderID, translate(err))
	}
	return ids, nil
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
	if err := tx.redactOperatorReasons(ctx, shopID, where, args); err != nil {
		return 0, err
	}
	q := `UPDATE orders SET email = '', first_name = '', last_name = '', phone = '', redacted_at = ? WHERE ` + where
	res, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(q), append([]any{tx.store.nowUTC()}, args...)...)
	if err != nil {
		return 0, fmt.Errorf("redact orders: %w", translate(err))
	}
	n, err := res.RowsAffected()
	return int(n), translate(err)
}

// TryLockOrders takes, for the rest of the transaction, the orders' locks
// of the messages written about them, without waiting, and returns the
// orders it got, in the order listed: two tasks writing one order's
// messages would otherwise wait on each other's new email rows. An order
// held by another transaction is not returned. SQLite has one writer: every
// order is returned.
func (tx *Tx) TryLockOrders(ctx context.Context, shopID int64, orderIDs []string) ([]string, error) {
	if tx.store.engine != Postgres || len(orderIDs) == 0 {
		return orderIDs, nil
	}
	const q = `SELECT o FROM unnest($2::text[]) WITH ORDINALITY AS v(o, n)
	WHERE pg_try_advisory_xact_lock($1::int, hashtext(o)) ORDER BY n`
	var got []string
	if err := tx.tx.SelectContext(ctx, &got, q, shopID, orderIDs); err != nil {
		return nil, fmt.Errorf("lock the messages of %d orders: %w", len(orderIDs), translate(err))
	}
	return got, nil
}
