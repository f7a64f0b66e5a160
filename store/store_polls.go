package store

import (
	"context"
	"fmt"
	"time"
)

// PollState is how far polling a shop's store has read, and its last run.
type PollState struct {
	ShopID int64 `db:"shop_id"`
	// Watermark is the latest updated_at of the store's changes read so
	// far (nil before the first run); it never moves back.
	Watermark    *time.Time `db:"watermark"`
	LastRunAt    *time.Time `db:"last_run_at"`
	LastError    string     `db:"last_error"`
	LastSeen     int        `db:"last_seen"`
	LastRecorded int        `db:"last_recorded"`
	// SilenceNoticed is the last order webhook before the silence the
	// merchant was last told of.
	SilenceNoticed *time.Time `db:"silence_noticed"`
}

const storePollColumns = `shop_id, watermark, last_run_at, last_error, last_seen, last_recorded, silence_noticed`

// StorePoll reads the shop's polling state; a shop never polled has a zero
// one (its ShopID set).
func (s *Store) StorePoll(ctx context.Context, shopID int64) (PollState, error) {
	const q = `SELECT ` + storePollColumns + ` FROM store_polls WHERE shop_id = ?`
	var ps []PollState
	if err := s.db.SelectContext(ctx, &ps, s.db.Rebind(q), shopID); err != nil {
		return PollState{}, fmt.Errorf("store poll of shop %d: %w", shopID, translate(err))
	}
	if len(ps) == 0 {
		return PollState{ShopID: shopID}, nil
	}
	return ps[0], nil
}

// SaveStorePoll records a run of the shop's poll: its counts and error, and
// its watermark unless that is older than the one kept.
func (s *Store) SaveStorePoll(ctx context.Context, p PollState) error {
	const q = `INSERT INTO store_polls (shop_id, watermark, last_run_at, last_error, last_seen, last_recorded)
	VALUES (?, ?, ?, ?, ?, ?)
	ON CONFLICT (shop_id) DO UPDATE SET
		watermark = CASE WHEN store_polls.watermark IS NULL OR
			(excluded.watermark IS NOT NULL AND excluded.watermark > store_polls.watermark)
			THEN excluded.watermark ELSE store_polls.watermark END,
		last_run_at = excluded.last_run_at, last_error = excluded.last_error,
		last_seen = excluded.last_seen, last_recorded = excluded.last_recorded`
	var wm *time.Time
	if p.Watermark != nil {
		t := p.Watermark.UTC()
		wm = &t
	}
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(q), p.ShopID, wm, s.nowUTC(), p.LastError,
		p.LastSeen, p.LastRecorded); err != nil {
		return fmt.Errorf("save store poll of shop %d: %w", p.ShopID, translate(err))
	}
	return nil
}

// NoteSilence records that the merchant was told of the silence after the
// order webhook of lastWebhook; it reports false when that silence was
// told of already.
func (s *Store) NoteSilence(ctx context.Context, shopID int64, lastWebhook time.Time) (bool, error) {
	const q = `INSERT INTO store_polls (shop_id, silence_noticed) VALUES (?, ?)
	ON CONFLICT (shop_id) DO UPDATE SET silence_noticed = excluded.silence_noticed
	WHERE store_polls.silence_noticed IS NULL OR store_polls.silence_noticed < excluded.silence_noticed`
	res, err := s.db.ExecContext(ctx, s.db.Rebind(q), shopID, lastWebhook.UTC())
	if err != nil {
		return false, fmt.Errorf("note webhook silence of shop %d: %w", shopID, translate(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("note webhook silence of shop %d: %w", shopID, translate(err))
	}
	return n > 0, nil
}

// ShopsWithCredentials lists the active shops with store credentials: the
// shops backorderd polls and writes to.
func (s *Store) ShopsWithCredentials(ctx context.Context) ([]Shop, error) {
	const q = `SELECT ` + shopColumns + ` FROM shops
	WHERE status = 'active' AND id IN (SELECT shop_id FROM shop_credentials) ORDER BY id`
	var shops []Shop
	if err := s.db.SelectContext(ctx, &shops, q); err != nil {
		return nil, fmt.Errorf("shops with credentials: %w", translate(err))
	}
	return shops, nil
}

// LastWebhook is when the shop's store last delivered topic by webhook
// (deliveries whose headers carry marker, recorded by polling, do not
// count); nil when it never did.
func (s *Store) LastWebhook(ctx context.Context, shopID int64, topic, marker string) (*time.Time, error) {
	const q = `SELECT received_at FROM inbox WHERE shop_id = ? AND topic = ? AND headers NOT LIKE ?
	ORDER BY received_at DESC LIMIT 1`
	var ts []time.Time
	if err := s.db.SelectContext(ctx, &ts, s.db.Rebind(q), shopID, topic, "%"+marker+"%"); err != nil {
		return nil, fmt.Errorf("last %s webhook of shop %d: %w", topic, shopID, translate(err))
	}
	if len(ts) == 0 {
		return nil, nil
	}
	t := ts[0].UTC()
	return &t, nil
}

// RecentOrderTimes lists when the shop's last n orders were placed, newest
// first.
func (s *Store) RecentOrderTimes(ctx context.Context, shopID int64, n int) ([]time.Time, error) {
	const q = `SELECT placed_at FROM orders WHERE shop_id = ? ORDER BY placed_at DESC LIMIT ?`
	var ts []time.Time
	if err := s.db.SelectContext(ctx, &ts, s.db.Rebind(q), shopID, n); err != nil {
		return nil, fmt.Errorf("recent orders of shop %d: %w", shopID, translate(err))
	}
	return ts, nil
}

// OrdersPlacedAfter counts the shop's orders placed after t.
func (s *Store) OrdersPlacedAfter(ctx context.Context, shopID int64, t time.Time) (int, error) {
	const q = `SELECT COUNT(*) FROM orders WHERE shop_id = ? AND placed_at > ?`
	var n int
	if err := s.db.GetContext(ctx, &n, s.db.Rebind(q), shopID, t.UTC()); err != nil {
		return 0, fmt.Errorf("count orders of shop %d: %w", shopID, translate(err))
	}
	return n, nil
}
