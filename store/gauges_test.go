package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// TestGaugesCountWhatWaitsWhatIsAtCapWhatMailIsHeldAndWhichShopsFellSilent
// reads the gauges over a few rows of each kind: only the lines still
// open count, the oldest waiting one gives the age, and a shop is silent
// until a webhook (not a poll) comes after its notice.
func TestGaugesCountWhatWaitsWhatIsAtCapWhatMailIsHeldAndWhichShopsFellSilent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
		empty, err := s.ReadGauges(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		if empty != (store.Gauges{}) {
			t.Fatalf("gauges of an empty database = %+v, want zeros", empty)
		}
		shop := storetest.ShopWithOrder(t, s, "gauges.example")
		oldest := now.Add(-50 * time.Hour)
		exec := func(q string, args ...any) {
			t.Helper()
			err := s.InTx(ctx, func(tx *store.Tx) error {
				_, err := tx.ExecContext(ctx, q, args...)
				return err
			})
			if err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		line := `INSERT INTO backorders (shop_id, order_id, line_id, item_id, ordered, backordered, allocated, waiting,
			status, created_at, updated_at) VALUES (?, ?, '1', '1517', ?, ?, ?, ?, ?, ?, ?)`
		exec(line, shop.ID, "1", 3, 3, 0, 3, "waiting", oldest, oldest)
		exec(line, shop.ID, "2", 4, 4, 1, 3, "partially_allocated", now.Add(-time.Hour), now)
		exec(line, shop.ID, "3", 2, 2, 2, 0, "allocated", oldest.Add(-time.Hour), now)
		exec(line, shop.ID, "4", 5, 5, 5, 0, "shipped", oldest.Add(-2*time.Hour), now)
		exec(line, shop.ID, "5", 5, 5, 0, 5, "cancelled", oldest.Add(-3*time.Hour), now)
		ledger := `INSERT INTO item_ledgers (shop_id, item_id, at_cap, shortfall) VALUES (?, ?, ?, ?)`
		exec(ledger, shop.ID, "1517", true, 2)
		exec(ledger, shop.ID, "1518", false, 1)
		mail := `INSERT INTO emails (shop_id, kind, dedupe_key, to_email, subject, text_body, html_body, status, created_at)
			VALUES (?, 'backordered', ?, 'x@example.net', 's', 't', 'h', ?, ?)`
		for i, status := range []string{"held", "held", "pending", "sent", "failed"} {
			exec(mail, shop.ID, "k"+string(rune('a'+i)), status, now)
		}
		exec(`INSERT INTO store_polls (shop_id, silence_noticed) VALUES (?, ?)`, shop.ID, now.Add(-10*time.Hour))
		// A poll found an order since: still silent.
		exec(`INSERT INTO inbox (shop_id, topic, dedupe_key, headers, body, received_at) VALUES (?, ?, ?, ?, ?, ?)`,
			shop.ID, "order.created", "p1", `{"X-Backorderd-Source":"poll"}`, []byte("{}"), now.Add(-time.Hour))

		g, err := s.ReadGauges(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		want := store.Gauges{UnitsWaiting: 6, UnitsAllocated: 3, OldestWaiting: g.OldestWaiting, ItemsAtCap: 1,
			Shortfall: 3, EmailsPending: 1, EmailsHeld: 2, SilentShops: 1}
		if g != want {
			t.Errorf("gauges = %+v, want %+v", g, want)
		}
		if g.OldestWaiting == nil || !g.OldestWaiting.Equal(oldest) {
			t.Errorf("oldest waiting = %v, want %v", g.OldestWaiting, oldest)
		}

		// A webhook after the notice: the shop speaks again.
		exec(`INSERT INTO inbox (shop_id, topic, dedupe_key, headers, body, received_at) VALUES (?, ?, ?, ?, ?, ?)`,
			shop.ID, "order.created", "w1", `{"X-Wc-Webhook-Topic":"order.created"}`, []byte("{}"), now.Add(-time.Minute))
		if g, err = s.ReadGauges(ctx, now); err != nil || g.SilentShops != 0 {
			t.Errorf("silent shops after a webhook = %d, %v; want 0", g.SilentShops, err)
		}
	})
}
