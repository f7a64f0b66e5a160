package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// The reads of the merchant's dashboard: per item queues, demand by hour,
// mail by status. Each is a few aggregate queries, whatever the number of
// orders.

// ItemQueue is one item's queue of waiting orders as the merchant reads it,
// with what its ledger says of its cap and shortfall.
type ItemQueue struct {
	ItemID  string
	SKU     string
	Title   string
	Waiting int // units waiting
	Orders  int // orders with units waiting
	// Oldest is when the oldest order still waiting was placed; nil when
	// none waits.
	Oldest *time.Time
	// ETA is the ETA of the queue's last waiting line (nil: unknown), the
	// day the whole queue is expected served; ETAKind says how sure it is
	// (confirmed, expected, estimate, unknown), "" when nothing waits.
	ETA       *time.Time
	ETAKind   string
	Shortfall int
	AtCap     bool
	OverCap   int
}

// ItemQueues lists a shop's items with units waiting, a shortfall or at
// their cap: most units waiting first, then the longest wait.
func (s *Store) ItemQueues(ctx context.Context, shopID int64) ([]ItemQueue, error) {
	// The queue's ETA is its latest: an unknown one (no date) outranks
	// every date.
	const last = `SELECT item_id, eta, eta_kind FROM (
		SELECT b.item_id, b.eta, b.eta_kind, ROW_NUMBER() OVER (PARTITION BY b.item_id
			ORDER BY CASE WHEN b.eta IS NULL THEN 0 ELSE 1 END, b.eta DESC, b.id DESC) AS n
		FROM backorders b WHERE b.shop_id = ? AND b.waiting > 0) x
	WHERE n = 1`
	const ledgers = `SELECT g.item_id, COALESCE(i.sku, '') AS sku, COALESCE(i.title, '') AS title, g.shortfall,
		g.at_cap, g.over_cap
	FROM item_ledgers g LEFT JOIN items i ON i.shop_id = g.shop_id AND i.item_id = g.item_id
	WHERE g.shop_id = ? AND (g.waiting > 0 OR g.shortfall > 0 OR g.at_cap)`
	items := newPerItem(func(id string) *ItemQueue { return &ItemQueue{ItemID: id} },
		func(it *ItemQueue) (*string, *string) { return &it.SKU, &it.Title })
	get := items.get
	ws, err := waitingByItem(ctx, s.db, shopID)
	if err != nil {
		return nil, fmt.Errorf("item queues: %w", err)
	}
	for _, w := range ws {
		it := get(w.ItemID, w.SKU, w.Title)
		it.Waiting, it.Orders, it.Oldest = w.Waiting, w.Orders, &w.Oldest
	}
	var es []struct {
		ItemID  string   `db:"item_id"`
		ETA     *aggTime `db:"eta"`
		ETAKind string   `db:"eta_kind"`
	}
	if err := s.db.SelectContext(ctx, &es, s.db.Rebind(last), shopID); err != nil {
		return nil, fmt.Errorf("item queue ETAs: %w", translate(err))
	}
	for _, e := range es {
		it := get(e.ItemID, "", "")
		it.ETAKind = e.ETAKind
		if e.ETA != nil {
			eta := time.Time(*e.ETA)
			it.ETA = &eta
		}
	}
	var ls []struct {
		ItemID    string `db:"item_id"`
		SKU       string `db:"sku"`
		Title     string `db:"title"`
		Shortfall int    `db:"shortfall"`
		AtCap     bool   `db:"at_cap"`
		OverCap   int    `db:"over_cap"`
	}
	if err := s.db.SelectContext(ctx, &ls, s.db.Rebind(ledgers), shopID); err != nil {
		return nil, fmt.Errorf("item queue ledgers: %w", translate(err))
	}
	for _, l := range ls {
		it := get(l.ItemID, l.SKU, l.Title)
		it.Shortfall, it.AtCap, it.OverCap = l.Shortfall, l.AtCap, l.OverCap
	}
	out := items.list()
	slices.SortFunc(out, func(a, b ItemQueue) int {
		if c := cmp.Compare(b.Waiting, a.Waiting); c != 0 {
			return c
		}
		if a.Oldest != nil && b.Oldest != nil && !a.Oldest.Equal(*b.Oldest) {
			return a.Oldest.Compare(*b.Oldest)
		}
		return cmp.Compare(a.ItemID, b.ItemID)
	})
	return out, nil
}

// WaitingOrders counts a shop's orders with units waiting: an order that
// waits for two items is one order (the items' counts add it twice).
func (s *Store) WaitingOrders(ctx context.Context, shopID int64) (int, error) {
	const q = `SELECT COUNT(DISTINCT order_id) FROM backorders WHERE shop_id = ? AND waiting > 0`
	var n int
	if err := s.db.GetContext(ctx, &n, s.db.Rebind(q), shopID); err != nil {
		return 0, fmt.Errorf("orders waiting in shop %d: %w", shopID, translate(err))
	}
	return n, nil
}

// DemandHour is the units ordered in one hour (UTC), and of those the
// units that went on backorder.
type DemandHour struct {
	Hour        time.Time
	Ordered     int
	Backordered int
}

// HourlyDemand sums a shop's units ordered per hour of placement, from
// since on, oldest hour first; hours without orders are left out. By hour,
// so that the caller can draw days in the shop's time zone.
func (s *Store) HourlyDemand(ctx context.Context, shopID int64, since time.Time) ([]DemandHour, error) {
	hours := map[time.Time]*DemandHour{}
	for i, q := range s.demandQueries() {
		var rows []struct {
			Hour  aggTime `db:"hour"`
			Units int     `db:"units"`
		}
		if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q), shopID, since.UTC()); err != nil {
			return nil, fmt.Errorf("hourly demand: %w", translate(err))
		}
		for _, r := range rows {
			h := time.Time(r.Hour)
			d := hours[h]
			if d == nil {
				d = &DemandHour{Hour: h}
				hours[h] = d
			}
			if i == 0 {
				d.Ordered += r.Units
			} else {
				d.Backordered += r.Units
			}
		}
	}
	out := make([]DemandHour, 0, len(hours))
	for _, d := range hours {
		out = append(out, *d)
	}
	slices.SortFunc(out, func(a, b DemandHour) int { return a.Hour.Compare(b.Hour) })
	return out, nil
}

// demandQueries are HourlyDemand's: the units ordered, and backordered,
// per hour of placement, each taking the shop and the first hour.
func (s *Store) demandQueries() [2]string {
	hour := `substr(o.placed_at, 1, 13) || ':00:00'` // SQLite keeps UTC times as text
	if s.engine == Postgres {
		hour = `date_trunc('hour', o.placed_at AT TIME ZONE 'UTC')`
	}
	return [2]string{`SELECT ` + hour + ` AS hour, SUM(l.quantity) AS units
	FROM order_lines l JOIN orders o ON o.shop_id = l.shop_id AND o.order_id = l.order_id
	WHERE l.shop_id = ? AND o.placed_at >= ? GROUP BY 1`,
		`SELECT ` + hour + ` AS hour, SUM(b.backordered) AS units
	FROM backorders b JOIN orders o ON o.shop_id = b.shop_id AND o.order_id = b.order_id
	WHERE b.shop_id = ? AND o.placed_at >= ? GROUP BY 1`}
}

// emailCounts is EmailCounts' query, taking the shop.
const emailCounts = `SELECT status, COUNT(*) AS n FROM emails WHERE shop_id = ? GROUP BY status`

// EmailCounts counts a shop's messages by status.
func (s *Store) EmailCounts(ctx context.Context, shopID int64) (map[string]int, error) {
	const q = emailCounts
	var rows []struct {
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q), shopID); err != nil {
		return nil, fmt.Errorf("count emails of shop %d: %w", shopID, translate(err))
	}
	counts := make(map[string]int, len(rows))
	for _, r := range rows {
		counts[r.Status] = r.N
	}
	return counts, nil
}

// AccountWaitReason starts the reason of a message that waits because
// SendGrid refused the account (401/403), not the message.
const AccountWaitReason = "waiting for the SendGrid account: "

// AccountWait is the shop's mail waiting for its SendGrid account: how
// many messages, and the newest one's reason.
type AccountWait struct {
	Messages int
	Reason   string
}

// accountWaitCount counts the mail MailWaitingForAccount reads, taking the
// shop and the reason's LIKE pattern.
const accountWaitCount = `SELECT COUNT(*) FROM emails WHERE shop_id = ? AND status = 'pending' AND reason LIKE ?`

// MailWaitingForAccount reads the shop's mail waiting for its SendGrid
// account to be fixed.
func (s *Store) MailWaitingForAccount(ctx context.Context, shopID int64) (AccountWait, error) {
	const count = accountWaitCount
	const newest = `SELECT reason FROM emails WHERE shop_id = ? AND status = 'pending' AND reason LIKE ?
	ORDER BY id DESC LIMIT 1`
	var w AccountWait
	like := AccountWaitReason + "%"
	if err := s.db.GetContext(ctx, &w.Messages, s.db.Rebind(count), shopID, like); err != nil {
		return AccountWait{}, fmt.Errorf("mail waiting for the account of shop %d: %w", shopID, translate(err))
	}
	if w.Messages == 0 {
		return w, nil
	}
	if err := s.db.GetContext(ctx, &w.Reason, s.db.Rebind(newest), shopID, like); err != nil {
		return AccountWait{}, fmt.Errorf("mail waiting for the account of shop %d: %w", shopID, translate(err))
	}
	return w, nil
}
