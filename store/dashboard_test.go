package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// placeOrder applies order id, placed at, with lines, for the shop.
func placeOrder(t *testing.T, s *store.Store, shopID int64, id string, at time.Time, lines ...backorder.Line) {
	t.Helper()
	applyOrder(t, s, shopID, backorder.Order{OrderID: id, Name: "#" + id, Status: backorder.OrderOpen,
		PlacedAt: at, UpdatedAt: at, Lines: lines, Version: backorder.Version{At: at}})
}

// backorderIDs maps "order/line" to the backorder's id.
func backorderIDs(t *testing.T, s *store.Store, shopID int64) map[string]int64 {
	t.Helper()
	es, err := s.ListBackorders(context.Background(), store.BackorderFilter{ShopID: shopID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for _, e := range es {
		ids[e.OrderID+"/"+e.LineID] = e.ID
	}
	return ids
}

func TestItemQueuesShowWaitingOrdersTheOldestWaitAndTheQueuesLatestETA(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shop, other := addShop(t, s), addShopAt(t, s, "b.myshopify.com")
		placeOrder(t, s, shop.ID, "1", t0, line("L1", "A", 3))
		placeOrder(t, s, shop.ID, "2", t0.Add(2*time.Hour), line("L1", "A", 2), line("L2", "B", 1))
		placeOrder(t, s, shop.ID, "3", t0.Add(3*time.Hour), line("L1", "B", 4))
		placeOrder(t, s, shop.ID, "4", t0.Add(-time.Hour), line("L1", "A", 1))
		placeOrder(t, s, other.ID, "9", t0.Add(-48*time.Hour), line("L1", "A", 5))
		writeBackorders(t, s, shop.ID, "test", waiting("1", "L1", "A", 2, ""), waiting("2", "L1", "A", 2, ""),
			waiting("2", "L2", "B", 1, ""), waiting("3", "L1", "B", 4, ""))
		// Order 4's line was served: it waits no more.
		writeBackorders(t, s, shop.ID, "test", store.BackorderWrite{OrderID: "4", LineID: "L1", ItemID: "A", Ordered: 1,
			Backordered: 1, Allocated: 1, Status: "allocated"})
		writeBackorders(t, s, other.ID, "test", waiting("9", "L1", "A", 5, ""))
		ids := backorderIDs(t, s, shop.ID)
		d10, d20 := t0.AddDate(0, 0, 10).Truncate(24*time.Hour), t0.AddDate(0, 0, 20).Truncate(24*time.Hour)
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			if err := tx.SetETAs(ctx, []store.ETAWrite{
				{BackorderID: ids["1/L1"], ETA: &d10, Kind: "confirmed"},
				{BackorderID: ids["2/L1"], Kind: "unknown"},
				{BackorderID: ids["2/L2"], ETA: &d10, Kind: "confirmed"},
				{BackorderID: ids["3/L1"], ETA: &d20, Kind: "estimate"},
			}); err != nil {
				return err
			}
			// Item C has no backorder: the store reported more owed than
			// orders known, and its cap is reached.
			if _, err := tx.MarkItems(ctx, shop.ID, []string{"C"}, t0, time.Time{}, "test"); err != nil {
				return err
			}
			return tx.SaveLedger(ctx, store.LedgerRow{ShopID: shop.ID, ItemID: "C", Shortfall: 3, AtCap: true, OverCap: 1})
		})

		got, err := s.ItemQueues(ctx, shop.ID)
		if err != nil {
			t.Fatal(err)
		}
		show := func(q store.ItemQueue) string {
			oldest, eta := "-", "-"
			if q.Oldest != nil {
				oldest = q.Oldest.UTC().Format("02 15:04")
			}
			if q.ETA != nil {
				eta = q.ETA.UTC().Format("01-02")
			}
			return fmt.Sprintf("%s %s: %d units, %d orders, oldest %s, eta %s %s, shortfall %d, cap %v +%d",
				q.ItemID, q.SKU, q.Waiting, q.Orders, oldest, eta, q.ETAKind, q.Shortfall, q.AtCap, q.OverCap)
		}
		want := []string{
			"B SKU-B: 5 units, 2 orders, oldest 02 11:30, eta 03-22 estimate, shortfall 0, cap false +0",
			"A SKU-A: 4 units, 2 orders, oldest 02 09:30, eta - unknown, shortfall 0, cap false +0",
			"C : 0 units, 0 orders, oldest -, eta - , shortfall 3, cap true +1",
		}
		if len(got) != len(want) {
			t.Fatalf("queues = %d %+v, want %d", len(got), got, len(want))
		}
		for i := range want {
			if g := show(got[i]); g != want[i] {
				t.Errorf("queue %d = %q, want %q", i, g, want[i])
			}
		}
	})
}

func TestHourlyDemandSumsUnitsOrderedAndBackorderedByHourSinceADate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		shop, other := addShop(t, s), addShopAt(t, s, "b.myshopify.com")
		placeOrder(t, s, shop.ID, "1", t0, line("L1", "A", 3), line("L2", "B", 1))
		placeOrder(t, s, shop.ID, "2", t0.Add(20*time.Minute), line("L1", "A", 2))
		placeOrder(t, s, shop.ID, "3", t0.Add(26*time.Hour), line("L1", "A", 5))
		placeOrder(t, s, shop.ID, "old", t0.Add(-31*24*time.Hour), line("L1", "A", 7))
		placeOrder(t, s, other.ID, "9", t0, line("L1", "A", 9))
		writeBackorders(t, s, shop.ID, "test", waiting("2", "L1", "A", 2, ""), waiting("3", "L1", "A", 4, ""))

		got, err := s.HourlyDemand(context.Background(), shop.ID, t0.Add(-30*24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		var g []string
		for _, h := range got {
			g = append(g, fmt.Sprintf("%s %d/%d", h.Hour.UTC().Format("01-02 15:04"), h.Ordered, h.Backordered))
		}
		want := "[03-02 09:00 6/2 03-03 11:00 5/4]"
		if fmt.Sprint(g) != want {
			t.Errorf("demand = %v, want %s", g, want)
		}
	})
}

func TestEmailCountsAndMailWaitingForTheSendGridAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shop, other := addShop(t, s), addShopAt(t, s, "b.myshopify.com")
		add := func(shopID int64, key, status, reason string) {
			inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
				_, _, err := tx.AddEmail(ctx, store.Email{ShopID: shopID, Kind: "backordered", DedupeKey: key,
					ToEmail: "wren@example.net", Status: status, Reason: reason})
				return err
			})
		}
		add(shop.ID, "a", store.EmailSent, "")
		add(shop.ID, "b", store.EmailHeld, "no sender")
		add(shop.ID, "c", store.EmailHeld, "no sender")
		add(shop.ID, "d", store.EmailPending, store.AccountWaitReason+"403 credits exhausted")
		add(shop.ID, "e", store.EmailPending, store.AccountWaitReason+"401 key revoked")
		add(shop.ID, "f", store.EmailPending, "retrying: 503")
		add(other.ID, "g", store.EmailPending, store.AccountWaitReason+"403")

		counts, err := s.EmailCounts(ctx, shop.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := "map[held:2 pending:3 sent:1]"; fmt.Sprint(counts) != want {
			t.Errorf("counts = %v, want %s", counts, want)
		}
		w, err := s.MailWaitingForAccount(ctx, shop.ID)
		if err != nil {
			t.Fatal(err)
		}
		if w.Messages != 2 || w.Reason != store.AccountWaitReason+"401 key revoked" {
			t.Errorf("waiting for the account = %+v, want 2 messages, the newest's reason", w)
		}
		if w, err := s.MailWaitingForAccount(ctx, addShopAt(t, s, "c.myshopify.com").ID); err != nil || w.Messages != 0 {
			t.Errorf("a shop whose mail goes: %+v, %v, want none waiting", w, err)
		}
	})
}

// An item without a SKU (a WooCommerce product may have none) is named by
// its title, in the digest as on the dashboard: both gather their per-item
// reads the same way.
func TestAnItemWithoutASKUIsNamedByItsTitleInTheDigestAndTheQueues(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shop := addShop(t, s)
		apron := backorder.Line{LineID: "L1", ItemID: "W", Title: "Charcoal apron", Quantity: 2, OpenUnits: 2}
		placeOrder(t, s, shop.ID, "1", t0, apron, line("L2", "A", 1))
		writeBackorders(t, s, shop.ID, "test", waiting("1", "L1", "W", 2, ""), waiting("1", "L2", "A", 1, ""))
		var digest []store.DigestItem
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			var err error
			digest, err = tx.Digest(ctx, shop.ID, t0.Add(time.Hour))
			return err
		})
		queues, err := s.ItemQueues(ctx, shop.ID)
		if err != nil {
			t.Fatal(err)
		}
		var d, q []string
		for _, it := range digest {
			d = append(d, fmt.Sprintf("%s %q %q %d", it.ItemID, it.SKU, it.Title, it.Waiting))
		}
		for _, it := range queues {
			q = append(q, fmt.Sprintf("%s %q %q %d", it.ItemID, it.SKU, it.Title, it.Waiting))
		}
		want := `[W "" "Charcoal apron" 2 A "SKU-A" "Item A" 1]`
		if fmt.Sprint(d) != want {
			t.Errorf("digest = %v, want %s", d, want)
		}
		if fmt.Sprint(q) != want {
			t.Errorf("queues = %v, want %s", q, want)
		}
	})
}

// The overview's reads of a shop with a history use the indexes of
// migration 00021: its recent orders by placed_at, its mail by status
// (docs/performance.md, "The merchant's overview").
func TestTheOverviewsReadsFindAShopsRowsThroughTheirIndexes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shop, other := addShop(t, s), addShopAt(t, s, "b.myshopify.com")
		// 300 days of orders, one an hour, in each shop: a line each, every
		// fifth backordered, a sent message each.
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			for _, id := range []int64{shop.ID, other.ID} {
				for start := 0; start < 300*24; start += 400 {
					var orders, lines, backorders, emails []string
					var oArgs, lArgs, bArgs, eArgs []any
					for i := start; i < min(start+400, 300*24); i++ {
						at, o := t0.Add(-time.Duration(i)*time.Hour), fmt.Sprint(i)
						orders, oArgs = append(orders, "(?, ?, 'open', ?, ?, ?, 0)"), append(oArgs, id, o, at, at, at)
						lines, lArgs = append(lines, "(?, ?, 'L1', 'A', 1, 1)"), append(lArgs, id, o)
						if i%5 == 0 {
							backorders = append(backorders, "(?, ?, 'L1', 'A', 1, 1, 0, 'shipped', ?, ?)")
							bArgs = append(bArgs, id, o, at, at)
						}
						emails = append(emails, "(?, 'shipped', ?, 'c@example.net', 's', 't', 'h', 'sent', ?)")
						eArgs = append(eArgs, id, "k"+o, at)
					}
					for _, q := range []struct {
						sql  string
						rows []string
						args []any
					}{
						{`INSERT INTO orders (shop_id, order_id, status, placed_at, store_updated_at, state_at, state_seq) VALUES `, orders, oArgs},
						{`INSERT INTO order_lines (shop_id, order_id, line_id, item_id, quantity, open_units) VALUES `, lines, lArgs},
						{`INSERT INTO backorders (shop_id, order_id, line_id, item_id, ordered, backordered, waiting, status,
							created_at, updated_at) VALUES `, backorders, bArgs},
						{`INSERT INTO emails (shop_id, kind, dedupe_key, to_email, subject, text_body, html_body, status,
							created_at) VALUES `, emails, eArgs},
					} {
						if _, err := tx.ExecContext(ctx, q.sql+strings.Join(q.rows, ","), q.args...); err != nil {
							return err
						}
					}
				}
			}
			if s.Engine() == store.Postgres {
				_, err := tx.ExecContext(ctx, `ANALYZE`)
				return err
			}
			return nil
		})
		plans := map[string]string{}
		for i, q := range s.DemandQueries() {
			plan, err := s.QueryPlan(ctx, q, shop.ID, t0.AddDate(0, 0, -31))
			if err != nil {
				t.Fatal(err)
			}
			plans[fmt.Sprintf("demand %d", i)] = plan
		}
		for name, q := range map[string]string{"mail by status": store.EmailCountsQuery, "mail waiting for the account": store.AccountWaitCountQuery} {
			args := []any{shop.ID}
			if strings.Count(q, "?") == 2 {
				args = append(args, store.AccountWaitReason+"%")
			}
			plan, err := s.QueryPlan(ctx, q, args...)
			if err != nil {
				t.Fatal(err)
			}
			plans[name] = plan
		}
		for name, plan := range plans {
			want := "emails_shop_status"
			if strings.HasPrefix(name, "demand") {
				want = "orders_shop_placed"
			}
			if !strings.Contains(plan, want) {
				t.Errorf("%s: the plan does not use %s:\n%s", name, want, plan)
			}
		}
	})
}
