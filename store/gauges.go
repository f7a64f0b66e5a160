package store

import (
	"context"
	"fmt"
	"time"
)

// Gauges are the levels an operator watches, read from the database at
// once: what waits, what is stuck, what is late. Metrics read them through
// a short cache, not on every scrape.
type Gauges struct {
	// Units on backorder lines not yet shipped or cancelled: still
	// waiting, and allocated from arrived stock.
	UnitsWaiting   int
	UnitsAllocated int
	// OldestWaiting is when the oldest line with units waiting started
	// waiting (nil: none waits).
	OldestWaiting *time.Time
	// ItemsAtCap are items whose waiting units reached their cap;
	// Shortfall the units owed beyond what known orders can carry.
	ItemsAtCap int
	Shortfall  int
	// EmailsPending are written and not yet sent; EmailsHeld wait for
	// their shop to have a sender.
	EmailsPending int
	EmailsHeld    int
	// POsOverdue are sent, confirmed or partially received purchase
	// orders with units still due on a line past its expected date.
	POsOverdue int
	// WritesPending are store writes not written yet; WritesFailed the
	// ones the store refused for good.
	WritesPending int
	WritesFailed  int
	// SilentShops are active shops whose merchant was told their order
	// webhooks fell silent, and none came since.
	SilentShops int
}

// pollMarker is the header that marks a delivery polling recorded
// (jobs.HeaderSource): no webhook.
const pollMarker = "X-Backorderd-Source"

// ReadGauges reads the gauges as of now.
func (s *Store) ReadGauges(ctx context.Context, now time.Time) (Gauges, error) {
	var g Gauges
	const units = `SELECT COALESCE(SUM(waiting), 0) AS waiting, COALESCE(SUM(allocated), 0) AS allocated
	FROM backorders WHERE status IN ('waiting', 'partially_allocated', 'allocated')`
	var u struct {
		Waiting   int `db:"waiting"`
		Allocated int `db:"allocated"`
	}
	if err := s.db.GetContext(ctx, &u, units); err != nil {
		return g, fmt.Errorf("read units gauges: %w", translate(err))
	}
	g.UnitsWaiting, g.UnitsAllocated = u.Waiting, u.Allocated

	const oldest = `SELECT created_at FROM backorders WHERE waiting > 0
		AND status IN ('waiting', 'partially_allocated') ORDER BY created_at LIMIT 1`
	var ts []time.Time
	if err := s.db.SelectContext(ctx, &ts, oldest); err != nil {
		return g, fmt.Errorf("read oldest waiting: %w", translate(err))
	}
	if len(ts) > 0 {
		t := ts[0].UTC()
		g.OldestWaiting = &t
	}

	const ledgers = `SELECT COALESCE(SUM(CASE WHEN at_cap THEN 1 ELSE 0 END), 0) AS at_cap,
		COALESCE(SUM(shortfall), 0) AS shortfall FROM item_ledgers`
	var l struct {
		AtCap     int `db:"at_cap"`
		Shortfall int `db:"shortfall"`
	}
	if err := s.db.GetContext(ctx, &l, ledgers); err != nil {
		return g, fmt.Errorf("read ledger gauges: %w", translate(err))
	}
	g.ItemsAtCap, g.Shortfall = l.AtCap, l.Shortfall

	const emails = `SELECT COALESCE(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0) AS pending,
		COALESCE(SUM(CASE WHEN status = 'held' THEN 1 ELSE 0 END), 0) AS held
	FROM emails WHERE status IN ('pending', 'held')`
	var e struct {
		Pending int `db:"pending"`
		Held    int `db:"held"`
	}
	if err := s.db.GetContext(ctx, &e, emails); err != nil {
		return g, fmt.Errorf("read email gauges: %w", translate(err))
	}
	g.EmailsPending, g.EmailsHeld = e.Pending, e.Held

	const overdue = `SELECT COUNT(DISTINCT p.id) FROM purchase_orders p
		JOIN purchase_order_lines l ON l.po_id = p.id
	WHERE p.status IN ('sent', 'confirmed', 'partially_received') AND l.quantity > l.received
		AND COALESCE(l.expected_at, p.expected_at) < ?`
	if err := s.db.GetContext(ctx, &g.POsOverdue, s.db.Rebind(overdue), now.UTC()); err != nil {
		return g, fmt.Errorf("read overdue purchase orders: %w", translate(err))
	}

	const writes = `SELECT COALESCE(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0) AS pending,
		COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0) AS failed
	FROM store_writes WHERE status IN ('pending', 'failed')`
	var w struct {
		Pending int `db:"pending"`
		Failed  int `db:"failed"`
	}
	if err := s.db.GetContext(ctx, &w, writes); err != nil {
		return g, fmt.Errorf("read store write gauges: %w", translate(err))
	}
	g.WritesPending, g.WritesFailed = w.Pending, w.Failed

	const silent = `SELECT COUNT(*) FROM store_polls sp JOIN shops s ON s.id = sp.shop_id
	WHERE s.status = 'active' AND sp.silence_noticed IS NOT NULL AND NOT EXISTS (
		SELECT 1 FROM inbox i WHERE i.shop_id = sp.shop_id AND i.topic IN ('orders/create', 'order.created')
			AND i.received_at > sp.silence_noticed AND i.headers NOT LIKE ?)`
	if err := s.db.GetContext(ctx, &g.SilentShops, s.db.Rebind(silent), "%"+pollMarker+"%"); err != nil {
		return g, fmt.Errorf("read silent shops: %w", translate(err))
	}
	return g, nil
}
