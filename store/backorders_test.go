package store_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func writeBackorders(t *testing.T, s *store.Store, shopID int64, cause string, ws ...store.BackorderWrite) {
	t.Helper()
	inTx(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.WriteBackorders(ctx, shopID, cause, ws) })
}

func waiting(orderID, lineID, itemID string, units int, detail string) store.BackorderWrite {
	return store.BackorderWrite{OrderID: orderID, LineID: lineID, ItemID: itemID, Ordered: units, Backordered: units,
		Waiting: units, Status: "waiting",
		Events: []store.EventWrite{{Kind: store.EventStartedWaiting, Quantity: units, Detail: detail}}}
}

func TestBackordersAreInsertedThenUpdatedWithTheirTrail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shop := addShop(t, s)
		applyOrder(t, s, shop.ID, order1001(0, 0, line("L2", "B", 1), line("L1", "A", 3)))
		now := t0.Add(time.Hour)
		s.SetClock(func() time.Time { return now })
		writeBackorders(t, s, shop.ID, "inbox:1", waiting("5001", "L1", "A", 2, "short 2"), waiting("5001", "L2", "B", 1, "short 1"))

		var bs []store.BackorderEntry
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			var err error
			bs, err = tx.OrderBackorders(ctx, shop.ID, "5001")
			return err
		})
		if len(bs) != 2 || bs[0].LineID != "L1" || bs[1].LineID != "L2" {
			t.Fatalf("backorders of the order = %+v, want lines L1 and L2", bs)
		}
		want := store.BackorderEntry{ID: bs[0].ID, ShopID: shop.ID, Shop: "a.myshopify.com", OrderID: "5001", OrderName: "#1001",
			LineID: "L1", ItemID: "A", SKU: "SKU-A", Title: "Item A", Ordered: 2, Backordered: 2, Waiting: 2, Status: "waiting",
			PlacedAt: t0, CustomerEmail: "wren@example.net", CustomerName: "Wren Lee", CreatedAt: now, UpdatedAt: now, ETAKind: "unknown"}
		if got := normal(bs[0]); got != want {
			t.Errorf("new backorder =\n%+v, want\n%+v", got, want)
		}

		later := now.Add(time.Hour)
		s.SetClock(func() time.Time { return later })
		writeBackorders(t, s, shop.ID, "reconcile", store.BackorderWrite{ID: bs[0].ID, OrderID: "5001", LineID: "L1", ItemID: "A",
			Ordered: 2, Backordered: 2, Allocated: 2, Status: "allocated",
			Events: []store.EventWrite{{Kind: store.EventAllocated, Quantity: 2, Detail: "arrived"}}})
		got, trail, err := s.Backorder(ctx, bs[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		want.Allocated, want.Waiting, want.Status, want.UpdatedAt = 2, 0, "allocated", later
		if got = normal(got); got != want {
			t.Errorf("updated backorder =\n%+v, want\n%+v", got, want)
		}
		if len(trail) != 2 || trail[0].Kind != store.EventStartedWaiting || trail[0].Detail != "short 2" ||
			trail[0].Cause != "inbox:1" || !trail[0].CreatedAt.Equal(now) ||
			trail[1].Kind != store.EventAllocated || trail[1].Quantity != 2 || trail[1].Cause != "reconcile" || !trail[1].CreatedAt.Equal(later) {
			t.Errorf("trail = %+v, want started_waiting (inbox:1) then allocated (reconcile)", trail)
		}
		// Each new backorder got its own entries.
		if _, trail, _ := s.Backorder(ctx, bs[1].ID); len(trail) != 1 || trail[0].Detail != "short 1" {
			t.Errorf("trail of the second = %+v, want its one entry", trail)
		}
		if _, _, err := s.Backorder(ctx, bs[1].ID+100); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a missing backorder: err = %v, want ErrNotFound", err)
		}
	})
}

// normal makes an entry's times comparable with ==.
func normal(b store.BackorderEntry) store.BackorderEntry {
	b.PlacedAt, b.CreatedAt, b.UpdatedAt = b.PlacedAt.UTC(), b.CreatedAt.UTC(), b.UpdatedAt.UTC()
	return b
}

func TestListingBackordersFiltersOnEachFieldAndPagesNewestFirst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, b := addShopAt(t, s, "a.myshopify.com"), addShopAt(t, s, "b.myshopify.com")
		applyOrder(t, s, a.ID, order1001(0, 0, line("L1", "A", 1), line("L2", "B", 1)))
		o := order1001(0, 0, line("L1", "A", 1))
		o.OrderID, o.Name = "5002", "#1002"
		applyOrder(t, s, a.ID, o)
		applyOrder(t, s, b.ID, order1001(0, 0, line("L1", "A", 1)))
		allocated := waiting("5001", "L2", "B", 1, "")
		allocated.Status = "allocated"
		// Written in this order: ids 1 to 4 in the order of the names.
		writeBackorders(t, s, a.ID, "t", waiting("5001", "L1", "A", 1, ""))
		writeBackorders(t, s, a.ID, "t", allocated)
		writeBackorders(t, s, a.ID, "t", waiting("5002", "L1", "A", 1, ""))
		writeBackorders(t, s, b.ID, "t", waiting("5001", "L1", "A", 1, ""))
		all, err := s.ListBackorders(ctx, store.BackorderFilter{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 4 {
			t.Fatalf("all backorders = %d, want 4", len(all))
		}
		// name tells a backorder by shop, order and line: a5001L1.
		names := map[int64]string{}
		for _, e := range all {
			names[e.ID] = fmt.Sprintf("%s%s%s", e.Shop[:1], e.OrderID, e.LineID)
		}
		list := func(f store.BackorderFilter) ([]store.BackorderEntry, error) {
			f.Limit = cmp.Or(f.Limit, 10)
			return s.ListBackorders(ctx, f)
		}
		checkList(t, list, func(e store.BackorderEntry) string { return names[e.ID] + " " }, []listCase[store.BackorderFilter]{
			{"all, newest first", store.BackorderFilter{}, "b5001L1 a5002L1 a5001L2 a5001L1 "},
			{"shop a", store.BackorderFilter{ShopID: a.ID}, "a5002L1 a5001L2 a5001L1 "},
			{"SKU", store.BackorderFilter{SKU: "SKU-B"}, "a5001L2 "},
			{"item", store.BackorderFilter{ItemID: "A", ShopID: a.ID}, "a5002L1 a5001L1 "},
			{"status", store.BackorderFilter{Status: "allocated"}, "a5001L2 "},
			{"order id", store.BackorderFilter{Order: "5002"}, "a5002L1 "},
			{"order name", store.BackorderFilter{Order: "#1001"}, "b5001L1 a5001L2 a5001L1 "},
			{"order name without #", store.BackorderFilter{Order: "1001", ShopID: b.ID}, "b5001L1 "},
			{"unknown order", store.BackorderFilter{Order: "#9"}, ""},
			{"first page", store.BackorderFilter{Limit: 2}, "b5001L1 a5002L1 "},
			{"next page", store.BackorderFilter{Limit: 2, Before: all[1].ID}, "a5001L2 a5001L1 "},
			{"filters together", store.BackorderFilter{ShopID: a.ID, ItemID: "A", Status: "waiting", Order: "#1002"}, "a5002L1 "},
		})
	})
}

func waitingLines(t testing.TB, s *store.Store, shopID int64, itemID string) []store.WaitingETA {
	t.Helper()
	var ws []store.WaitingETA
	ctx := context.Background()
	err := s.InTx(ctx, func(tx *store.Tx) error {
		var err error
		ws, err = tx.WaitingLines(ctx, shopID, itemID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

// queueOfA makes item A's queue: order 5002 placed an hour before 5001,
// each line waiting, and 5001's L3 allocated.
func queueOfA(t *testing.T, s *store.Store, shopID int64) {
	t.Helper()
	applyOrder(t, s, shopID, order1001(0, 0, line("L2", "A", 2), line("L1", "A", 1), line("L3", "A", 1), line("L4", "B", 1)))
	older := order1001(0, 0, line("L9", "A", 3))
	older.OrderID, older.Name, older.PlacedAt = "5002", "#1002", t0.Add(-time.Hour)
	applyOrder(t, s, shopID, older)
	allocated := waiting("5001", "L3", "A", 1, "")
	allocated.Waiting, allocated.Allocated, allocated.Status = 0, 1, "allocated"
	writeBackorders(t, s, shopID, "t", waiting("5001", "L2", "A", 2, ""), waiting("5001", "L1", "A", 1, ""),
		allocated, waiting("5001", "L4", "B", 1, ""), waiting("5002", "L9", "A", 3, ""))
}

func TestWaitingLinesAreReadInTheOrderTheyAreServedAndTheirETAsWritten(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shop := addShop(t, s)
		queueOfA(t, s, shop.ID)
		ws := waitingLines(t, s, shop.ID, "A")
		got := ""
		for _, w := range ws {
			got += fmt.Sprintf("%s/%s×%d ", w.OrderID, w.LineID, w.Waiting)
		}
		if want := "5002/L9×3 5001/L1×1 5001/L2×2 "; got != want {
			t.Fatalf("waiting lines = %q, want %q (oldest order first, then line id)", got, want)
		}
		if ws[0].ETA != nil || ws[0].ETAKind != "unknown" || ws[0].Estimate != nil {
			t.Errorf("a line never given an ETA = %+v, want unknown", ws[0])
		}
		d10, d12 := day(10), day(12)
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			return tx.SetETAs(ctx, []store.ETAWrite{
				{BackorderID: ws[0].BackorderID, ETA: &d10, Kind: "confirmed"},
				{BackorderID: ws[1].BackorderID, ETA: &d12, Kind: "estimate", Estimate: &d12},
			})
		})
		ws = waitingLines(t, s, shop.ID, "A")
		if !eqTime(ws[0].ETA, d10) || ws[0].ETAKind != "confirmed" || ws[0].Estimate != nil {
			t.Errorf("first line = %+v, want confirmed for day 10", ws[0])
		}
		if !eqTime(ws[1].ETA, d12) || ws[1].ETAKind != "estimate" || !eqTime(ws[1].Estimate, d12) {
			t.Errorf("second line = %+v, want an estimate of day 12, kept", ws[1])
		}
		if ws[2].ETA != nil || ws[2].ETAKind != "unknown" {
			t.Errorf("a line not written = %+v, want it unchanged", ws[2])
		}
		b, _, err := s.Backorder(ctx, ws[0].BackorderID)
		if err != nil || !eqTime(b.ETA, d10) || b.ETAKind != "confirmed" {
			t.Errorf("the backorder as operators read it = ETA %v %q, %v; want day 10, confirmed", b.ETA, b.ETAKind, err)
		}
		listed, err := s.ListBackorders(ctx, store.BackorderFilter{ItemID: "A", Limit: 10})
		if err != nil || len(listed) != 4 || !eqTime(listed[0].ETA, d10) || listed[0].ETAKind != "confirmed" {
			t.Errorf("listed = %+v, %v; want 5002/L9 first with its ETA", listed, err)
		}
		// Back to unknown: the dates are cleared.
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			return tx.SetETAs(ctx, []store.ETAWrite{{BackorderID: ws[1].BackorderID, Kind: "unknown"}})
		})
		if w := waitingLines(t, s, shop.ID, "A")[1]; w.ETA != nil || w.ETAKind != "unknown" || w.Estimate != nil {
			t.Errorf("a line made unknown = %+v", w)
		}
		err = s.InTx(ctx, func(tx *store.Tx) error {
			return tx.SetETAs(ctx, []store.ETAWrite{{BackorderID: ws[0].BackorderID, Kind: "soon"}})
		})
		if err == nil {
			t.Error("an ETA kind the schema does not know was written")
		}
	})
}

func TestBackordersPastTheMaximumWaitAreThoseOfOlderOrdersStillWaiting(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		shop, other := addShopAt(t, s, "a.myshopify.com"), addShopAt(t, s, "b.myshopify.com")
		queueOfA(t, s, shop.ID)
		queueOfA(t, s, other.ID)
		past := func(before time.Time) string {
			var got string
			inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
				es, err := tx.BackordersPastMaxWait(ctx, shop.ID, before)
				for _, e := range es {
					got += fmt.Sprintf("%s/%s ", e.OrderID, e.LineID)
				}
				return err
			})
			return got
		}
		if got := past(t0); got != "5002/L9 " {
			t.Errorf("past a wait ending at t0 = %q, want the older order alone", got)
		}
		if got, want := past(t0.Add(time.Second)), "5002/L9 5001/L1 5001/L2 5001/L4 "; got != want {
			t.Errorf("past a wait ending after both = %q, want %q (not the allocated line)", got, want)
		}
	})
}

func TestAMarkedLinePastTheMaximumWaitIsNotListedAgain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		shop := addShop(t, s)
		queueOfA(t, s, shop.ID)
		past := func() []store.BackorderEntry {
			var es []store.BackorderEntry
			inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
				var err error
				es, err = tx.BackordersPastMaxWait(ctx, shop.ID, t0.Add(time.Second))
				return err
			})
			return es
		}
		es := past()
		if len(es) != 4 {
			t.Fatalf("past the wait = %d lines, want 4", len(es))
		}
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			return tx.MarkWaitExceeded(ctx, []int64{es[0].ID, es[2].ID}, t0)
		})
		var got string
		for _, e := range past() {
			got += e.OrderID + "/" + e.LineID + " "
		}
		if want := es[1].OrderID + "/" + es[1].LineID + " " + es[3].OrderID + "/" + es[3].LineID + " "; got != want {
			t.Errorf("past the wait after marking two = %q, want %q", got, want)
		}
	})
}

func TestAnETAThatMovesLaterIsListedAsSlippingWithItsDateBefore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		shop := addShop(t, s)
		queueOfA(t, s, shop.ID)
		ws := waitingLines(t, s, shop.ID, "A") // 5002/L9, 5001/L1, 5001/L2
		now := t0
		s.SetClock(func() time.Time { return now })
		set := func(id int64, d time.Time) {
			inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
				return tx.SetETAs(ctx, []store.ETAWrite{{BackorderID: id, ETA: &d, Kind: "confirmed"}})
			})
		}
		set(ws[0].BackorderID, day(10)) // a first ETA: nothing moved
		set(ws[1].BackorderID, day(10))
		set(ws[2].BackorderID, day(10))
		now = t0.Add(time.Hour)
		set(ws[0].BackorderID, day(14))                            // later
		set(ws[1].BackorderID, day(8))                             // earlier
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error { // the kind alone changes: the date did not move
			d := day(10)
			return tx.SetETAs(ctx, []store.ETAWrite{{BackorderID: ws[2].BackorderID, ETA: &d, Kind: "expected"}})
		})
		slipping := func(since time.Time) string {
			var got string
			inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
				es, err := tx.SlippingETAs(ctx, shop.ID, since, 10)
				for _, e := range es {
					got += fmt.Sprintf("%s %s %s→%s ", e.OrderName, e.SKU, e.From.Format("01-02"), e.To.Format("01-02"))
				}
				return err
			})
			return got
		}
		want := "#1002 SKU-A " + day(10).Format("01-02") + "→" + day(14).Format("01-02") + " "
		if got := slipping(t0.Add(time.Minute)); got != want {
			t.Errorf("slipping since the first ETAs = %q, want %q", got, want)
		}
		if got := slipping(t0.Add(2 * time.Hour)); got != "" {
			t.Errorf("slipping since after the change = %q, want none", got)
		}
	})
}

func BenchmarkSetETAs100k(b *testing.B) {
	const lines = 100_000
	eachBench(b, func(b *testing.B, s *store.Store, shop store.Shop) {
		ctx := context.Background()
		// An item with 100,000 orders waiting for it, a line each.
		fill(b, s, lines,
			fmt.Sprintf(`INSERT INTO orders (shop_id, order_id, status, placed_at, store_updated_at, state_at, state_seq)
					SELECT %d, 'o' || i, 'open', %s, %s, %s, 0 FROM n`, shop.ID, benchAt, benchAt, benchAt),
			fmt.Sprintf(`INSERT INTO backorders (shop_id, order_id, line_id, item_id, ordered, backordered, waiting, status,
					created_at, updated_at)
					SELECT %d, 'o' || i, 'L1', 'A', 2, 2, 2, 'waiting', %s, %s FROM n`, shop.ID, benchAt, benchAt))
		b.ResetTimer()
		// What an ETA recompute does in the store: read the queue, write
		// every line's ETA (a new one each round, so that each is written).
		for round := range b.N {
			err := s.InTx(ctx, func(tx *store.Tx) error {
				ws, err := tx.WaitingLines(ctx, shop.ID, "A")
				if err != nil {
					return err
				}
				if len(ws) != lines {
					return fmt.Errorf("waiting lines = %d, want %d", len(ws), lines)
				}
				eta := day(10 + round)
				etas := make([]store.ETAWrite, len(ws))
				for i, w := range ws {
					etas[i] = store.ETAWrite{BackorderID: w.BackorderID, ETA: &eta, Kind: "confirmed"}
				}
				return tx.SetETAs(ctx, etas)
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(lines*b.N)/b.Elapsed().Seconds(), "lines/s")
		b.StopTimer()
		ws := waitingLines(b, s, shop.ID, "A")
		if last := ws[len(ws)-1]; !eqTime(last.ETA, day(10+b.N-1)) || last.ETAKind != "confirmed" {
			b.Errorf("the last line after %d rounds = %+v, want the last round's ETA", b.N, last)
		}
	})
}
