package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// ItemLine is an order line of an item as a reconcile needs it: its facts
// and, if it has waited, its backorder record.
type ItemLine struct {
	OrderID     string    `db:"order_id"`
	LineID      string    `db:"line_id"`
	PlacedAt    time.Time `db:"placed_at"`
	OrderStatus string    `db:"order_status"`
	Quantity    int       `db:"quantity"`
	Open        int       `db:"open"`
	BackorderID *int64    `db:"backorder_id"`
	Waiting     int       `db:"waiting"`
	Committed   int       `db:"committed"`
	Allocated   int       `db:"allocated"`
	Backordered int       `db:"backordered"`
	Status      string    `db:"status"`
	// Withdrawn units an operator cancelled at WithdrawnAt (nil: never),
	// and when an operator prioritized the line (nil: never).
	Withdrawn     int        `db:"withdrawn"`
	WithdrawnAt   *time.Time `db:"withdrawn_at"`
	PrioritizedAt *time.Time `db:"prioritized_at"`
}

// ItemLines reads the lines of an item a reconcile looks at: those with open
// units in an open order, those whose backorder is not finished, and those
// whose waiting units an operator cancelled after the item's last level
// (levelAt): the level may hold their sale, and the reconcile releases them.
func (tx *Tx) ItemLines(ctx context.Context, shopID int64, itemID string, levelAt time.Time) ([]ItemLine, error) {
	const q = `SELECT l.order_id, l.line_id, o.placed_at, o.status AS order_status, l.quantity,
		CASE WHEN o.status = 'open' THEN l.open_units ELSE 0 END AS open,
		b.id AS backorder_id, COALESCE(b.waiting, 0) AS waiting, COALESCE(b.committed, 0) AS committed,
		COALESCE(b.allocated, 0) AS allocated, COALESCE(b.backordered, 0) AS backordered,
		COALESCE(b.status, '') AS status, COALESCE(b.withdrawn, 0) AS withdrawn, b.withdrawn_at, b.prioritized_at
	FROM order_lines l
	JOIN orders o ON o.shop_id = l.shop_id AND o.order_id = l.order_id
	LEFT JOIN backorders b ON b.shop_id = l.shop_id AND b.order_id = l.order_id AND b.line_id = l.line_id
	WHERE l.shop_id = ? AND l.item_id = ?
		AND ((o.status = 'open' AND l.open_units > 0) OR (b.id IS NOT NULL AND b.status NOT IN ('shipped', 'cancelled'))
			OR b.withdrawn_at > ?)`
	var lines []ItemLine
	if err := tx.tx.SelectContext(ctx, &lines, tx.tx.Rebind(q), shopID, itemID, levelAt.UTC()); err != nil {
		return nil, fmt.Errorf("lines of item %s: %w", itemID, translate(err))
	}
	return lines, nil
}

// BackorderWrite is a backorder record to write (ID 0: a new one) with the
// audit entries that say what happened to it.
type BackorderWrite struct {
	ID          int64
	OrderID     string
	LineID      string
	ItemID      string
	Ordered     int
	Backordered int
	Allocated   int
	Waiting     int
	Committed   int
	Status      string
	Events      []EventWrite
}

// Audit entry kinds beside the statuses a backorder moves to.
const (
	EventStartedWaiting    = "started_waiting"
	EventAllocated         = "allocated"
	EventQuantitiesChanged = "quantities_changed"
)

// EventWrite is one audit entry.
type EventWrite struct {
	Kind     string // an Event* kind, or the backorder's new status (cancelled, shipped)
	Quantity int
	Detail   string
}

// WriteBackorders inserts and updates the records a reconcile changed and
// appends their audit entries, all with cause. On PostgreSQL each of the
// three is one statement over arrays, however many lines changed.
func (tx *Tx) WriteBackorders(ctx context.Context, shopID int64, cause string, ws []BackorderWrite) error {
	if len(ws) == 0 {
		return nil
	}
	now := tx.store.nowUTC()
	if tx.store.engine == Postgres {
		return tx.writeBackordersPostgres(ctx, shopID, cause, now, ws)
	}
	return tx.writeBackordersSQLite(ctx, shopID, cause, now, ws)
}

func (tx *Tx) writeBackordersSQLite(ctx context.Context, shopID int64, cause string, now time.Time, ws []BackorderWrite) error {
	const insert = `INSERT INTO backorders (shop_id, order_id, line_id, item_id, ordered, backordered, allocated,
		waiting, committed, status, created_at, updated_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`
	const update = `UPDATE backorders SET ordered = ?, backordered = ?, allocated = ?, waiting = ?, committed = ?,
		status = ?, updated_at = ? WHERE id = ?`
	const event = `INSERT INTO backorder_events (backorder_id, kind, quantity, detail, cause, created_at)
	VALUES (?, ?, ?, ?, ?, ?)`
	// Prepared once: SQLite's parser would otherwise run per line.
	stmts := make(map[string]*sqlx.Stmt, 3)
	for _, q := range []string{insert, update, event} {
		st, err := tx.tx.PreparexContext(ctx, q)
		if err != nil {
			return fmt.Errorf("prepare backorder writes: %w", translate(err))
		}
		defer st.Close()
		stmts[q] = st
	}
	for _, w := range ws {
		id := w.ID
		var err error
		if id == 0 {
			err = stmts[insert].QueryRowxContext(ctx, shopID, w.OrderID, w.LineID, w.ItemID, w.Ordered, w.Backordered,
				w.Allocated, w.Waiting, w.Committed, w.Status, now, now).Scan(&id)
		} else {
			_, err = stmts[update].ExecContext(ctx, w.Ordered, w.Backordered, w.Allocated, w.Waiting, w.Committed,
				w.Status, now, id)
		}
		if err != nil {
			return fmt.Errorf("write backorder %s/%s: %w", w.OrderID, w.LineID, translate(err))
		}
		for _, e := range w.Events {
			if _, err := stmts[event].ExecContext(ctx, id, e.Kind, e.Quantity, e.Detail, cause, now); err != nil {
				return fmt.Errorf("audit backorder %d: %w", id, translate(err))
			}
		}
	}
	return nil
}

func (tx *Tx) writeBackordersPostgres(ctx context.Context, shopID int64, cause string, now time.Time, ws []BackorderWrite) error {
	const insert = `INSERT INTO backorders (shop_id, order_id, line_id, item_id, ordered, backordered, allocated,
		waiting, committed, status, created_at, updated_at)
	SELECT $1, v.order_id, v.line_id, v.item_id, v.ordered, v.backordered, v.allocated, v.waiting, v.committed,
		v.status, $2, $2
	FROM unnest($3::text[], $4::text[], $5::text[], $6::int[], $7::int[], $8::int[], $9::int[], $10::int[], $11::text[])
		AS v(order_id, line_id, item_id, ordered, backordered, allocated, waiting, committed, status)
	RETURNING id, order_id, line_id`
	const update = `UPDATE backorders b SET ordered = v.ordered, backordered = v.backordered, allocated = v.allocated,
		waiting = v.waiting, committed = v.committed, status = v.status, updated_at = $1
	FROM unnest($2::bigint[], $3::int[], $4::int[], $5::int[], $6::int[], $7::int[], $8::text[])
		AS v(id, ordered, backordered, allocated, waiting, committed, status)
	WHERE b.id = v.id`
	var ins, upd columns
	for _, w := range ws {
		if w.ID == 0 {
			ins.add(w)
		} else {
			upd.add(w)
		}
	}
	if len(ins.orderIDs) > 0 {
		var created []struct {
			ID      int64  `db:"id"`
			OrderID string `db:"order_id"`
			LineID  string `db:"line_id"`
		}
		if err := tx.tx.SelectContext(ctx, &created, insert, shopID, now, ins.orderIDs, ins.lineIDs, ins.itemIDs,
			ins.ordered, ins.backordered, ins.allocated, ins.waiting, ins.committed, ins.status); err != nil {
			return fmt.Errorf("insert backorders: %w", translate(err))
		}
		ids := make(map[[2]string]int64, len(created))
		for _, c := range created {
			ids[[2]string{c.OrderID, c.LineID}] = c.ID
		}
		for i := range ws {
			if ws[i].ID == 0 {
				ws[i].ID = ids[[2]string{ws[i].OrderID, ws[i].LineID}]
			}
		}
	}
	if len(upd.ids) > 0 {
		if _, err := tx.tx.ExecContext(ctx, update, now, upd.ids, upd.ordered, upd.backordered, upd.allocated,
			upd.waiting, upd.committed, upd.status); err != nil {
			return fmt.Errorf("update backorders: %w", translate(err))
		}
	}
	return tx.appendEventsPostgres(ctx, cause, now, ws)
}

func (tx *Tx) appendEventsPostgres(ctx context.Context, cause string, now time.Time, ws []BackorderWrite) error {
	const q = `INSERT INTO backorder_events (backorder_id, kind, quantity, detail, cause, created_at)
	SELECT v.backorder_id, v.kind, v.quantity, v.detail, $1, $2
	FROM unnest($3::bigint[], $4::text[], $5::int[], $6::text[]) AS v(backorder_id, kind, quantity, detail)`
	var ids []int64
	var kinds, details []string
	var qty []int32
	for _, w := range ws {
		for _, e := range w.Events {
			ids, kinds, qty, details = append(ids, w.ID), append(kinds, e.Kind), append(qty, int32(e.Quantity)), append(details, e.Detail) //nolint:gosec // unit counts fit
		}
	}
	if len(ids) == 0 {
		return nil
	}
	if _, err := tx.tx.ExecContext(ctx, q, cause, now, ids, kinds, qty, details); err != nil {
		return fmt.Errorf("append backorder events: %w", translate(err))
	}
	return nil
}

// columns holds backorder writes column by column, as PostgreSQL's unnest
// takes them.
type columns struct {
	ids                                                 []int64
	orderIDs, lineIDs, itemIDs, status                  []string
	ordered, backordered, allocated, waiting, committed []int32
}

func (c *columns) add(w BackorderWrite) {
	c.ids = append(c.ids, w.ID)
	c.orderIDs = append(c.orderIDs, w.OrderID)
	c.lineIDs = append(c.lineIDs, w.LineID)
	c.itemIDs = append(c.itemIDs, w.ItemID)
	c.status = append(c.status, w.Status)
	c.ordered = append(c.ordered, int32(w.Ordered))             //nolint:gosec // unit counts fit
	c.backordered = append(c.backordered, int32(w.Backordered)) //nolint:gosec // unit counts fit
	c.allocated = append(c.allocated, int32(w.Allocated))       //nolint:gosec // unit counts fit
	c.waiting = append(c.waiting, int32(w.Waiting))             //nolint:gosec // unit counts fit
	c.committed = append(c.committed, int32(w.Committed))       //nolint:gosec // unit counts fit
}

// BackorderFilter selects backorders for operators. Zero values select all.
type BackorderFilter struct {
	ShopID int64  `db:"shop_id"`
	SKU    string `db:"sku"`
	ItemID string `db:"item_id"`
	Status string `db:"status"`
	// Order is an order id or its name as the customer knows it ("#2417").
	Order string `db:"order"`
	// PlacedBefore selects backorders of orders placed before it (zero:
	// any); ETAKind those whose ETA is of that kind.
	PlacedBefore time.Time `db:"placed_before"`
	ETAKind      string    `db:"eta_kind"`
	Before       int64     `db:"before"`
	Limit        int       `db:"limit"`
}

// BackorderEntry is a backorder with what people need to read it: the
// order's name and customer, the line's SKU and title.
type BackorderEntry struct {
	ID             int64     `db:"id"`
	ShopID         int64     `db:"shop_id"`
	Shop           string    `db:"shop"`
	OrderID        string    `db:"order_id"`
	OrderName      string    `db:"order_name"`
	LineID         string    `db:"line_id"`
	ItemID         string    `db:"item_id"`
	SKU            string    `db:"sku"`
	Title          string    `db:"title"`
	Ordered        int       `db:"ordered"`
	Backordered    int       `db:"backordered"`
	Allocated      int       `db:"allocated"`
	Waiting        int       `db:"waiting"`
	Status         string    `db:"status"`
	PlacedAt       time.Time `db:"placed_at"`
	CustomerEmail  string    `db:"customer_email"`
	CustomerName   string    `db:"customer_name"`
	ShippingMethod string    `db:"shipping_method"`
	CreatedAt      time.Time `db:"created_at"`
	UpdatedAt      time.Time `db:"updated_at"`
	// ETA is the date the line's last waiting unit is expected to ship
	// (00:00 UTC of it; nil: unknown), ETAKind how sure it is: confirmed,
	// expected, estimate or unknown.
	ETA     *time.Time `db:"eta"`
	ETAKind string     `db:"eta_kind"`
	// Withdrawn units an operator cancelled at WithdrawnAt (nil: never);
	// PrioritizedAt is when an operator last moved it to the front of its
	// item's queue (nil: never).
	Withdrawn     int        `db:"withdrawn"`
	WithdrawnAt   *time.Time `db:"withdrawn_at"`
	PrioritizedAt *time.Time `db:"prioritized_at"`
}

// EventEntry is one audit entry of a backorder.
type EventEntry struct {
	ID        int64     `db:"id"`
	Kind      string    `db:"kind"`
	Quantity  int       `db:"quantity"`
	Detail    string    `db:"detail"`
	Cause     string    `db:"cause"`
	CreatedAt time.Time `db:"created_at"`
}

const backorderSelect = `SELECT b.id, b.shop_id, s.domain AS shop, b.order_id, o.name AS order_name, b.line_id,
	b.item_id, l.sku, l.title, b.ordered, b.backordered, b.allocated, b.waiting, b.status, o.placed_at,
	o.email AS customer_email, TRIM(o.first_name || ' ' || o.last_name) AS customer_name, o.shipping_method,
	b.created_at, b.updated_at, b.eta, b.eta_kind, b.withdrawn, b.withdrawn_at, b.prioritized_at
FROM backorders b
JOIN shops s ON s.id = b.shop_id
JOIN orders o ON o.shop_id = b.shop_id AND o.order_id = b.order_id
JOIN order_lines l ON l.shop_id = b.shop_id AND l.order_id = b.order_id AND l.line_id = b.line_id`

// ListBackorders lists backorders matching f, newest first.
func (s *Store) ListBackorders(ctx context.Context, f BackorderFilter) ([]BackorderEntry, error) {
	const q = backorderSelect + `
	WHERE (:shop_id = 0 OR b.shop_id = :shop_id) AND (:sku = '' OR l.sku = :sku)
		AND (:item_id = '' OR b.item_id = :item_id) AND (:status = '' OR b.status = :status)
		AND (:order = '' OR b.order_id = :order OR o.name = :order OR o.name = '#' || :order)
		AND o.placed_at < :placed_before AND (:eta_kind = '' OR b.eta_kind = :eta_kind)
		AND (:before = 0 OR b.id < :before)
	ORDER BY b.id DESC LIMIT :limit`
	if f.PlacedBefore.IsZero() {
		f.PlacedBefore = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	}
	f.PlacedBefore = f.PlacedBefore.UTC()
	var es []BackorderEntry
	if err := s.selectNamed(ctx, &es, q, f); err != nil {
		return nil, fmt.Errorf("list backorders: %w", err)
	}
	return es, nil
}

// Backorder reads one backorder with its audit trail, oldest entry first.
func (s *Store) Backorder(ctx context.Context, id int64) (BackorderEntry, []EventEntry, error) {
	var b BackorderEntry
	if err := s.db.GetContext(ctx, &b, s.db.Rebind(backorderSelect+` WHERE b.id = ?`), id); err != nil {
		return BackorderEntry{}, nil, fmt.Errorf("backorder %d: %w", id, translate(err))
	}
	const q = `SELECT id, kind, quantity, detail, cause, created_at FROM backorder_events
	WHERE backorder_id = ? ORDER BY id`
	var es []EventEntry
	if err := s.db.SelectContext(ctx, &es, s.db.Rebind(q), id); err != nil {
		return BackorderEntry{}, nil, fmt.Errorf("events of backorder %d: %w", id, translate(err))
	}
	return b, es, nil
}

// OrderBackorders reads, in the transaction, every backorder of one order.
func (tx *Tx) OrderBackorders(ctx context.Context, shopID int64, orderID string) ([]BackorderEntry, error) {
	q := backorderSelect + ` WHERE b.shop_id = ? AND b.order_id = ? ORDER BY b.line_id`
	var es []BackorderEntry
	if err := tx.tx.SelectContext(ctx, &es, tx.tx.Rebind(q), shopID, orderID); err != nil {
		return nil, fmt.Errorf("backorders of order %s: %w", orderID, translate(err))
	}
	return es, nil
}

// WaitingETA is a backorder line with units waiting, with its ETA as last
// computed.
type WaitingETA struct {
	BackorderID int64      `db:"id"`
	OrderID     string     `db:"order_id"`
	LineID      string     `db:"line_id"`
	Waiting     int        `db:"waiting"`
	ETA         *time.Time `db:"eta"`
	ETAKind     string     `db:"eta_kind"`
	// Estimate is the estimate the line was first given while no purchase
	// order covered it; it does not slide.
	Estimate *time.Time `db:"eta_estimate"`
}

// WaitingLines reads an item's backorder lines with units waiting, in the
// order they are served: prioritized lines first, the one prioritized last
// at the front, then oldest order first (placed_at, order id, line id).
// One query, however many lines.
func (tx *Tx) WaitingLines(ctx context.Context, shopID int64, itemID string) ([]WaitingETA, error) {
	const q = `SELECT b.id, b.order_id, b.line_id, b.waiting, b.eta, b.eta_kind, b.eta_estimate
	FROM backorders b JOIN orders o ON o.shop_id = b.shop_id AND o.order_id = b.order_id
	WHERE b.shop_id = ? AND b.item_id = ? AND b.waiting > 0
	ORDER BY CASE WHEN b.prioritized_at IS NULL THEN 1 ELSE 0 END, b.prioritized_at DESC,
		o.placed_at, b.order_id, b.line_id`
	var ws []WaitingETA
	if err := tx.tx.SelectContext(ctx, &ws, tx.tx.Rebind(q), shopID, itemID); err != nil {
		return nil, fmt.Errorf("waiting lines of item %s: %w", itemID, translate(err))
	}
	return ws, nil
}

// ETAWrite is a backorder line's new ETA: its date (nil: unknown), kind,
// and the estimate it keeps (nil: none).
type ETAWrite struct {
	BackorderID int64
	ETA         *time.Time
	Kind        string
	Estimate    *time.Time
}

// SetETAs writes the lines' ETAs; a line whose ETA is unchanged is not
// written. A line whose date changes keeps the date it had (eta_previous)
// and when it changed (eta_changed_at), for SlippingETAs. On PostgreSQL it is one statement over arrays, on SQLite one
// prepared statement, however many lines.
func (tx *Tx) SetETAs(ctx context.Context, ws []ETAWrite) error {
	if len(ws) == 0 {
		return nil
	}
	if tx.store.engine == Postgres {
		return tx.setETAsPostgres(ctx, ws)
	}
	return tx.setETAsSQLite(ctx, ws)
}

func (tx *Tx) setETAsPostgres(ctx context.Context, ws []ETAWrite) error {
	const q = `UPDATE backorders b SET eta = v.eta, eta_kind = v.kind, eta_estimate = v.estimate,
		eta_previous = CASE WHEN b.eta IS DISTINCT FROM v.eta THEN b.eta ELSE b.eta_previous END,
		eta_changed_at = CASE WHEN b.eta IS DISTINCT FROM v.eta THEN $5 ELSE b.eta_changed_at END
	FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::timestamptz[]) AS v(id, eta, kind, estimate)
	WHERE b.id = v.id AND (b.eta IS DISTINCT FROM v.eta OR b.eta_kind <> v.kind OR b.eta_estimate IS DISTINCT FROM v.estimate)`
	ids := make([]int64, len(ws))
	etas := make([]*time.Time, len(ws))
	kinds := make([]string, len(ws))
	estimates := make([]*time.Time, len(ws))
	for i, w := range ws {
		ids[i], etas[i], kinds[i], estimates[i] = w.BackorderID, utc(w.ETA), w.Kind, utc(w.Estimate)
	}
	if _, err := tx.tx.ExecContext(ctx, q, ids, etas, kinds, estimates, tx.store.nowUTC()); err != nil {
		return fmt.Errorf("set ETAs: %w", translate(err))
	}
	return nil
}

func (tx *Tx) setETAsSQLite(ctx context.Context, ws []ETAWrite) error {
	const q = `UPDATE backorders SET eta_previous = CASE WHEN eta IS NOT ?1 THEN eta ELSE eta_previous END,
		eta_changed_at = CASE WHEN eta IS NOT ?1 THEN ?5 ELSE eta_changed_at END,
		eta = ?1, eta_kind = ?2, eta_estimate = ?3
	WHERE id = ?4 AND (eta IS NOT ?1 OR eta_kind <> ?2 OR eta_estimate IS NOT ?3)`
	st, err := tx.tx.PreparexContext(ctx, q)
	if err != nil {
		return fmt.Errorf("prepare ETA writes: %w", translate(err))
	}
	defer st.Close()
	now := tx.store.nowUTC()
	for _, w := range ws {
		if _, err := st.ExecContext(ctx, utc(w.ETA), w.Kind, utc(w.Estimate), w.BackorderID, now); err != nil {
			return fmt.Errorf("set ETA of backorder %d: %w", w.BackorderID, translate(err))
		}
	}
	return nil
}

// BackordersPastMaxWait lists a shop's backorder lines with units still
// waiting whose order was placed before `before` (now less the shop's
// maximum wait) and that MarkWaitExceeded has not marked, oldest order
// first.
func (tx *Tx) BackordersPastMaxWait(ctx context.Context, shopID int64, before time.Time) ([]BackorderEntry, error) {
	const q = backorderSelect + ` WHERE b.shop_id = ? AND b.waiting > 0 AND o.placed_at < ? AND b.wait_exceeded_at IS NULL
	ORDER BY o.placed_at, b.order_id, b.line_id`
	var es []BackorderEntry
	if err := tx.tx.SelectContext(ctx, &es, tx.tx.Rebind(q), shopID, before.UTC()); err != nil {
		return nil, fmt.Errorf("backorders past their maximum wait: %w", translate(err))
	}
	return es, nil
}

// NewBackorderCount is how many backorders one item gathered in a window.
type NewBackorderCount struct {
	ItemID string `db:"item_id"`
	SKU    string `db:"sku"`
	Title  string `db:"title"`
	Orders int    `db:"orders"`
	Units  int    `db:"units"`
}

// NewBackorders counts a shop's backorders created in [since, until), by
// item.
func (tx *Tx) NewBackorders(ctx context.Context, shopID int64, since, until time.Time) ([]NewBackorderCount, error) {
	const q = `SELECT b.item_id, MAX(l.sku) AS sku, MAX(l.title) AS title, COUNT(DISTINCT b.order_id) AS orders,
		SUM(b.backordered) AS units
	FROM backorders b JOIN order_lines l ON l.shop_id = b.shop_id AND l.order_id = b.order_id AND l.line_id = b.line_id
	WHERE b.shop_id = ? AND b.created_at >= ? AND b.created_at < ?
	GROUP BY b.item_id ORDER BY units DESC, b.item_id`
	var cs []NewBackorderCount
	if err := tx.tx.SelectContext(ctx, &cs, tx.tx.Rebind(q), shopID, since.UTC(), until.UTC()); err != nil {
		return nil, fmt.Errorf("new backorders: %w", translate(err))
	}
	return cs, nil
}

// OrdersDueUpdate lists a shop's orders with units still waiting whose
// customer has had no email since `since`.
func (tx *Tx) OrdersDueUpdate(ctx context.Context, shopID int64, since time.Time) ([]string, error) {
	const q = `SELECT DISTINCT b.order_id FROM backorders b
	WHERE b.shop_id = ? AND b.waiting > 0 AND NOT EXISTS (
		SELECT 1 FROM emails e WHERE e.shop_id = b.shop_id AND e.order_id = b.order_id AND e.created_at >= ?)
	ORDER BY b.order_id`
	var ids []string
	if err := tx.tx.SelectContext(ctx, &ids, tx.tx.Rebind(q), shopID, since.UTC()); err != nil {
		return nil, fmt.Errorf("orders due an update: %w", translate(err))
	}
	return ids, nil
}

// DigestItem is one item in a merchant's daily digest.
type DigestItem struct {
	ItemID    string
	SKU       string
	Title     string
	Waiting   int
	Orders    int
	Oldest    *time.Time // placed_at of the oldest order still waiting
	Demand7   int        // units ordered over the last 7 days
	Demand30  int        // units ordered over the last 30 days
	Shortfall int
	Drift     int
}

// Digest reads, for a shop as of now, every item with units waiting, a
// shortfall, or orders over the last 30 days.
func (tx *Tx) Digest(ctx context.Context, shopID int64, now time.Time) ([]DigestItem, error) {
	const demand = `SELECT l.item_id, MAX(l.sku) AS sku, MAX(l.title) AS title,
		SUM(CASE WHEN o.placed_at >= ? THEN l.quantity ELSE 0 END) AS demand7, SUM(l.quantity) AS demand30
	FROM order_lines l JOIN orders o ON o.shop_id = l.shop_id AND o.order_id = l.order_id
	WHERE l.shop_id = ? AND o.placed_at >= ? GROUP BY l.item_id`
	const ledgers = `SELECT item_id, shortfall, drift FROM item_ledgers WHERE shop_id = ? AND (shortfall > 0 OR drift > 0)`
	items := newPerItem(func(id string) *DigestItem { return &DigestItem{ItemID: id} },
		func(it *DigestItem) (*string, *string) { return &it.SKU, &it.Title })
	get := items.get
	ws, err := waitingByItem(ctx, tx.tx, shopID)
	if err != nil {
		return nil, fmt.Errorf("digest waiting: %w", err)
	}
	for _, w := range ws {
		it := get(w.ItemID, w.SKU, w.Title)
		it.Waiting, it.Orders, it.Oldest = w.Waiting, w.Orders, &w.Oldest
	}
	var ds []struct {
		ItemID   string `db:"item_id"`
		SKU      string `db:"sku"`
		Title    string `db:"title"`
		Demand7  int    `db:"demand7"`
		Demand30 int    `db:"demand30"`
	}
	if err := tx.tx.SelectContext(ctx, &ds, tx.tx.Rebind(demand), now.AddDate(0, 0, -7).UTC(), shopID, now.AddDate(0, 0, -30).UTC()); err != nil {
		return nil, fmt.Errorf("digest demand: %w", translate(err))
	}
	for _, d := range ds {
		it := get(d.ItemID, d.SKU, d.Title)
		it.Demand7, it.Demand30 = d.Demand7, d.Demand30
	}
	var ls []struct {
		ItemID    string `db:"item_id"`
		Shortfall int    `db:"shortfall"`
		Drift     int    `db:"drift"`
	}
	if err := tx.tx.SelectContext(ctx, &ls, tx.tx.Rebind(ledgers), shopID); err != nil {
		return nil, fmt.Errorf("digest ledgers: %w", translate(err))
	}
	for _, l := range ls {
		it := get(l.ItemID, "", "")
		it.Shortfall, it.Drift = l.Shortfall, l.Drift
	}
	out := items.list()
	slices.SortFunc(out, func(a, b DigestItem) int {
		if a.Waiting != b.Waiting {
			return b.Waiting - a.Waiting
		}
		return strings.Compare(a.ItemID, b.ItemID)
	})
	return out, nil
}

// MarkWaitExceeded marks backorder lines as told past the maximum wait, at
// at: BackordersPastMaxWait lists them no more.
func (tx *Tx) MarkWaitExceeded(ctx context.Context, ids []int64, at time.Time) error {
	const q = `UPDATE backorders SET wait_exceeded_at = ? WHERE id IN (?)`
	for chunk := range slices.Chunk(ids, 500) {
		query, args, err := sqlx.In(q, at.UTC(), chunk)
		if err != nil {
			return fmt.Errorf("mark lines past the maximum wait: %w", err)
		}
		if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(query), args...); err != nil {
			return fmt.Errorf("mark lines past the maximum wait: %w", translate(err))
		}
	}
	return nil
}

// SlippingETA is a waiting line whose ETA moved later: From its date
// before, To its date now.
type SlippingETA struct {
	OrderName string    `db:"order_name"`
	SKU       string    `db:"sku"`
	From      time.Time `db:"eta_previous"`
	To        time.Time `db:"eta"`
}

// SlippingETAs lists a shop's lines still waiting whose ETA last changed
// at or after since and moved later, by order and line; at most limit.
func (tx *Tx) SlippingETAs(ctx context.Context, shopID int64, since time.Time, limit int) ([]SlippingETA, error) {
	const q = `SELECT o.name AS order_name, l.sku, b.eta_previous, b.eta
	FROM backorders b
	JOIN orders o ON o.shop_id = b.shop_id AND o.order_id = b.order_id
	JOIN order_lines l ON l.shop_id = b.shop_id AND l.order_id = b.order_id AND l.line_id = b.line_id
	WHERE b.shop_id = ? AND b.waiting > 0 AND b.eta_changed_at >= ? AND b.eta > b.eta_previous
	ORDER BY o.placed_at, b.order_id, b.line_id LIMIT ?`
	var es []SlippingETA
	if err := tx.tx.SelectContext(ctx, &es, tx.tx.Rebind(q), shopID, since.UTC(), limit); err != nil {
		return nil, fmt.Errorf("slipping ETAs: %w", translate(err))
	}
	return es, nil
}

// itemWaiting is one item's waiting units and orders, and when the oldest
// order still waiting was placed.
type itemWaiting struct {
	ItemID, SKU, Title string
	Waiting, Orders    int
	Oldest             time.Time
}

// perItem gathers what several queries read about a shop's items into one
// value per item, for the digest and the dashboard: get returns the item's
// value, made on first use, and names it by the first SKU or title a query
// gives (an item without a SKU is still named by its title).
type perItem[T any] struct {
	items map[string]*T
	order []string
	fresh func(id string) *T
	names func(it *T) (sku, title *string)
}

func newPerItem[T any](fresh func(id string) *T, names func(it *T) (sku, title *string)) *perItem[T] {
	return &perItem[T]{items: map[string]*T{}, fresh: fresh, names: names}
}

func (p *perItem[T]) get(id, sku, title string) *T {
	it := p.items[id]
	if it == nil {
		it = p.fresh(id)
		p.items[id] = it
		p.order = append(p.order, id)
	}
	if s, t := p.names(it); *s == "" && *t == "" {
		*s, *t = sku, title
	}
	return it
}

// list is the items in the order first seen.
func (p *perItem[T]) list() []T {
	out := make([]T, len(p.order))
	for i, id := range p.order {
		out[i] = *p.items[id]
	}
	return out
}

// selecter is what a read needs of a database or a transaction.
type selecter interface {
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
	Rebind(query string) string
}

// waitingByItem sums a shop's waiting units per item: the merchant's digest
// and dashboard both read it.
func waitingByItem(ctx context.Context, db selecter, shopID int64) ([]itemWaiting, error) {
	const q = `SELECT b.item_id, MAX(l.sku) AS sku, MAX(l.title) AS title, SUM(b.waiting) AS waiting,
		COUNT(DISTINCT b.order_id) AS orders, MIN(o.placed_at) AS oldest
	FROM backorders b
	JOIN order_lines l ON l.shop_id = b.shop_id AND l.order_id = b.order_id AND l.line_id = b.line_id
	JOIN orders o ON o.shop_id = b.shop_id AND o.order_id = b.order_id
	WHERE b.shop_id = ? AND b.waiting > 0 GROUP BY b.item_id`
	var rows []struct {
		ItemID  string  `db:"item_id"`
		SKU     string  `db:"sku"`
		Title   string  `db:"title"`
		Waiting int     `db:"waiting"`
		Orders  int     `db:"orders"`
		Oldest  aggTime `db:"oldest"`
	}
	if err := db.SelectContext(ctx, &rows, db.Rebind(q), shopID); err != nil {
		return nil, translate(err)
	}
	out := make([]itemWaiting, len(rows))
	for i, r := range rows {
		out[i] = itemWaiting{ItemID: r.ItemID, SKU: r.SKU, Title: r.Title, Waiting: r.Waiting, Orders: r.Orders,
			Oldest: time.Time(r.Oldest)}
	}
	return out, nil
}
