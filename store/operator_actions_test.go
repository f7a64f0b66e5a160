package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// cancelByOperator withdraws backorder id's waiting units at `at` and
// records the operator's action, as jobs.Backorders.Cancel does.
func cancelByOperator(t *testing.T, s *store.Store, shopID, id int64, waiting int, at time.Time, reason string) store.OperatorAction {
	t.Helper()
	var a store.OperatorAction
	inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
		if err := tx.WithdrawBackorder(ctx, id, at); err != nil {
			return err
		}
		var err error
		a, err = tx.AddOperatorAction(ctx, store.OperatorAction{ShopID: shopID, BackorderID: id, Action: store.ActionCancel,
			Actor: "admin token", Reason: reason}, store.EventWrite{Kind: "cancelled", Quantity: waiting, Detail: reason})
		return err
	})
	return a
}

func TestAnOperatorsCancelWithdrawsTheWaitingUnitsKeepsTheAllocatedAndIsAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shop := addShop(t, s)
		applyOrder(t, s, shop.ID, order1001(0, 0, line("L1", "A", 3)))
		now := t0.Add(time.Hour)
		s.SetClock(func() time.Time { return now })
		w := waiting("5001", "L1", "A", 2, "short 2")
		w.Ordered, w.Backordered, w.Allocated, w.Committed, w.Status = 3, 3, 1, 1, "partially_allocated"
		writeBackorders(t, s, shop.ID, "inbox:1", w)
		all, err := s.ListBackorders(ctx, store.BackorderFilter{Limit: 10})
		if err != nil || len(all) != 1 {
			t.Fatalf("backorders = %+v, %v", all, err)
		}
		id := all[0].ID

		at := now.Add(time.Minute)
		a := cancelByOperator(t, s, shop.ID, id, 2, at, "customer asked by phone")
		if a.ID == 0 || a.Action != "cancel" || a.Actor != "admin token" || a.Reason != "customer asked by phone" || !a.CreatedAt.Equal(now) {
			t.Errorf("action = %+v", a)
		}
		b, trail, err := s.Backorder(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if b.Status != "cancelled" || b.Waiting != 0 || b.Withdrawn != 2 || b.Allocated != 1 || b.WithdrawnAt == nil || !b.WithdrawnAt.Equal(at) {
			t.Errorf("cancelled backorder = %+v, want 2 withdrawn at %s, 1 allocated kept", b, at)
		}
		last := trail[len(trail)-1]
		if last.Kind != "cancelled" || last.Quantity != 2 || last.Cause != "operator:admin token" || last.Detail != "customer asked by phone" {
			t.Errorf("trail entry = %+v", last)
		}
		var lines []store.ItemLine
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			lines, err = tx.ItemLines(ctx, shop.ID, "A", t0)
			return err
		})
		if len(lines) != 1 || lines[0].Withdrawn != 2 || lines[0].WithdrawnAt == nil || lines[0].Committed != 1 || lines[0].Status != "cancelled" {
			t.Errorf("item lines = %+v, want the line with its withdrawal", lines)
		}
		var left int
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			left, err = tx.OrderUnitsToShip(ctx, shop.ID, "5001")
			return err
		})
		if left != 1 {
			t.Errorf("units to ship = %d, want the allocated one", left)
		}
	})
}

func TestAWithdrawnLineOfACancelledOrderIsReadUntilALevelNewerThanItsWithdrawal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		shop := addShop(t, s)
		applyOrder(t, s, shop.ID, order1001(0, 0, line("L1", "A", 2)))
		writeBackorders(t, s, shop.ID, "inbox:1", waiting("5001", "L1", "A", 2, "short 2"))
		bs, _ := s.ListBackorders(context.Background(), store.BackorderFilter{Limit: 1})
		at := t0.Add(time.Hour)
		cancelByOperator(t, s, shop.ID, bs[0].ID, 2, at, "duplicate order")
		o := order1001(time.Hour, 1, line("L1", "A", 2))
		o.Status = "cancelled" // the store cancelled it too
		applyOrder(t, s, shop.ID, o)
		read := func(levelAt time.Time) int {
			var lines []store.ItemLine
			inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
				var err error
				lines, err = tx.ItemLines(ctx, shop.ID, "A", levelAt)
				return err
			})
			return len(lines)
		}
		if n := read(at.Add(-time.Second)); n != 1 {
			t.Errorf("with a level older than the withdrawal: %d lines, want 1 (its units are released)", n)
		}
		if n := read(at); n != 0 {
			t.Errorf("with a level as new as the withdrawal: %d lines, want 0 (the store's word)", n)
		}
	})
}

func TestOperatorActionsAreListedByShopBackorderAndActionNewestFirst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, b := addShopAt(t, s, "a.myshopify.com"), addShopAt(t, s, "b.myshopify.com")
		applyOrder(t, s, a.ID, order1001(0, 0, line("L1", "A", 1), line("L2", "B", 1)))
		applyOrder(t, s, b.ID, order1001(0, 0, line("L1", "A", 1)))
		writeBackorders(t, s, a.ID, "inbox:1", waiting("5001", "L1", "A", 1, ""), waiting("5001", "L2", "B", 1, ""))
		writeBackorders(t, s, b.ID, "inbox:2", waiting("5001", "L1", "A", 1, ""))
		bos, _ := s.ListBackorders(ctx, store.BackorderFilter{Limit: 10}) // newest first: b's, a's L2, a's L1
		act := func(shopID, id int64, action string) {
			inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
				_, err := tx.AddOperatorAction(ctx, store.OperatorAction{ShopID: shopID, BackorderID: id, Action: action,
					Actor: "ops@shop", Reason: action + " it"}, store.EventWrite{Kind: action})
				return err
			})
		}
		act(a.ID, bos[2].ID, "prioritize")
		act(a.ID, bos[1].ID, "cancel")
		act(b.ID, bos[0].ID, "prioritize")
		list := func(f store.OperatorActionFilter) []int64 {
			f.Limit = max(f.Limit, 1)
			as, err := s.OperatorActions(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			ids := make([]int64, len(as))
			for i, a := range as {
				ids[i] = a.BackorderID
			}
			return ids
		}
		for _, tc := range []struct {
			what string
			f    store.OperatorActionFilter
			want []int64
		}{
			{"all", store.OperatorActionFilter{Limit: 10}, []int64{bos[0].ID, bos[1].ID, bos[2].ID}},
			{"shop a", store.OperatorActionFilter{ShopID: a.ID, Limit: 10}, []int64{bos[1].ID, bos[2].ID}},
			{"prioritized", store.OperatorActionFilter{Action: "prioritize", Limit: 10}, []int64{bos[0].ID, bos[2].ID}},
			{"one backorder", store.OperatorActionFilter{BackorderID: bos[1].ID, Limit: 10}, []int64{bos[1].ID}},
			{"first page", store.OperatorActionFilter{Limit: 2}, []int64{bos[0].ID, bos[1].ID}},
		} {
			if got := list(tc.f); !equalIDs(got, tc.want) {
				t.Errorf("%s: backorders %v, want %v", tc.what, got, tc.want)
			}
		}
		page, _ := s.OperatorActions(ctx, store.OperatorActionFilter{Limit: 2})
		if got := list(store.OperatorActionFilter{Before: page[1].ID, Limit: 10}); !equalIDs(got, []int64{bos[2].ID}) {
			t.Errorf("next page: %v, want the oldest action's", got)
		}
	})
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestBackordersAreListedByAgeAndETAKind(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shop := addShop(t, s)
		applyOrder(t, s, shop.ID, order1001(0, 0, line("L1", "A", 1)))
		o := order1001(0, 0, line("L1", "A", 1))
		o.OrderID, o.Name, o.PlacedAt = "5002", "#1002", t0.Add(72*time.Hour)
		applyOrder(t, s, shop.ID, o)
		writeBackorders(t, s, shop.ID, "inbox:1", waiting("5001", "L1", "A", 1, ""), waiting("5002", "L1", "A", 1, ""))
		bos, _ := s.ListBackorders(ctx, store.BackorderFilter{Limit: 10})
		eta := t0.AddDate(0, 0, 20)
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			return tx.SetETAs(ctx, []store.ETAWrite{{BackorderID: bos[1].ID, ETA: &eta, Kind: "confirmed"}})
		})
		orders := func(f store.BackorderFilter) string {
			f.Limit = 10
			es, err := s.ListBackorders(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			for _, e := range es {
				got += e.OrderID + " "
			}
			return got
		}
		for _, tc := range []struct {
			what string
			f    store.BackorderFilter
			want string
		}{
			{"placed before the newer order", store.BackorderFilter{PlacedBefore: t0.Add(time.Hour)}, "5001 "},
			{"placed before both", store.BackorderFilter{PlacedBefore: t0}, ""},
			{"any age", store.BackorderFilter{}, "5002 5001 "},
			{"confirmed ETA", store.BackorderFilter{ETAKind: "confirmed"}, "5001 "},
			{"unknown ETA", store.BackorderFilter{ETAKind: "unknown"}, "5002 "},
			{"old and unknown", store.BackorderFilter{ETAKind: "unknown", PlacedBefore: t0.Add(time.Hour)}, ""},
		} {
			if got := orders(tc.f); got != tc.want {
				t.Errorf("%s: %q, want %q", tc.what, got, tc.want)
			}
		}
	})
}

func TestPrioritizedLinesAreServedFirstTheLastPrioritizedAtTheFront(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shop := addShop(t, s)
		var ws []store.BackorderWrite
		for i, id := range []string{"5001", "5002", "5003"} {
			o := order1001(0, 0, line("L1", "A", 1))
			o.OrderID, o.Name, o.PlacedAt = id, "#"+id, t0.Add(time.Duration(i)*time.Minute)
			applyOrder(t, s, shop.ID, o)
			ws = append(ws, waiting(id, "L1", "A", 1, ""))
		}
		writeBackorders(t, s, shop.ID, "inbox:1", ws...)
		bos, _ := s.ListBackorders(ctx, store.BackorderFilter{Limit: 10}) // 5003, 5002, 5001
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			if err := tx.PrioritizeBackorder(ctx, bos[0].ID, t0.Add(time.Hour)); err != nil {
				return err
			}
			return tx.PrioritizeBackorder(ctx, bos[1].ID, t0.Add(2*time.Hour))
		})
		var got string
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			lines, err := tx.WaitingLines(ctx, shop.ID, "A")
			for _, l := range lines {
				got += l.OrderID + " "
			}
			return err
		})
		if want := "5002 5003 5001 "; got != want {
			t.Errorf("served in the order %q, want %q", got, want)
		}
		b, _, _ := s.Backorder(ctx, bos[1].ID)
		if b.PrioritizedAt == nil || !b.PrioritizedAt.Equal(t0.Add(2*time.Hour)) {
			t.Errorf("prioritized_at = %v", b.PrioritizedAt)
		}
	})
}

func TestRedactingACustomerErasesTheReasonsOperatorsGaveAboutTheirBackorders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shop := addShop(t, s)
		applyOrder(t, s, shop.ID, order1001(0, 0, line("L1", "A", 1)))
		o := order1001(0, 0, line("L1", "A", 1))
		o.OrderID, o.Name, o.Customer.ID, o.Customer.Email = "5002", "#1002", "c2", "other@example.net"
		applyOrder(t, s, shop.ID, o)
		writeBackorders(t, s, shop.ID, "inbox:1", waiting("5001", "L1", "A", 1, ""), waiting("5002", "L1", "A", 1, ""))
		bos, _ := s.ListBackorders(ctx, store.BackorderFilter{Limit: 10}) // 5002, 5001
		cancelByOperator(t, s, shop.ID, bos[1].ID, 1, t0, "Wren Lee phoned, wren@example.net")
		cancelByOperator(t, s, shop.ID, bos[0].ID, 1, t0, "the other customer asked")
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			_, err := tx.RedactOrders(ctx, shop.ID, "c1", "", nil, false)
			return err
		})
		as, _ := s.OperatorActions(ctx, store.OperatorActionFilter{Limit: 10})
		for _, a := range as {
			switch {
			case a.BackorderID == bos[1].ID && a.Reason != "":
				t.Errorf("the redacted customer's reason is kept: %q", a.Reason)
			case a.BackorderID == bos[0].ID && a.Reason != "the other customer asked":
				t.Errorf("another customer's reason = %q, want it kept", a.Reason)
			case a.Actor != "admin token" || a.Action != "cancel":
				t.Errorf("who and what must stay: %+v", a)
			}
		}
		_, trail, _ := s.Backorder(ctx, bos[1].ID)
		for _, e := range trail {
			if e.Detail != "" && e.Cause == "operator:admin token" {
				t.Errorf("the trail keeps the reason: %+v", e)
			}
		}
	})
}
