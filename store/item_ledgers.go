package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
)

// LedgerRow is an item's reconcile state: its settling marks and what the
// last reconcile found.
type LedgerRow struct {
	ShopID      int64      `db:"shop_id"`
	ItemID      string     `db:"item_id"`
	FirstFactAt *time.Time `db:"first_fact_at"`
	LastFactAt  *time.Time `db:"last_fact_at"`
	// LastArrivedAt is when the newest delivery whose facts marked the
	// item arrived at the receiver; nil when no delivery's did.
	LastArrivedAt *time.Time `db:"last_arrived_at"`
	LastCause     string     `db:"last_cause"`
	Level         *int       `db:"level"`
	LevelAt       *time.Time `db:"level_at"`
	Projected     int        `db:"projected"`
	Owed          int        `db:"owed"`
	Waiting       int        `db:"waiting"`
	Shortfall     int        `db:"shortfall"`
	AtCap         bool       `db:"at_cap"`
	OverCap       int        `db:"over_cap"`
	Drift         int        `db:"drift"`
	ReconciledAt  *time.Time `db:"reconciled_at"`
}

const ledgerColumns = `shop_id, item_id, first_fact_at, last_fact_at, last_arrived_at, last_cause, level, level_at, projected,
	owed, waiting, shortfall, at_cap, over_cap, drift, reconciled_at`

// MarkItems notes that a fact about each item was applied at `at`, caused
// by cause (e.g. "inbox:42") and brought by deliveries the newest of which
// arrived at the receiver at arrived (zero for facts no delivery brought:
// an operator's action, a receipt), and returns the items that were settled
// until now: their reconcile must be scheduled. An item already marked keeps its first
// fact time, so it settles at most a maximum wait after that.
//
// The ledger rows are locked in item id order (byte order), whatever order
// the caller lists them in: two deliveries naming the same items in other
// orders would otherwise deadlock. See "Lock order" in docs/architecture.md.
func (tx *Tx) MarkItems(ctx context.Context, shopID int64, itemIDs []string, at, arrived time.Time, cause string) ([]string, error) {
	ids := slices.Clone(itemIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids) // one statement may not update a row twice
	if len(ids) == 0 {
		return nil, nil
	}
	at = at.UTC().Truncate(time.Microsecond) // what PostgreSQL keeps, so the comparison below holds
	var arrival any
	if !arrived.IsZero() {
		arrival = arrived.UTC()
	}
	var marked []mark
	var err error
	if tx.store.engine == Postgres {
		marked, err = tx.markItemsPostgres(ctx, shopID, ids, at, arrival, cause)
	} else {
		marked, err = tx.markItemsSQLite(ctx, shopID, ids, at, arrival, cause)
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
	last_fact_at = excluded.last_fact_at, last_cause = excluded.last_cause,
	last_arrived_at = CASE WHEN item_ledgers.last_arrived_at IS NULL
		OR excluded.last_arrived_at > item_ledgers.last_arrived_at
		THEN excluded.last_arrived_at ELSE item_ledgers.last_arrived_at END
RETURNING item_id, first_fact_at`

// markItemsPostgres marks every item in one statement, taking the rows in
// the order of ids.
func (tx *Tx) markItemsPostgres(ctx context.Context, shopID int64, ids []string, at time.Time, arrived any, cause string) ([]mark, error) {
	const q = `INSERT INTO item_ledgers (shop_id, item_id, first_fact_at, last_fact_at, last_cause, last_arrived_at)
	SELECT $1, v.item_id, $2, $2, $3, $5::timestamptz FROM unnest($4::text[]) WITH ORDINALITY AS v(item_id, n) ORDER BY v.n
	` + markSet
	var marked []mark
	if err := tx.tx.SelectContext(ctx, &marked, q, shopID, at, cause, ids, arrived); err != nil {
		return nil, fmt.Errorf("mark items %v: %w", ids, translate(err))
	}
	return marked, nil
}

// markItemsSQLite marks the items one by one: SQLite has one writer, so the
// order is for the reader.
func (tx *Tx) markItemsSQLite(ctx context.Context, shopID int64, ids []string, at time.Time, arrived any, cause string) ([]mark, error) {
	const q = `INSERT INTO item_ledgers (shop_id, item_id, first_fact_at, last_fact_at, last_cause, last_arrived_at)
	VALUES (?, ?, ?, ?, ?, ?) ` + markSet
	marked := make([]mark, len(ids))
	for i, id := range ids {
		if err := tx.tx.QueryRowxContext(ctx, q, shopID, id, at, at, cause, arrived).StructScan(&marked[i]); err != nil {
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
	const q = `UPDATE item_ledgers SET first_fact_at = NULL, last_fact_at = NULL, last_arrived_at = NULL, level = ?, level_at = ?,
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

// UnsettledLine is an order's line whose item has facts its reconcile has
// not yet taken: the item's first and last fact since.
type UnsettledLine struct {
	OrderID     string    `db:"order_id"`
	FirstFactAt time.Time `db:"first_fact_at"`
	LastFactAt  time.Time `db:"last_fact_at"`
}

// UnsettledLines lists, for the shop's orders, their lines whose item is
// marked for a reconcile, with the item's marks: an order's messages wait
// until its items have settled.
func (tx *Tx) UnsettledLines(ctx context.Context, shopID int64, orderIDs []string) ([]UnsettledLine, error) {
	if len(orderIDs) == 0 {
		return nil, nil
	}
	q, args, err := sqlx.In(`SELECT l.order_id, g.first_fact_at, g.last_fact_at FROM order_lines l
		JOIN item_ledgers g ON g.shop_id = l.shop_id AND g.item_id = l.item_id
		WHERE l.shop_id = ? AND l.order_id IN (?) AND g.first_fact_at IS NOT NULL`, shopID, orderIDs)
	if err != nil {
		return nil, fmt.Errorf("bind order ids: %w", err)
	}
	var lines []UnsettledLine
	if err := tx.tx.SelectContext(ctx, &lines, tx.tx.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("unsettled lines of %d orders: %w", len(orderIDs), translate(err))
	}
	return lines, nil
}
