package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// kettleShop starts the worker with a shop whose kettle (item 777, none
// in stock) is on backorder for orders 601, 602, …, one each, oldest
// first, and a supplier with a lead time of 10 days; it returns both.
func kettleShop(t *testing.T, h *jobs.Harness, orders int) (store.Shop, store.Supplier) {
	t.Helper()
	shop, err := h.Store.AddShop(context.Background(), store.NewShop(store.Shopify, "po.myshopify.com", "secret"))
	if err != nil {
		t.Fatal(err)
	}
	sp := h.Supplier("kiln", 10)
	h.Terms(store.ItemSupplier{ShopID: shop.ID, ItemID: "777", SupplierID: sp.ID, Preferred: true})
	h.StartWorker()
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	h.Record(shop.ID, "products/update", "product", []byte(jobs.TwoItems))
	h.Record(shop.ID, "inventory_levels/update", "kettle-0", jobs.LevelOf(7770, 0, t0))
	for i := range orders {
		h.Record(shop.ID, "orders/create", fmt.Sprint("order-", i),
			jobs.TwoLineOrder(601+i, fmt.Sprintf("c%d@example.net", i), t0.Add(time.Duration(i+1)*time.Second)))
	}
	h.Settled("the kettles wait", func(_ []store.BackorderEntry, led store.LedgerRow) bool { return led.Waiting == orders }, shop.ID)
	return shop, sp
}

func poEvents(t *testing.T, s *store.Store, id int64) []string {
	t.Helper()
	_, _, es, err := s.PurchaseOrder(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	kinds := make([]string, len(es))
	for i, e := range es {
		kinds[i] = fmt.Sprint(e.Kind, "@", e.Revision)
	}
	return kinds
}

func TestApprovingADraftSendsItAndConfirmingANewDateIsANewRevision(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := jobs.NewHarness(t, s)
		ctx := context.Background()
		shop, sp := kettleShop(t, h, 1)
		draft := h.DraftPO(shop.ID, sp.ID, store.POLine{ItemID: "777", SKU: "KETTLE", Quantity: 4})

		po, err := h.Purchasing.Approve(ctx, draft.ID)
		if err != nil || po.Status != store.POSent || po.SentAt == nil {
			t.Fatalf("approve = %+v, %v; want sent now", po, err)
		}
		// The send task writes the supplier's email (the harness's supplier
		// is on the email channel), once per revision.
		h.WaitFor("the supplier's email", func() bool { return len(h.Emails(shop.ID, "supplier_purchase_order", "")) == 1 })
		if e := h.Emails(shop.ID, "supplier_purchase_order", "")[0]; e.DedupeKey != fmt.Sprintf("po:%d:sent:1", po.ID) ||
			e.ToEmail != "orders@kiln.example" {
			t.Errorf("supplier email = %s to %s, want po:%d:sent:1 to the supplier", e.DedupeKey, e.ToEmail, po.ID)
		}
		if _, err := h.Purchasing.Approve(ctx, draft.ID); !errors.Is(err, jobs.ErrConflict) {
			t.Errorf("approving a sent order = %v, want ErrConflict", err)
		}
		if k := kettles(t, s, shop.ID)["601"]; k.ETAKind != "expected" {
			t.Errorf("the kettle's ETA after the order was sent = %s, want expected", k.ETAKind)
		}

		// A first date, then the same date again: no new revision.
		at := jobs.Today().AddDate(0, 0, 20)
		for range 2 {
			if po, err = h.Purchasing.Confirm(ctx, po.ID, jobs.Confirmation{ExpectedAt: &at}); err != nil {
				t.Fatal(err)
			}
			if po.Status != store.POConfirmed || po.Revision != 1 {
				t.Fatalf("confirmed = %s revision %d, want confirmed, revision 1", po.Status, po.Revision)
			}
		}
		if k := kettles(t, s, shop.ID)["601"]; k.ETAKind != "confirmed" || date(k.ETA) != at.AddDate(0, 0, 1).Format(time.DateOnly) {
			t.Errorf("the kettle's ETA = %s %s, want confirmed for the date and a handling day", k.ETAKind, date(k.ETA))
		}
		// A later date, and a quantity: each a new revision.
		later, five := at.AddDate(0, 0, 7), 5
		if po, err = h.Purchasing.Confirm(ctx, po.ID, jobs.Confirmation{ExpectedAt: &later}); err != nil || po.Revision != 2 {
			t.Fatalf("a later date = revision %d, %v; want 2", po.Revision, err)
		}
		c := jobs.Confirmation{Lines: []jobs.LineChange{{ItemID: "777", Quantity: &five}}}
		if po, err = h.Purchasing.Confirm(ctx, po.ID, c); err != nil || po.Revision != 3 {
			t.Fatalf("a new quantity = revision %d, %v; want 3", po.Revision, err)
		}
		c = jobs.Confirmation{Lines: []jobs.LineChange{{ItemID: "999", Quantity: &five}}}
		if _, err := h.Purchasing.Confirm(ctx, po.ID, c); !errors.Is(err, jobs.ErrUnprocessable) {
			t.Errorf("confirming an item the order lacks = %v, want ErrUnprocessable", err)
		}
		want := "[sent@1 confirmed@1 changed@2 changed@3]"
		if got := fmt.Sprint(poEvents(t, s, po.ID)); got != want {
			t.Errorf("trail = %s, want %s", got, want)
		}

		// Cancelled: its units no longer come, and it cannot be cancelled twice.
		if po, err = h.Purchasing.Cancel(ctx, po.ID, "out of clay"); err != nil || po.Status != store.POCancelled || po.CancelReason != "out of clay" {
			t.Fatalf("cancel = %+v, %v", po, err)
		}
		if k := kettles(t, s, shop.ID)["601"]; k.ETAKind != "estimate" {
			t.Errorf("the kettle's ETA after the cancel = %s, want an estimate again", k.ETAKind)
		}
		if _, err := h.Purchasing.Cancel(ctx, po.ID, "again"); !errors.Is(err, jobs.ErrConflict) {
			t.Errorf("cancelling twice = %v, want ErrConflict", err)
		}
		if _, err := h.Purchasing.Approve(ctx, po.ID+100); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("approving no order = %v, want ErrNotFound", err)
		}
	})
}

func TestAReceiptIsAllocatedOldestFirstOnceAndNeverBeyondTheOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := jobs.NewHarness(t, s)
		ctx := context.Background()
		shop, sp := kettleShop(t, h, 3)
		po := h.SentPO(shop.ID, sp.ID, "777", 3, time.Now())
		// The customers are told of the wait first: a ready message tells of
		// lines a confirmation announced.
		h.WaitFor("confirmations", func() bool {
			return len(h.Emails(shop.ID, "backordered", "601")) == 1 && len(h.Emails(shop.ID, "backordered", "602")) == 1 &&
				len(h.Emails(shop.ID, "backordered", "603")) == 1
		})

		receipt := store.Receipt{ReceiptID: "dock-1", Lines: []store.ReceiptLine{{ItemID: "777", Quantity: 2}}}
		got, dup, err := h.Purchasing.Receive(ctx, po.ID, receipt)
		if err != nil || dup || got.Status != store.POPartiallyReceived {
			t.Fatalf("receive = %s, duplicate %v, %v; want partially received", got.Status, dup, err)
		}
		h.Settled("two kettles allocated", func(_ []store.BackorderEntry, led store.LedgerRow) bool { return led.Waiting == 1 }, shop.ID)
		h.WaitFor("ready emails", func() bool {
			return len(h.Emails(shop.ID, "ready", "601")) == 1 && len(h.Emails(shop.ID, "ready", "602")) == 1
		})
		if k := kettles(t, s, shop.ID); k["601"].Allocated != 1 || k["602"].Allocated != 1 || k["603"].Waiting != 1 {
			t.Fatalf("kettles = %+v, want the two oldest orders served", k)
		}

		// The same receipt again adds nothing.
		if got, dup, err = h.Purchasing.Receive(ctx, po.ID, receipt); err != nil || !dup || got.Status != store.POPartiallyReceived {
			t.Fatalf("the receipt again = %s, duplicate %v, %v; want the order as it was, duplicate", got.Status, dup, err)
		}
		// More than is still to come is refused, and nothing is written.
		over := store.Receipt{ReceiptID: "dock-2", Lines: []store.ReceiptLine{{ItemID: "777", Quantity: 2}}}
		if _, _, err := h.Purchasing.Receive(ctx, po.ID, over); !errors.Is(err, jobs.ErrUnprocessable) {
			t.Fatalf("receiving beyond the order = %v, want ErrUnprocessable", err)
		}
		_, lines, _, err := s.PurchaseOrder(ctx, po.ID)
		if err != nil || lines[0].Received != 2 {
			t.Fatalf("received = %+v, %v; want 2", lines, err)
		}
		// dock-2 was not kept: with the one unit left it is received.
		over.Lines[0].Quantity = 1
		if got, dup, err = h.Purchasing.Receive(ctx, po.ID, over); err != nil || dup || got.Status != store.POReceived {
			t.Fatalf("the last unit = %s, duplicate %v, %v; want received", got.Status, dup, err)
		}
		h.WaitFor("603 ready", func() bool { return len(h.Emails(shop.ID, "ready", "603")) == 1 })
		if n := len(h.Emails(shop.ID, "eta_changed", "")); n != 0 {
			t.Errorf("ETA changes told = %d, want none: the units came as expected", n)
		}
		want := "[received@1 received@1]"
		if got := fmt.Sprint(poEvents(t, s, po.ID)); got != want {
			t.Errorf("trail = %s, want %s", got, want)
		}
	})
}
