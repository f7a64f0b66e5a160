package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
)

// LedgerRow is an item's reconcile state: its settling marks and what the
// last reconcile found.
type LedgerRow struct {
	ShopID       int64      `db:"shop_id"`
	ItemID       string     `db:"item_id"`
	FirstFactAt  *time.Time `db:"first_fact_at"`
	LastFactAt   *time.Time `db:"last_fact_at"`
	LastCause    string     `db:"last_cause"`
	Level        *int       `db:"level"`
	LevelAt      *time.Time `db:"level_at"`
	Projected    int        `db:"projected"`
	Owed         int        `db:"owed"`
	Waiting      int        `db:"waiting"`
	Shortfall    int        `db:"shortfall"`
	AtCap        bool       `db:"at_cap"`
	OverCap      int        `db:"over_cap"`
	Drift        int        `db:"drift"`
	ReconciledAt *time.Time `db:"reconciled_at"`
}

const ledgerColumns = `shop_id, item_id, first_fact_at, last_fact_at, last_cause, level, level_at, projected,
	owed, waiting, shortfall, at_cap, over_cap, drift, reconciled_at`

// MarkItems notes that a fact about each item arrived at `at`, caused by
// cause (e.g. "inbox:42"), and returns the items that were settled until now:
// their reconcile must be scheduled. An item already marked keeps its first
// fact time, so it settles at most a maximum wait after that.
//
// The ledger rows are locked in item id order (byte order), whatever order
// the caller lists them in: two deliveries naming the same items in other
// orders would otherwise deadlock. See "Lock order" in docs/architecture.md.
func (tx *Tx) MarkItems(ctx context.Context, shopID int64, itemIDs []string, at time.Time, cause string) ([]string, error) {
	ids := slices.Clone(itemIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids) // one statement may not update a row twice
	if len(ids) == 0 {
		return nil, nil
	}
	at = at.UTC().Truncate(time.Microsecond) // what PostgreSQL keeps, so the comparison below holds
	var marked []mark
	var err error
	if tx.store.engine == Postgres {
		marked, err = tx.markItemsPostgres(ctx, shopID, ids, at, cause)
	} else {
		marked, err = tx.markItemsSQLite(ctx, shopID, ids, at, cause)
	}
	if err != nil {
		return nil, err
	}
	var fresh []string
	for _, m := range marked {
		if m.First.Equal(at) {
			fresh = append(fresh, m.ItemID)
		}
	}
	slices.Sort(fresh)
	return fresh, nil
}

// mark is an item's ledger row as MarkItems left it.
type mark struct {
	ItemID string    `db:"item_id"`
	First  time.Time `db:"first_fact_at"`
}

const markSet = `ON CONFLICT (shop_id, item_id) DO UPDATE SET
	first_fact_at = COALESCE(item_ledgers.first_fact_at, excluded.first_fact_at),
	last_fact_at = excluded.last_fact_at, last_cause = excluded.last_cause
RETURNING item_id, first_fact_at`

// markItemsPostgres marks every item in one statement, taking the rows in
// the order of ids.
func (tx *Tx) markItemsPostgres(ctx context.Context, shopID int64, ids []string, at time.Time, cause string) ([]mark, error) {
	const q = `INSERT INTO item_ledgers (shop_id, item_id, first_fact_at, last_fact_at, last_cause)
	SELECT $1, v.item_id, $2, $2, $3 FROM unnest($4::text[]) WITH ORDINALITY AS v(item_id, n) ORDER BY v.n
	` + markSet
	var marked []mark
	if err := tx.tx.SelectContext(ctx, &marked, q, shopID, at, cause, ids); err != nil {
		return nil, fmt.Errorf("mark items %v: %w", ids, translate(err))
	}
	return marked, nil
}

// markItemsSQLite marks the items one by one: SQLite has one writer, so the
// order is for the reader.
func (tx *Tx) markItemsSQLite(ctx context.Context, shopID int64, ids []string, at time.Time, cause string) ([]mark, error) {
	const q = `INSERT INTO item_ledgers (shop_id, item_id, first_fact_at, last_fact_at, last_cause)
	VALUES (?, ?, ?, ?, ?) ` + markSet
	marked := make([]mark, len(ids))
	for i, id := range ids {
		if err := tx.tx.QueryRowxContext(ctx, q, shopID, id, at, at, cause).StructScan(&marked[i]); err != nil {
			return nil, fmt.Errorf("mark item %s: %w", id, translate(err))
		}
	}
	return marked, nil
}

// LockLedger reads an item's ledger row, creating it if need be, and locks
// it for the rest of the transaction: an item's reconciles, and the marks
// of new facts, take turns.
func (tx *Tx) LockLedger(ctx context.Context, shopID int64, itemID string) (LedgerRow, error) {
	const ensure = `INSERT INTO item_ledgers (shop_id, item_id) VALUES (?, ?) ON CONFLICT (shop_id, item_id) DO NOTHING`
	if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(ensure), shopID, itemID); err != nil {
		return LedgerRow{}, fmt.Errorf("ensure ledger of %s: %w", itemID, translate(err))
	}
	q := `SELECT ` + ledgerColumns + ` FROM item_ledgers WHERE shop_id = ? AND item_id = ?` + tx.store.forUpdate()
	var r LedgerRow
	if err := tx.tx.GetContext(ctx, &r, tx.tx.Rebind(q), shopID, itemID); err != nil {
		return LedgerRow{}, fmt.Errorf("lock ledger of %s: %w", itemID, translate(err))
	}
	return r, nil
}

// SaveLedger writes what a reconcile found and clears the item's marks.
func (tx *Tx) SaveLedger(ctx context.Context, r LedgerRow) error {
	const q = `UPDATE item_ledgers SET first_fact_at = NULL, last_fact_at = NULL, level = ?, level_at = ?,
		projected = ?, owed = ?, waiting = ?, shortfall = ?, at_cap = ?, over_cap = ?, drift = ?, reconciled_at = ?
	WHERE shop_id = ? AND item_id = ?`
	var levelAt any
	if r.LevelAt != nil {
		levelAt = r.LevelAt.UTC()
	}
	if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(q), r.Level, levelAt, r.Projected, r.Owed, r.Waiting,
		r.Shortfall, r.AtCap, r.OverCap, r.Drift, tx.store.nowUTC(), r.ShopID, r.ItemID); err != nil {
		return fmt.Errorf("save ledger of %s: %w", r.ItemID, translate(err))
	}
	return nil
}

// Ledger reads an item's ledger row.
func (s *Store) Ledger(ctx context.Context, shopID int64, itemID string) (LedgerRow, error) {
	const q = `SELECT ` + ledgerColumns + ` FROM item_ledgers WHERE shop_id = ? AND item_id = ?`
	var r LedgerRow
	if err := s.db.GetContext(ctx, &r, s.db.Rebind(q), shopID, itemID); err != nil {
		return LedgerRow{}, fmt.Errorf("ledger of %s: %w", itemID, translate(err))
	}
	return r, nil
}

// ItemStock is an item's level: the sum of the levels reported under its
// stock key over every location, as of the newest report; where no
// location reported one, the store's total for the item (Shopify's variant
// inventory_quantity, WooCommerce's stock_quantity). Known is false when
// neither exists. Cap is the item's cap on waiting units, or its shop's.
type ItemStock struct {
	Level   int
	LevelAt time.Time
	Known   bool
	Cap     *int
	SKU     string
	Title   string
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
		return tx.shopCap(ctx, shopID) // an item the store never described: its orders alone
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

// OrderItemIDs lists the items an order's lines are for.
func (tx *Tx) OrderItemIDs(ctx context.Context, shopID int64, orderID string) ([]string, error) {
	const q = `SELECT DISTINCT item_id FROM order_lines WHERE shop_id = ? AND order_id = ? ORDER BY item_id`
	var ids []string
	if err := tx.tx.SelectContext(ctx, &ids, tx.tx.Rebind(q), shopID, orderID); err != nil {
		return nil, fmt.Errorf("items of order %s: %w", orderID, translate(err))
	}
	return ids, nil
}

// ItemRef names an item of a shop.
type ItemRef struct {
	ShopID int64  `db:"shop_id"`
	ItemID string `db:"item_id"`
}

// ItemsToCheck lists the items of active shops with open lines in open
// orders or with unfinished backorders.
func (s *Store) ItemsToCheck(ctx context.Context) ([]ItemRef, error) {
	const q = `SELECT l.shop_id, l.item_id FROM order_lines l
		JOIN orders o ON o.shop_id = l.shop_id AND o.order_id = l.order_id
		JOIN shops s ON s.id = l.shop_id AND s.status = 'active'
		WHERE o.status = 'open' AND l.open_units > 0
	UNION
	SELECT b.shop_id, b.item_id FROM backorders b JOIN shops s ON s.id = b.shop_id AND s.status = 'active'
		WHERE b.status NOT IN ('shipped', 'cancelled')
	ORDER BY 1, 2`
	var refs []ItemRef
	if err := s.db.SelectContext(ctx, &refs, q); err != nil {
		return nil, fmt.Errorf("items to check: %w", translate(err))
	}
	return refs, nil
}
