package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
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

// LevelRecord is a stock level report as applied.
type LevelRecord struct {
	ShopID     int64     `db:"shop_id"`
	StockKey   string    `db:"stock_key"`
	LocationID string    `db:"location_id"`
	Available  *int      `db:"available"`
	StateAt    time.Time `db:"state_at"`
	StateSeq   int64     `db:"state_seq"`
}

const orderColumns = `shop_id, order_id, name, status, store_status, customer_id, email, first_name, last_name,
	phone, shipping_method, placed_at, store_updated_at, state_at, state_seq, redacted_at`

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

// ItemsByID finds the items with itemID in any shop (0: in shopID only).
func (s *Store) ItemsByID(ctx context.Context, shopID int64, itemID string) ([]ItemRecord, error) {
	return s.findItems(ctx, `(? = 0 OR shop_id = ?) AND item_id = ?`, shopID, shopID, itemID)
}

// ItemsBySKU finds the items labelled sku (0: in any shop).
func (s *Store) ItemsBySKU(ctx context.Context, shopID int64, sku string) ([]ItemRecord, error) {
	return s.findItems(ctx, `(? = 0 OR shop_id = ?) AND sku = ?`, shopID, shopID, sku)
}

func (s *Store) findItems(ctx context.Context, where string, args ...any) ([]ItemRecord, error) {
	q := `SELECT shop_id, item_id, product_id, stock_key, sku, title, continue_selling, quantity, deleted,
		state_at, state_seq FROM items WHERE ` + where + ` ORDER BY shop_id, item_id`
	var its []ItemRecord
	if err := s.db.SelectContext(ctx, &its, s.db.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("find items: %w", translate(err))
	}
	return its, nil
}
