package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// kettleOrder is an orders/create body of one kettle (item 777).
func kettleOrder(id int, placed time.Time) []byte {
	return []byte(fmt.Sprintf(`{"id":%d,"name":"#%d","email":"c%d@example.net","created_at":%q,"updated_at":%q,`+
		`"financial_status":"paid","customer":{"id":%d,"email":"c%d@example.net","first_name":"Kit"},"line_items":[`+
		`{"id":1,"variant_id":777,"product_id":77,"sku":"KETTLE","name":"Kettle","quantity":1,"fulfillable_quantity":1}]}`,
		id, id, id, placed.Format(time.RFC3339), placed.Format(time.RFC3339), id, id))
}

// threeKettlesWait records orders 701, 702 and 703 of a kettle each, then
// the store's level of -3 after them, and waits until all three wait; it
// returns their backorder ids by order id.
func threeKettlesWait(t *testing.T, h *jobs.Harness, shop store.Shop, t0 time.Time) map[string]int64 {
	t.Helper()
	h.Record(shop.ID, "products/update", "product", []byte(jobs.TwoItems))
	h.WaitFor("the kettle described", func() bool {
		_, err := h.Store.Item(context.Background(), shop.ID, "777")
		return err == nil
	})
	for i, id := range []int{701, 702, 703} {
		h.Record(shop.ID, "orders/create", fmt.Sprint(id), kettleOrder(id, t0.Add(time.Duration(i+1)*time.Second)))
	}
	h.Record(shop.ID, "inventory_levels/update", "kettle--3", jobs.LevelOf(7770, -3, t0.Add(time.Minute)))
	es := h.Settled("three kettles waiting", func(es []store.BackorderEntry, led store.LedgerRow) bool {
		return len(es) == 3 && led.Waiting == 3
	}, shop.ID)
	ids := map[string]int64{}
	for _, e := range es {
		ids[e.OrderID] = e.ID
	}
	return ids
}

// waitingByOrder is "order:waiting/allocated/status" of each backorder.
func waitingByOrder(es []store.BackorderEntry) map[string]string {
	m := map[string]string{}
	for _, e := range es {
		m[e.OrderID] = fmt.Sprintf("%d/%d/%s", e.Waiting, e.Allocated, e.Status)
	}
	return m
}

var byOperator = jobs.Action{Actor: "admin token", Reason: "the customer asked on the phone"}

func TestACancelledBackorderLeavesTheQueueAndTheNextUnitGoesToTheNextInLine(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := jobs.NewHarness(t, s)
		shop := storeShop(t, h, "ops.myshopify.com", false, nil)
		h.StartWorker()
		t0 := time.Now().Add(-3 * time.Hour).Truncate(time.Second)
		ids := threeKettlesWait(t, h, shop, t0)
		bs := jobs.NewBackorders(s, h.Dispatcher, h.Log)

		effect, err := bs.Cancel(ctx, ids["702"], byOperator)
		if err != nil || effect != jobs.StoreNone {
			t.Fatalf("cancel = %q, %v; want done, nothing asked of a store without credentials", effect, err)
		}
		// The level (-3) holds 702's sale, not its cancellation: its unit is
		// released, so two are owed, and nothing is short.
		h.Settled("702 out of the queue", func(es []store.BackorderEntry, led store.LedgerRow) bool {
			w := waitingByOrder(es)
			return w["701"] == "1/0/waiting" && w["702"] == "0/0/cancelled" && w["703"] == "1/0/waiting" &&
				led.Owed == 2 && led.Shortfall == 0
		}, shop.ID)

		if _, err := bs.Cancel(ctx, ids["702"], byOperator); !errors.Is(err, jobs.ErrConflict) {
			t.Errorf("second cancel: %v, want ErrConflict", err)
		}
		if _, err := bs.Cancel(ctx, ids["701"], jobs.Action{Actor: "admin token"}); !errors.Is(err, jobs.ErrUnprocessable) {
			t.Errorf("cancel without a reason: %v, want ErrUnprocessable", err)
		}
		mails := h.Emails(shop.ID, "cancelled", "702")
		if len(mails) != 1 || mails[0].DedupeKey != "order:702:cancelled" || mails[0].ToEmail != "c702@example.net" {
			t.Fatalf("cancelled emails of 702 = %+v, want one, the order's", mails)
		}
		acts, err := s.OperatorActions(ctx, store.OperatorActionFilter{BackorderID: ids["702"], Limit: 10})
		if err != nil || len(acts) != 1 || acts[0].Reason != byOperator.Reason || acts[0].Action != "cancel" {
			t.Fatalf("actions = %+v, %v; want the one cancellation", acts, err)
		}

		// One kettle arrives (the store has not restocked 702's yet): it
		// goes to the oldest waiting order, 701.
		h.Record(shop.ID, "inventory_levels/update", "kettle--2", jobs.LevelOf(7770, -2, t0.Add(time.Hour)))
		h.Settled("701 allocated", func(es []store.BackorderEntry, led store.LedgerRow) bool {
			w := waitingByOrder(es)
			return w["701"] == "0/1/allocated" && w["702"] == "0/0/cancelled" && w["703"] == "1/0/waiting"
		}, shop.ID)
		if n := len(h.Emails(shop.ID, "cancelled", "702")); n != 1 {
			t.Errorf("cancelled emails of 702 = %d after the reconcile, want still 1", n)
		}
		if n := len(h.Emails(shop.ID, "ready", "702")); n != 0 {
			t.Errorf("702, cancelled, was told %d times its kettle is ready", n)
		}
	})
}

func TestAPrioritizedBackorderGetsTheNextUnitAndAFullCheckDoesNotUndoIt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := jobs.NewHarness(t, s)
		shop := storeShop(t, h, "vip.myshopify.com", false, nil)
		h.StartWorker()
		t0 := time.Now().Add(-3 * time.Hour).Truncate(time.Second)
		ids := threeKettlesWait(t, h, shop, t0)
		bs := jobs.NewBackorders(s, h.Dispatcher, h.Log)

		if err := bs.Prioritize(ctx, ids["703"], jobs.Action{Actor: "ops@harbor", Reason: "replacement for a broken one"}); err != nil {
			t.Fatal(err)
		}
		// The periodic full check reconciles the item again: nothing moves.
		h.Reconcile(shop.ID, "777")
		es := h.Settled("nothing moved", func([]store.BackorderEntry, store.LedgerRow) bool { return true }, shop.ID)
		if w := waitingByOrder(es); w["701"] != "1/0/waiting" || w["702"] != "1/0/waiting" || w["703"] != "1/0/waiting" {
			t.Fatalf("after prioritizing and a full check: %v, want all three still waiting", w)
		}
		if led, _ := s.Ledger(ctx, shop.ID, "777"); led.Drift != 0 {
			t.Errorf("drift = %d: prioritizing is not drift", led.Drift)
		}
		h.Record(shop.ID, "inventory_levels/update", "kettle--2", jobs.LevelOf(7770, -2, t0.Add(time.Hour)))
		h.Settled("703 allocated first", func(es []store.BackorderEntry, led store.LedgerRow) bool {
			w := waitingByOrder(es)
			return w["703"] == "0/1/allocated" && w["701"] == "1/0/waiting" && w["702"] == "1/0/waiting"
		}, shop.ID)
		h.Reconcile(shop.ID, "777")
		es = h.Settled("still so", func([]store.BackorderEntry, store.LedgerRow) bool { return true }, shop.ID)
		if w := waitingByOrder(es); w["703"] != "0/1/allocated" || w["701"] != "1/0/waiting" {
			t.Fatalf("a full check after the allocation: %v", w)
		}
		if err := bs.Prioritize(ctx, ids["703"], byOperator); !errors.Is(err, jobs.ErrConflict) {
			t.Errorf("prioritizing an allocated backorder: %v, want ErrConflict", err)
		}
		b, trail, _ := s.Backorder(ctx, ids["703"])
		if b.PrioritizedAt == nil {
			t.Error("prioritized_at not set")
		}
		found := false
		for _, e := range trail {
			found = found || (e.Kind == store.EventPrioritized && e.Cause == "operator:ops@harbor" && e.Detail == "replacement for a broken one")
		}
		if !found {
			t.Errorf("trail %+v lacks the prioritizing", trail)
		}
	})
}

func TestWithCredentialsACancelCancelsAnOrderWithNothingLeftAndUpdatesOneThatShipsTheRest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := jobs.NewHarness(t, s)
		shop := storeShop(t, h, "creds.myshopify.com", true, nil)
		h.StartWorker()
		t0 := time.Now().Add(-3 * time.Hour).Truncate(time.Second)
		kettleWaits(t, h, shop, t0) // order 601: a kettle waiting, a teapot from stock
		h.WaitFor("601 written waiting", func() bool { return len(h.Stores.Calls("SyncOrder", true)) == 1 })
		h.Record(shop.ID, "orders/create", "702", kettleOrder(702, t0.Add(2*time.Second)))
		h.Record(shop.ID, "inventory_levels/update", "kettle--2", jobs.LevelOf(7770, -2, t0.Add(time.Minute)))
		es := h.Settled("702 waiting too", func(es []store.BackorderEntry, led store.LedgerRow) bool {
			return len(es) == 2 && led.Waiting == 2
		}, shop.ID)
		ids := map[string]int64{}
		for _, e := range es {
			ids[e.OrderID] = e.ID
		}
		bs := jobs.NewBackorders(s, h.Dispatcher, h.Log)

		effect, err := bs.Cancel(ctx, ids["702"], byOperator)
		if err != nil || effect != jobs.StoreCancelOrder {
			t.Fatalf("cancel of 702 = %q, %v; want the order cancelled in the store", effect, err)
		}
		h.WaitFor("702 cancelled in the store", func() bool { return len(h.Stores.Calls("CancelOrder", true)) == 1 })

		syncs := len(h.Stores.Calls("SyncOrder", true))
		effect, err = bs.Cancel(ctx, ids["601"], byOperator)
		if err != nil || effect != jobs.StoreUpdateOrder {
			t.Fatalf("cancel of 601 = %q, %v; want its order updated: the teapot still ships", effect, err)
		}
		h.WaitFor("601 written with nothing waiting", func() bool { return len(h.Stores.Calls("SyncOrder", true)) > syncs })
		quiet()
		calls := h.Stores.Calls("CancelOrder", false)
		if len(calls) != 1 {
			t.Fatalf("order cancels = %+v, want 702's alone", calls)
		}
		if c := fmt.Sprintf("%+v", calls[0].Arg); !strings.Contains(c, "OrderID:702") || !strings.Contains(c, byOperator.Reason) {
			t.Errorf("cancel = %s, want order 702 with the operator's reason", c)
		}
		orders := h.Stores.Calls("SyncOrder", false)
		last := fmt.Sprintf("%+v", orders[len(orders)-1].Arg)
		if !strings.Contains(last, "OrderID:601") || strings.Contains(last, "Waiting:1") {
			t.Errorf("last order write = %s, want 601 with nothing waiting", last)
		}
		if m := h.Emails(shop.ID, "cancelled", "601"); len(m) != 1 || m[0].DedupeKey != "order:601:cancelled:1" {
			t.Errorf("cancelled emails of 601 = %+v, want the kettle line's", m)
		}
	})
}

func TestTheSameCancelEightTimesAtOnceIsOneCancellationOneMessageOneAuditEntry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := jobs.NewHarness(t, s)
		shop := storeShop(t, h, "twice.myshopify.com", false, nil)
		h.StartWorker()
		ids := threeKettlesWait(t, h, shop, time.Now().Add(-3*time.Hour).Truncate(time.Second))
		bs := jobs.NewBackorders(s, h.Dispatcher, h.Log)
		done, refused := atOnce(t, 8, func() error {
			_, err := bs.Cancel(ctx, ids["701"], byOperator)
			return err
		})
		if done != 1 || refused != 7 {
			t.Fatalf("%d cancels done, %d refused; want 1 and 7", done, refused)
		}
		if n := len(h.Emails(shop.ID, "cancelled", "701")); n != 1 {
			t.Errorf("cancelled emails = %d, want 1", n)
		}
		acts, _ := s.OperatorActions(ctx, store.OperatorActionFilter{BackorderID: ids["701"], Limit: 10})
		_, trail, _ := s.Backorder(ctx, ids["701"])
		cancels := 0
		for _, e := range trail {
			if e.Kind == "cancelled" {
				cancels++
			}
		}
		if len(acts) != 1 || cancels != 1 {
			t.Errorf("%d actions and %d cancelled entries in the trail, want 1 and 1", len(acts), cancels)
		}
	})
}

func TestAPrioritizedBackorderTakesTheEarliestSupplyInItsETA(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := jobs.NewHarness(t, s)
		shop, sp := kettleShop(t, h, 3) // 601, 602, 603 wait for a kettle; a supplier with 10 days' lead
		soon := jobs.Today().AddDate(0, 0, 3)
		po := h.SentPO(shop.ID, sp.ID, "777", 1, time.Now())
		h.SetPO(po.ID, func(p *store.PurchaseOrder) { p.Status, p.ExpectedAt = store.POConfirmed, &soon })
		h.Reconcile(shop.ID, "777")
		if k := kettles(t, s, shop.ID); k["601"].ETAKind != "confirmed" || k["603"].ETAKind != "estimate" {
			t.Fatalf("before: 601 %s, 603 %s; want the one kettle on order for the oldest", k["601"].ETAKind, k["603"].ETAKind)
		}
		bs := jobs.NewBackorders(s, h.Dispatcher, h.Log)
		if err := bs.Prioritize(ctx, kettles(t, s, shop.ID)["603"].ID, byOperator); err != nil {
			t.Fatal(err)
		}
		k := kettles(t, s, shop.ID)
		want := soon.AddDate(0, 0, 1).Format(time.DateOnly) // and the shop's handling day
		if b := k["603"]; b.ETAKind != "confirmed" || date(b.ETA) != want {
			t.Errorf("603 = %s %s, want confirmed %s: the kettle on order is its", b.ETAKind, date(b.ETA), want)
		}
		if b := k["601"]; b.ETAKind != "estimate" {
			t.Errorf("601 = %s %s, want an estimate now", b.ETAKind, date(b.ETA))
		}
		// A full check keeps it so.
		h.Reconcile(shop.ID, "777")
		if b := kettles(t, s, shop.ID)["603"]; b.ETAKind != "confirmed" {
			t.Errorf("after a full check 603 = %s, want still confirmed", b.ETAKind)
		}
	})
}

func TestACancelOfABackorderWhoseOrderTheStoreCancelledMeanwhileIsRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := jobs.NewHarness(t, s)
		shop := storeShop(t, h, "gone.myshopify.com", true, nil)
		h.StartWorker()
		ids := threeKettlesWait(t, h, shop, time.Now().Add(-3*time.Hour).Truncate(time.Second))
		// The store cancelled order 701; the reconcile that applies it has
		// not run yet, so its backorder still shows a kettle waiting.
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE orders SET status = 'cancelled' WHERE shop_id = ? AND order_id = '701'`, shop.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		bs := jobs.NewBackorders(s, h.Dispatcher, h.Log)
		effect, err := bs.Cancel(ctx, ids["701"], byOperator)
		if !errors.Is(err, jobs.ErrConflict) || !strings.Contains(fmt.Sprint(err), "no longer open") {
			t.Fatalf("cancel of a backorder whose order the store cancelled = %q, %v; want a conflict, "+
				"not a second cancellation sent to the store", effect, err)
		}
		if acts, err := s.OperatorActions(ctx, store.OperatorActionFilter{BackorderID: ids["701"], Limit: 10}); err != nil || len(acts) != 0 {
			t.Errorf("operator actions after the refusal = %+v, %v; want none", acts, err)
		}
	})
}

func TestBothLinesOfAnOrderCancelledAtOnceCancelTheOrderInTheStore(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := jobs.NewHarness(t, s)
		shop := storeShop(t, h, "both.myshopify.com", true, nil)
		h.StartWorker()
		t0 := time.Now().Add(-3 * time.Hour).Truncate(time.Second)
		h.Record(shop.ID, "products/update", "product", []byte(jobs.TwoItems))
		h.WaitFor("the kettle described", func() bool {
			_, err := s.Item(ctx, shop.ID, "777")
			return err == nil
		})
		h.Record(shop.ID, "inventory_levels/update", "kettle-0", jobs.LevelOf(7770, 0, t0))
		h.Record(shop.ID, "inventory_levels/update", "teapot-0", jobs.LevelOf(8880, 0, t0))
		const orders = 12
		for i := range orders {
			h.Record(shop.ID, "orders/create", fmt.Sprint(801+i), jobs.TwoLineOrder(801+i, "wren@example.net", t0.Add(time.Duration(i+1)*time.Second)))
		}
		es := h.Settled("both lines of every order waiting", func(es []store.BackorderEntry, _ store.LedgerRow) bool {
			waiting := 0
			for _, e := range es {
				waiting += e.Waiting
			}
			return len(es) == 2*orders && waiting == 2*orders
		}, shop.ID)
		bs := jobs.NewBackorders(s, h.Dispatcher, h.Log)
		type result struct {
			order  string
			effect jobs.StoreEffect
			err    error
		}
		results := make(chan result, len(es))
		start := make(chan struct{})
		for _, e := range es {
			go func() {
				<-start // all at once, the two lines of each order side by side
				effect, err := bs.Cancel(ctx, e.ID, byOperator)
				results <- result{e.OrderID, effect, err}
			}()
		}
		close(start)
		effects := map[string][]string{}
		for range es {
			r := <-results
			if r.err != nil {
				t.Fatalf("cancel of a line of %s: %v", r.order, r.err)
			}
			effects[r.order] = append(effects[r.order], string(r.effect))
		}
		// Whichever line goes second finds nothing of its order left: the
		// order is cancelled in the store, once.
		for order, got := range effects {
			slices.Sort(got)
			if !slices.Equal(got, []string{string(jobs.StoreCancelOrder), string(jobs.StoreUpdateOrder)}) {
				t.Errorf("order %s: the cancels of its two lines asked the store for %v, want one update and one cancel of the order", order, got)
			}
		}
	})
}

// atOnce runs act n times at once and counts the runs done and those
// refused with ErrConflict; any other error fails the test.
func atOnce(t *testing.T, n int, act func() error) (done, refused int) {
	t.Helper()
	errs := make(chan error, n)
	for range n {
		go func() { errs <- act() }()
	}
	for range n {
		switch err := <-errs; {
		case err == nil:
			done++
		case errors.Is(err, jobs.ErrConflict):
			refused++
		default:
			t.Errorf("at once: %v", err)
		}
	}
	return done, refused
}
