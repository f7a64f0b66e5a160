package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// PurchaseOrder is an order to one supplier for one shop's items. Dates
// the supplier gives (ExpectedAt) are calendar dates at 00:00 UTC.
type PurchaseOrder struct {
	ID         int64  `db:"id"`
	ShopID     int64  `db:"shop_id"`
	SupplierID int64  `db:"supplier_id"`
	Status     string `db:"status"` // a PO* status
	// Revision counts the changes of date or quantity, from 1.
	Revision   int        `db:"revision"`
	Currency   string     `db:"currency"`
	ExpectedAt *time.Time `db:"expected_at"`
	// SendError is why the supplier's channel refused the PO for good.
	SendError    string `db:"send_error"`
	CancelReason string `db:"cancel_reason"`
	// OverdueAt is the expected date the merchant was last told was missed.
	OverdueAt   *time.Time `db:"overdue_at"`
	CreatedAt   time.Time  `db:"created_at"`
	UpdatedAt   time.Time  `db:"updated_at"`
	SentAt      *time.Time `db:"sent_at"`
	ConfirmedAt *time.Time `db:"confirmed_at"`
	ReceivedAt  *time.Time `db:"received_at"`
	CancelledAt *time.Time `db:"cancelled_at"`
}

// A purchase order's statuses: draft → sent → confirmed →
// partially_received → received, or cancelled before it is received.
const (
	PODraft             = "draft"
	POSent              = "sent"
	POConfirmed         = "confirmed"
	POPartiallyReceived = "partially_received"
	POReceived          = "received"
	POCancelled         = "cancelled"
)

// POLine is one item of a purchase order. ExpectedAt, when set, overrides
// the order's expected date for this line.
type POLine struct {
	ID          int64      `db:"id"`
	POID        int64      `db:"po_id"`
	ShopID      int64      `db:"shop_id"`
	ItemID      string     `db:"item_id"`
	SKU         string     `db:"sku"`
	Title       string     `db:"title"`
	SupplierSKU string     `db:"supplier_sku"`
	Quantity    int        `db:"quantity"`
	Received    int        `db:"received"`
	UnitCost    string     `db:"unit_cost"`
	ExpectedAt  *time.Time `db:"expected_at"`
}

// POEvent is one entry of a purchase order's trail: sent, send_failed,
// confirmed, changed, received, cancelled, overdue.
type POEvent struct {
	ID        int64     `db:"id"`
	POID      int64     `db:"po_id"`
	Revision  int       `db:"revision"`
	Kind      string    `db:"kind"`
	Detail    string    `db:"detail"`
	CreatedAt time.Time `db:"created_at"`
}

const poColumns = `id, shop_id, supplier_id, status, revision, currency, expected_at, send_error, cancel_reason,
	overdue_at, created_at, updated_at, sent_at, confirmed_at, received_at, cancelled_at`

const poLineColumns = `id, po_id, shop_id, item_id, sku, title, supplier_sku, quantity, received, unit_cost, expected_at`

// DraftPO returns the shop's open draft for the supplier, locked for the
// transaction, creating it (in currency) if there is none. Two
// transactions asking at once get the same draft: the second waits on the
// first's insert.
func (tx *Tx) DraftPO(ctx context.Context, shopID, supplierID int64, currency string) (PurchaseOrder, error) {
	const insert = `INSERT INTO purchase_orders (shop_id, supplier_id, status, currency, created_at, updated_at)
	VALUES (?, ?, 'draft', ?, ?, ?)
	ON CONFLICT (shop_id, supplier_id) WHERE status = 'draft' DO NOTHING`
	now := tx.store.nowUTC()
	if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(insert), shopID, supplierID, currency, now, now); err != nil {
		return PurchaseOrder{}, fmt.Errorf("open draft for supplier %d: %w", supplierID, translate(err))
	}
	q := `SELECT ` + poColumns + ` FROM purchase_orders WHERE shop_id = ? AND supplier_id = ? AND status = 'draft'` +
		tx.store.forUpdate()
	var po PurchaseOrder
	if err := tx.tx.GetContext(ctx, &po, tx.tx.Rebind(q), shopID, supplierID); err != nil {
		return PurchaseOrder{}, fmt.Errorf("draft for supplier %d: %w", supplierID, translate(err))
	}
	return po, nil
}

// AddToPOLine adds l.Quantity of l.ItemID to purchase order poID: a new
// line, or more of the line it has (whose SKUs, title and unit cost l
// then replaces). The line's shop is the order's; ErrNotFound when there
// is no such order.
func (tx *Tx) AddToPOLine(ctx context.Context, poID int64, l POLine) error {
	const q = `INSERT INTO purchase_order_lines (po_id, shop_id, item_id, sku, title, supplier_sku, quantity,
		unit_cost, expected_at)
	SELECT p.id, p.shop_id, ?, ?, ?, ?, ?, ?, ? FROM purchase_orders p WHERE p.id = ?
	ON CONFLICT (po_id, item_id) DO UPDATE SET quantity = purchase_order_lines.quantity + excluded.quantity,
		sku = excluded.sku, title = excluded.title, supplier_sku = excluded.supplier_sku,
		unit_cost = excluded.unit_cost`
	if l.UnitCost == "" {
		l.UnitCost = "0"
	}
	res, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(q), l.ItemID, l.SKU, l.Title, l.SupplierSKU, l.Quantity,
		l.UnitCost, utc(l.ExpectedAt), poID)
	if err != nil {
		return fmt.Errorf("add %s to purchase order %d: %w", l.ItemID, poID, translate(err))
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("add %s to purchase order %d: %w", l.ItemID, poID, ErrNotFound)
	}
	return nil
}

// LockPO reads a purchase order and its lines (by id) and locks the order
// for the transaction.
func (tx *Tx) LockPO(ctx context.Context, id int64) (PurchaseOrder, []POLine, error) {
	q := `SELECT ` + poColumns + ` FROM purchase_orders WHERE id = ?` + tx.store.forUpdate()
	const ql = `SELECT ` + poLineColumns + ` FROM purchase_order_lines WHERE po_id = ? ORDER BY id`
	var po PurchaseOrder
	if err := tx.tx.GetContext(ctx, &po, tx.tx.Rebind(q), id); err != nil {
		return PurchaseOrder{}, nil, fmt.Errorf("lock purchase order %d: %w", id, translate(err))
	}
	var ls []POLine
	if err := tx.tx.SelectContext(ctx, &ls, tx.tx.Rebind(ql), id); err != nil {
		return PurchaseOrder{}, nil, fmt.Errorf("lines of purchase order %d: %w", id, translate(err))
	}
	return po, ls, nil
}

// PurchaseOrder reads a purchase order with its lines (by id) and its
// trail, oldest entry first.
func (s *Store) PurchaseOrder(ctx context.Context, id int64) (PurchaseOrder, []POLine, []POEvent, error) {
	const q = `SELECT ` + poColumns + ` FROM purchase_orders WHERE id = ?`
	const ql = `SELECT ` + poLineColumns + ` FROM purchase_order_lines WHERE po_id = ? ORDER BY id`
	const qe = `SELECT id, po_id, revision, kind, detail, created_at FROM purchase_order_events WHERE po_id = ? ORDER BY id`
	var po PurchaseOrder
	if err := s.db.GetContext(ctx, &po, s.db.Rebind(q), id); err != nil {
		return PurchaseOrder{}, nil, nil, fmt.Errorf("purchase order %d: %w", id, translate(err))
	}
	var ls []POLine
	if err := s.db.SelectContext(ctx, &ls, s.db.Rebind(ql), id); err != nil {
		return PurchaseOrder{}, nil, nil, fmt.Errorf("lines of purchase order %d: %w", id, translate(err))
	}
	var es []POEvent
	if err := s.db.SelectContext(ctx, &es, s.db.Rebind(qe), id); err != nil {
		return PurchaseOrder{}, nil, nil, fmt.Errorf("trail of purchase order %d: %w", id, translate(err))
	}
	return po, ls, es, nil
}

// POFilter selects purchase orders for operators. Zero values select all.
type POFilter struct {
	ShopID     int64  `db:"shop_id"`
	SupplierID int64  `db:"supplier_id"`
	Status     string `db:"status"`
	Before     int64  `db:"before"`
	Limit      int    `db:"limit"`
}

// ListPurchaseOrders lists purchase orders matching f, newest first.
func (s *Store) ListPurchaseOrders(ctx context.Context, f POFilter) ([]PurchaseOrder, error) {
	const q = `SELECT ` + poColumns + ` FROM purchase_orders
	WHERE (:shop_id = 0 OR shop_id = :shop_id) AND (:supplier_id = 0 OR supplier_id = :supplier_id)
		AND (:status = '' OR status = :status) AND (:before = 0 OR id < :before)
	ORDER BY id DESC LIMIT :limit`
	var pos []PurchaseOrder
	if err := s.selectNamed(ctx, &pos, q, f); err != nil {
		return nil, fmt.Errorf("list purchase orders: %w", err)
	}
	return pos, nil
}

// SavePO writes a purchase order's state: status, revision, dates, send
// error, cancel reason and overdue mark; updated_at is now.
func (tx *Tx) SavePO(ctx context.Context, po PurchaseOrder) error {
	const q = `UPDATE purchase_orders SET status = ?, revision = ?, expected_at = ?, send_error = ?, cancel_reason = ?,
		overdue_at = ?, updated_at = ?, sent_at = ?, confirmed_at = ?, received_at = ?, cancelled_at = ?
	WHERE id = ?`
	res, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(q), po.Status, po.Revision, utc(po.ExpectedAt), po.SendError,
		po.CancelReason, utc(po.OverdueAt), tx.store.nowUTC(), utc(po.SentAt), utc(po.ConfirmedAt),
		utc(po.ReceivedAt), utc(po.CancelledAt), po.ID)
	if err != nil {
		return fmt.Errorf("save purchase order %d: %w", po.ID, translate(err))
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("save purchase order %d: %w", po.ID, ErrNotFound)
	}
	return nil
}

// SavePOLine writes a line's quantity, received units and expected date.
func (tx *Tx) SavePOLine(ctx context.Context, l POLine) error {
	const q = `UPDATE purchase_order_lines SET quantity = ?, received = ?, expected_at = ? WHERE id = ?`
	res, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(q), l.Quantity, l.Received, utc(l.ExpectedAt), l.ID)
	if err != nil {
		return fmt.Errorf("save purchase order line %d: %w", l.ID, translate(err))
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("save purchase order line %d: %w", l.ID, ErrNotFound)
	}
	return nil
}

// AddPOEvent appends an entry to a purchase order's trail, stamped now.
func (tx *Tx) AddPOEvent(ctx context.Context, e POEvent) error {
	const q = `INSERT INTO purchase_order_events (po_id, revision, kind, detail, created_at) VALUES (?, ?, ?, ?, ?)`
	if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(q), e.POID, e.Revision, e.Kind, e.Detail, tx.store.nowUTC()); err != nil {
		return fmt.Errorf("add %s event to purchase order %d: %w", e.Kind, e.POID, translate(err))
	}
	return nil
}

// utc is t in UTC to the microsecond, or nil: what a nullable time column
// is given, so that both engines give back what they were given.
func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Microsecond)
	return &u
}

// SupplyLine is an open purchase order line of an item, as the ETA needs
// it: the units still to come and what dates them.
type SupplyLine struct {
	POLineID   int64  `db:"po_line_id"`
	POID       int64  `db:"po_id"`
	SupplierID int64  `db:"supplier_id"`
	Status     string `db:"status"` // the order's: sent, confirmed or partially_received
	Units      int    `db:"units"`  // quantity − received, above 0
	// SentAt is when the order was sent (with LeadTimeDays, the date of a
	// sent order not yet confirmed).
	SentAt *time.Time `db:"sent_at"`
	// ExpectedAt is the line's expected date, else the order's; nil when
	// neither is known.
	ExpectedAt *time.Time `db:"expected_at"`
	// LeadTimeDays is the item's terms' lead time from the supplier, else
	// the supplier's.
	LeadTimeDays int `db:"lead_time_days"`
}

// Supply lists the units of an item still to come on sent, confirmed and
// partially received purchase orders, by line id.
func (tx *Tx) Supply(ctx context.Context, shopID int64, itemID string) ([]SupplyLine, error) {
	const q = `SELECT l.id AS po_line_id, p.id AS po_id, p.supplier_id, p.status, l.quantity - l.received AS units,
		p.sent_at, l.expected_at, p.expected_at AS po_expected_at,
		COALESCE(t.lead_time_days, s.lead_time_days) AS lead_time_days
	FROM purchase_order_lines l
	JOIN purchase_orders p ON p.id = l.po_id
	JOIN suppliers s ON s.id = p.supplier_id
	LEFT JOIN item_suppliers t ON t.shop_id = l.shop_id AND t.item_id = l.item_id AND t.supplier_id = p.supplier_id
	WHERE l.shop_id = ? AND l.item_id = ? AND l.quantity > l.received
		AND p.status IN ('sent', 'confirmed', 'partially_received')
	ORDER BY l.id`
	var rows []struct {
		SupplyLine
		POExpectedAt *time.Time `db:"po_expected_at"`
	}
	if err := tx.tx.SelectContext(ctx, &rows, tx.tx.Rebind(q), shopID, itemID); err != nil {
		return nil, fmt.Errorf("supply of item %s: %w", itemID, translate(err))
	}
	out := make([]SupplyLine, len(rows))
	for i, r := range rows {
		out[i] = r.SupplyLine
		if out[i].ExpectedAt == nil {
			out[i].ExpectedAt = r.POExpectedAt
		}
	}
	return out, nil
}

// OverduePO is a purchase order past an expected date, with the newest
// such date it missed.
type OverduePO struct {
	PurchaseOrder
	// MissedAt is the newest expected date before today of a line with
	// units still to come (the line's date, else the order's): what
	// OverdueAt is set to once the merchant is told.
	MissedAt time.Time
}

// OverduePOs lists the sent, confirmed and partially received purchase
// orders with units still to come on a line whose expected date (the
// line's, else the order's) is before today, and whose merchant has not
// been told of that date yet (overdue_at before it, or none), by id.
func (tx *Tx) OverduePOs(ctx context.Context, today time.Time) ([]OverduePO, error) {
	const q = `SELECT p.id, p.shop_id, p.supplier_id, p.status, p.revision, p.currency, p.expected_at, p.send_error,
		p.cancel_reason, p.overdue_at, p.created_at, p.updated_at, p.sent_at, p.confirmed_at, p.received_at,
		p.cancelled_at, m.missed_at
	FROM purchase_orders p
	JOIN (SELECT l.po_id, MAX(COALESCE(l.expected_at, p2.expected_at)) AS missed_at
		FROM purchase_order_lines l JOIN purchase_orders p2 ON p2.id = l.po_id
		WHERE p2.status IN ('sent', 'confirmed', 'partially_received') AND l.quantity > l.received
			AND COALESCE(l.expected_at, p2.expected_at) < ?
		GROUP BY l.po_id) m ON m.po_id = p.id
	WHERE p.overdue_at IS NULL OR p.overdue_at < m.missed_at
	ORDER BY p.id`
	var rows []struct {
		PurchaseOrder
		MissedAt aggTime `db:"missed_at"`
	}
	if err := tx.tx.SelectContext(ctx, &rows, tx.tx.Rebind(q), today.UTC()); err != nil {
		return nil, fmt.Errorf("overdue purchase orders: %w", translate(err))
	}
	out := make([]OverduePO, len(rows))
	for i, r := range rows {
		out[i] = OverduePO{PurchaseOrder: r.PurchaseOrder, MissedAt: time.Time(r.MissedAt)}
	}
	return out, nil
}

// OpenPO is an open purchase order (sent, confirmed or partially
// received) as its merchant reads it: its supplier's name and status, its
// units still due, the next expected date of a line with units due (nil:
// none given), and the newest expected date before today of a line with
// units due (nil: it is not late).
type OpenPO struct {
	ID           int64
	Supplier     string
	Status       string
	UnitsDue     int
	NextExpected *time.Time
	MissedAt     *time.Time
}

// OpenPOs lists, in the transaction, a shop's open purchase orders as of
// today, by id.
func (tx *Tx) OpenPOs(ctx context.Context, shopID int64, today time.Time) ([]OpenPO, error) {
	return openPOs(ctx, tx.tx, shopID, today)
}

// OpenPOs lists a shop's open purchase orders as of today, by id.
func (s *Store) OpenPOs(ctx context.Context, shopID int64, today time.Time) ([]OpenPO, error) {
	return openPOs(ctx, s.db, shopID, today)
}

func openPOs(ctx context.Context, db sqlx.ExtContext, shopID int64, today time.Time) ([]OpenPO, error) {
	const q = `SELECT p.id, s.name AS supplier, p.status, COALESCE(SUM(l.quantity - l.received), 0) AS units_due,
		MIN(COALESCE(l.expected_at, p.expected_at)) AS next_expected,
		MAX(CASE WHEN COALESCE(l.expected_at, p.expected_at) < ? THEN COALESCE(l.expected_at, p.expected_at) END) AS missed_at
	FROM purchase_orders p
	JOIN suppliers s ON s.id = p.supplier_id
	LEFT JOIN purchase_order_lines l ON l.po_id = p.id AND l.quantity > l.received
	WHERE p.shop_id = ? AND p.status IN ('sent', 'confirmed', 'partially_received')
	GROUP BY p.id, s.name, p.status
	ORDER BY p.id`
	var rows []struct {
		ID           int64    `db:"id"`
		Supplier     string   `db:"supplier"`
		Status       string   `db:"status"`
		UnitsDue     int      `db:"units_due"`
		NextExpected *aggTime `db:"next_expected"`
		MissedAt     *aggTime `db:"missed_at"`
	}
	if err := sqlx.SelectContext(ctx, db, &rows, db.Rebind(q), today.UTC(), shopID); err != nil {
		return nil, fmt.Errorf("open purchase orders: %w", translate(err))
	}
	out := make([]OpenPO, len(rows))
	for i, r := range rows {
		out[i] = OpenPO{ID: r.ID, Supplier: r.Supplier, Status: r.Status, UnitsDue: r.UnitsDue,
			NextExpected: (*time.Time)(r.NextExpected), MissedAt: (*time.Time)(r.MissedAt)}
	}
	return out, nil
}
