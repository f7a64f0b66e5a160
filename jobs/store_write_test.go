package jobs_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backorderd/backorderd/integrations/storeapi"
	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// storeShop adds a Shopify shop (edited by edit, when not nil) and, with
// creds, its store credentials.
func storeShop(t *testing.T, h *jobs.Harness, domain string, creds bool, edit func(*store.Shop)) store.Shop {
	t.Helper()
	ctx := context.Background()
	shop := store.NewShop(store.Shopify, domain, "secret")
	shop.Name, shop.MerchantEmail = "Harbor & Kiln", "owner@example.com"
	if edit != nil {
		edit(&shop)
	}
	shop, err := h.Store.AddShop(ctx, shop)
	if err != nil {
		t.Fatal(err)
	}
	if creds {
		if err := h.Store.SetShopCredentials(ctx, shop.ID, []byte("sealed")); err != nil {
			t.Fatal(err)
		}
	}
	return shop
}

// kettleWaits records the kettle out of stock and order 601 of a kettle
// and a teapot (the teapot in stock), and waits for its backorder.
func kettleWaits(t *testing.T, h *jobs.Harness, shop store.Shop, t0 time.Time) {
	t.Helper()
	h.Record(shop.ID, "products/update", "product", []byte(jobs.TwoItems))
	// The product first: a level of an inventory item no item maps is
	// looked up in the store.
	h.WaitFor("the kettle described", func() bool {
		_, err := h.Store.Item(context.Background(), shop.ID, "777")
		return err == nil
	})
	h.Record(shop.ID, "inventory_levels/update", "kettle-0", jobs.LevelOf(7770, 0, t0))
	h.Record(shop.ID, "orders/create", "order", jobs.TwoLineOrder(601, "wren@example.net", t0.Add(time.Second)))
	h.Settled("601's kettle waiting", func(es []store.BackorderEntry, led store.LedgerRow) bool {
		return len(es) == 1 && es[0].Waiting == 1
	}, shop.ID)
}

// restockKettle records one kettle arriving, and waits for 601's to be
// allocated.
func restockKettle(t *testing.T, h *jobs.Harness, shop store.Shop, t0 time.Time) {
	t.Helper()
	h.Record(shop.ID, "inventory_levels/update", "kettle-1", jobs.LevelOf(7770, 0, t0.Add(time.Hour)))
	h.Settled("601's kettle allocated", func(es []store.BackorderEntry, led store.LedgerRow) bool {
		return len(es) == 1 && es[0].Waiting == 0 && es[0].Allocated == 1
	}, shop.ID)
}

// quiet waits long enough for a task that should not run to have run.
func quiet() { time.Sleep(500 * time.Millisecond) }

func TestABackorderAndItsAllocationAreWrittenToTheStoreOncePerState(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := jobs.NewHarness(t, s)
		one := 1
		shop := storeShop(t, h, "wb.myshopify.com", true, func(sh *store.Shop) { sh.WaitingCap = &one })
		h.StartWorker()
		t0 := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
		kettleWaits(t, h, shop, t0)
		h.WaitFor("the waiting order and the stop written", func() bool {
			return len(h.Stores.Calls("SyncOrder", true)) == 1 && len(h.Stores.Calls("SetSelling", true)) == 1
		})
		restockKettle(t, h, shop, t0)
		h.WaitFor("the allocated order and the restart written", func() bool {
			return len(h.Stores.Calls("SyncOrder", true)) == 2 && len(h.Stores.Calls("SetSelling", true)) == 2
		})
		// The same facts reconciled again want the same state: no write.
		h.Reconcile(shop.ID, "777")
		quiet()

		orders := h.Stores.Calls("SyncOrder", false)
		if len(orders) != 2 {
			t.Fatalf("order writes = %d, want 2 (waiting, then allocated): %+v", len(orders), orders)
		}
		waiting, allocated := orders[0].Arg.(storeapi.Order), orders[1].Arg.(storeapi.Order)
		if waiting.OrderID != "601" || waiting.Name != "#601" || !waiting.Waiting() || len(waiting.Lines) != 1 ||
			waiting.Lines[0].LineID != "1" || waiting.Lines[0].ItemID != "777" || waiting.Lines[0].SKU != "KETTLE" {
			t.Errorf("first order write = %+v, want #601 with its kettle line waiting", waiting)
		}
		if allocated.Waiting() || len(allocated.Lines) != 1 || allocated.Lines[0].Waiting != 0 {
			t.Errorf("second order write = %+v, want #601 with nothing waiting", allocated)
		}
		if w := orders[0].Writes; !w.Tag || !w.Hold || !w.ETA || w.CustomerNote {
			t.Errorf("order writes = %+v, want tag, hold and ETA on, the customer note off", w)
		}
		selling := h.Stores.Calls("SetSelling", false)
		want := []storeapi.Item{{ItemID: "777", ProductID: "77", StopSelling: true}, {ItemID: "777", ProductID: "77"}}
		if len(selling) != 2 || selling[0].Arg != want[0] || selling[1].Arg != want[1] {
			t.Errorf("selling writes = %+v, want %+v", selling, want)
		}
		pending, err := s.ListStoreWrites(context.Background(), store.WriteBackFilter{ShopID: shop.ID, Status: store.StoreWritePending, Limit: 10})
		if err != nil || len(pending) != 0 {
			t.Errorf("pending writes = %+v, %v; want none", pending, err)
		}
		for kind, want := range map[string]float64{store.StoreWriteOrder: 2, store.StoreWriteSelling: 2} {
			if got := h.MetricWith("backorderd_store_writes_total", "kind", kind, "outcome", "written"); got != want {
				t.Errorf("%s writes counted written = %v, want %v", kind, got, want)
			}
		}
		if got := h.MetricWith("backorderd_allocation_lag_seconds"); got < 1 {
			t.Errorf("allocation lag observations = %v, want the restock's allocation", got)
		}
	})
}

func TestAShopWithoutCredentialsOrWithTheWritesOffQueuesNoWrite(t *testing.T) {
	for _, tc := range []struct {
		name      string
		creds     bool
		writesOff string
	}{
		{"no credentials", false, ""},
		{"order and selling writes off", true, "tag,hold,eta,selling"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := storetest.New(t, store.SQLite)
			h := jobs.NewHarness(t, s)
			one := 1
			shop := storeShop(t, h, "off.myshopify.com", tc.creds, func(sh *store.Shop) { sh.WaitingCap, sh.WritesOff = &one, tc.writesOff })
			h.StartWorker()
			kettleWaits(t, h, shop, time.Now().Add(-time.Hour).Truncate(time.Second))
			quiet()
			if calls := h.Stores.Calls("", false); len(calls) != 0 {
				t.Errorf("store calls = %+v, want none", calls)
			}
			ws, err := s.ListStoreWrites(context.Background(), store.WriteBackFilter{ShopID: shop.ID, Limit: 10})
			if err != nil || len(ws) != 0 {
				t.Errorf("writes = %+v, %v; want none", ws, err)
			}
		})
	}
}

func TestAThrottledWriteWaitsWhatTheStoreAsksAndIsWrittenOnce(t *testing.T) {
	s := storetest.New(t, store.SQLite)
	h := jobs.NewHarness(t, s)
	shop := storeShop(t, h, "throttle.myshopify.com", true, nil)
	h.Stores.Fail("SyncOrder", &storeapi.Error{Op: "tagsAdd", StatusCode: 200, Code: "THROTTLED",
		Message: "Throttled", Retryable: true, Wait: time.Second})
	h.StartWorker()
	kettleWaits(t, h, shop, time.Now().Add(-time.Hour).Truncate(time.Second))
	h.WaitFor("the order written after the throttle", func() bool { return len(h.Stores.Calls("SyncOrder", true)) == 1 })
	quiet()
	calls := h.Stores.Calls("SyncOrder", false)
	if len(calls) < 2 || calls[0].Err == nil || calls[len(calls)-1].Err != nil {
		t.Fatalf("calls = %+v, want a throttled one, then the order written", calls)
	}
	// The same state is tried again after the second the store asked for
	// (asynq's own backoff waits 15 s at least). A newer state of the order
	// (its ETA recomputed meanwhile) is its own write, made at once.
	throttled := fmt.Sprint(calls[0].Arg)
	for _, c := range calls[1:] {
		if fmt.Sprint(c.Arg) != throttled {
			continue
		}
		if gap := c.At.Sub(calls[0].At); gap < time.Second || gap > 8*time.Second {
			t.Errorf("retry came %v after the throttle, want about the 1 s asked", gap)
		}
	}
	ws, err := s.ListStoreWrites(context.Background(), store.WriteBackFilter{ShopID: shop.ID, Limit: 10})
	if err != nil || len(ws) != 1 || ws[0].Status != store.StoreWriteDone || ws[0].LastError != "" {
		t.Fatalf("writes = %+v, %v; want one done, its error cleared", ws, err)
	}
}

func TestAWriteTheStoreRefusesForGoodIsFailedWithItsReason(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := jobs.NewHarness(t, s)
		shop := storeShop(t, h, "refuse.myshopify.com", true, nil)
		h.Stores.Fail("SyncOrder", &storeapi.Error{Op: "fulfillmentOrderHold", StatusCode: 200, Code: "USER_ERROR",
			Message: "fulfillment order is closed"})
		h.StartWorker()
		kettleWaits(t, h, shop, time.Now().Add(-time.Hour).Truncate(time.Second))
		var ws []store.WriteBack
		h.WaitFor("the write failed", func() bool {
			ws, _ = s.ListStoreWrites(context.Background(), store.WriteBackFilter{ShopID: shop.ID, Status: store.StoreWriteFailed, Limit: 10})
			return len(ws) == 1
		})
		quiet()
		if n := len(h.Stores.Calls("SyncOrder", false)); n != 1 {
			t.Errorf("calls = %d, want 1: a refusal for good is not retried", n)
		}
		if !strings.Contains(ws[0].LastError, "fulfillment order is closed") || ws[0].Kind != store.StoreWriteOrder || ws[0].Subject != "601" {
			t.Errorf("failed write = %+v, want order 601 with the store's reason", ws[0])
		}
		written := h.MetricWith("backorderd_store_writes_total", "kind", "order", "outcome", "written")
		if got := h.MetricWith("backorderd_store_writes_total", "kind", "order", "outcome", "failed"); got != 1 || written != 0 {
			t.Errorf("order writes counted failed %v, written %v; want 1 and 0", got, written)
		}
	})
}

func TestAReceiptIsAddedToTheStoresStockOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := jobs.NewHarness(t, s)
		ctx := context.Background()
		shop := storeShop(t, h, "stock.myshopify.com", true, nil)
		sp := h.Supplier("kiln", 10)
		h.StartWorker()
		kettleWaits(t, h, shop, time.Now().Add(-time.Hour).Truncate(time.Second))
		po := h.SentPO(shop.ID, sp.ID, "777", 3, time.Now().Add(-time.Hour))
		receipt := store.Receipt{ReceiptID: "R-1", Lines: []store.ReceiptLine{{ItemID: "777", Quantity: 2}}}
		for i := range 2 { // the second is the same receipt again
			if _, dup, err := h.Purchasing.Receive(ctx, po.ID, receipt); err != nil || dup != (i == 1) {
				t.Fatalf("receive %d: duplicate %v, %v; want %v", i, dup, err, i == 1)
			}
		}
		h.WaitFor("the receipt added to the store", func() bool { return len(h.Stores.Calls("AddStock", true)) == 1 })
		quiet()
		calls := h.Stores.Calls("AddStock", false)
		if len(calls) != 1 {
			t.Fatalf("stock writes = %+v, want one", calls)
		}
		r := calls[0].Arg.(storeapi.Receipt)
		if !strings.HasPrefix(r.Key, "receipt:") || !strings.HasSuffix(r.Key, ":777") || r.ItemID != "777" ||
			r.ProductID != "77" || r.StockKey != "7770" || r.Units != 2 {
			t.Errorf("receipt written = %+v, want 2 kettles (product 77, inventory item 7770) keyed by the receipt", r)
		}
	})
}

func TestAnOrderPastTheMaximumWaitIsCancelledInTheStoreAndItsCustomerToldOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := jobs.NewHarness(t, s)
		today := jobs.Today()
		shop := cancellingShop(t, h, today)
		h.PastMaxWait(today)
		h.PastMaxWait(today.AddDate(0, 0, 1))
		h.WaitFor("601 cancelled in the store", func() bool { return len(h.Stores.Calls("CancelOrder", true)) == 1 })
		quiet()
		calls := h.Stores.Calls("CancelOrder", false)
		if len(calls) != 1 || calls[0].Arg.(storeapi.Cancel).OrderID != "601" || calls[0].Arg.(storeapi.Cancel).Key != "cancel:601" {
			t.Fatalf("cancels = %+v, want 601's once", calls)
		}
		if es := h.Emails(shop.ID, "wait_exceeded", ""); len(es) != 0 {
			t.Errorf("wait_exceeded messages = %d, want none: the cancellation tells the customer", len(es))
		}
		if es := h.Emails(shop.ID, "merchant_wait_exceeded", ""); len(es) != 1 || !strings.Contains(es[0].TextBody, "being cancelled in your store") {
			t.Errorf("merchant messages = %+v, want 1 saying the orders are being cancelled", es)
		}
		// The store's cancellation comes back as a webhook: the customer
		// hears of it once, with the reason.
		cancelled := strings.Replace(string(jobs.TwoLineOrder(601, "c601@example.net", today.AddDate(0, 0, -40))),
			`"financial_status":"paid"`, `"financial_status":"refunded","cancelled_at":"`+time.Now().UTC().Format(time.RFC3339)+`"`, 1)
		cancelled = strings.Replace(cancelled, `"updated_at":"`+today.AddDate(0, 0, -40).Format(time.RFC3339)+`"`,
			`"updated_at":"`+time.Now().UTC().Format(time.RFC3339)+`"`, 1)
		h.Record(shop.ID, "orders/cancelled", "cancel-601", []byte(cancelled))
		var es []store.Email
		h.WaitFor("601 told of its cancellation", func() bool {
			es = h.Emails(shop.ID, "cancelled", "601")
			return len(es) == 1
		})
		if !strings.Contains(es[0].TextBody, "longer than 30 days") || !strings.Contains(es[0].TextBody, "refunded") {
			t.Errorf("cancelled message = %q, want it to say it waited past 30 days and is refunded", es[0].TextBody)
		}
		if n := len(h.Emails(shop.ID, "", "601")); n != 2 {
			t.Errorf("601's messages = %d, want 2 (backordered, cancelled)", n)
		}
		// The cancelled order is not written back as "nothing waits" (a
		// WooCommerce order would go back to processing).
		quiet()
		for _, c := range h.Stores.Calls("SyncOrder", false) {
			if c.Arg.(storeapi.Order).OrderID == "601" {
				t.Errorf("cancelled 601 written: %+v", c)
			}
		}
	})
}

func TestAnInventoryItemNoItemMapsIsLookedUpAndMappedThroughTheInbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := jobs.NewHarness(t, s)
		ctx := context.Background()
		shop := storeShop(t, h, "resolve.myshopify.com", true, nil)
		h.Stores.SetResolved("7770", storeapi.Change{Topic: "products/update", Body: []byte(jobs.TwoItems),
			DedupeKey: "products/update|resolve:77", UpdatedAt: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
		h.StartWorker()
		h.Record(shop.ID, "inventory_levels/update", "kettle-0", jobs.LevelOf(7770, 4, time.Now().Add(-time.Minute)))
		h.WaitFor("the kettle mapped", func() bool {
			it, err := s.Item(ctx, shop.ID, "777")
			return err == nil && it.StockKey == "7770"
		})
		if calls := h.Stores.Calls("Resolve", false); len(calls) != 1 || calls[0].Arg != "7770" {
			t.Fatalf("resolves = %+v, want 7770 once", calls)
		}
		// Its next level maps at once: nothing more to look up.
		h.Record(shop.ID, "inventory_levels/update", "kettle-1", jobs.LevelOf(7770, 3, time.Now()))
		quiet()
		if n := len(h.Stores.Calls("Resolve", false)); n != 1 {
			t.Errorf("resolves = %d, want 1", n)
		}
		rows, err := s.ListInbox(ctx, store.InboxFilter{ShopID: shop.ID, Topic: "products/update", Limit: 10})
		if err != nil || len(rows) != 1 || rows[0].Status != store.InboxProcessed {
			t.Errorf("products/update deliveries = %+v, %v; want the one looked up, processed", rows, err)
		}
	})
}

func TestWritesWaitWhileTheShopIsUninstalledOrWithoutCredentialsAndResumeAfter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := jobs.NewHarness(t, s)
		ctx := context.Background()
		shop := storeShop(t, h, "away.myshopify.com", true, nil)
		h.Stores.Without(shop.ID)
		h.StartWorker()
		kettleWaits(t, h, shop, time.Now().Add(-time.Hour).Truncate(time.Second))
		var w store.WriteBack
		h.WaitFor("the write blocked", func() bool {
			ws, _ := s.ListStoreWrites(ctx, store.WriteBackFilter{ShopID: shop.ID, Limit: 10})
			if len(ws) == 1 {
				w = ws[0]
			}
			return len(ws) == 1 && strings.Contains(ws[0].LastError, "no store credentials")
		})
		err := s.InTx(ctx, func(tx *store.Tx) error { return tx.UninstallShop(ctx, shop.ID) })
		if err != nil {
			t.Fatal(err)
		}
		h.Stores.With(shop.ID) // credentials again; the shop is uninstalled though
		task, _ := jobs.NewStoreWriteTask(w)
		if err := h.Handlers.StoreWrite.ProcessTask(ctx, task); err != nil {
			t.Fatal(err)
		}
		h.RunPeriodic(jobs.TypeStorePollDue, time.Now().Add(time.Hour))
		quiet()
		if w, _ = s.StoreWrite(ctx, w.ID); w.Status != store.StoreWritePending || !strings.Contains(w.LastError, "uninstalled") {
			t.Errorf("write = %+v, want pending, saying the shop is uninstalled", w)
		}
		if calls := h.Stores.Calls("", false); len(calls) != 0 {
			t.Errorf("calls while uninstalled = %+v, want none (no write, no poll)", calls)
		}
		if err := s.ReactivateShop(ctx, shop.ID); err != nil {
			t.Fatal(err)
		}
		h.RunPeriodic(jobs.TypeStorePollDue, time.Now().Add(time.Hour))
		h.WaitFor("the write made after reactivation", func() bool {
			w, _ = s.StoreWrite(ctx, w.ID)
			return w.Status == store.StoreWriteDone
		})
	})
}

// A write task of a state that is no longer the committed one (decided
// before another item's reconcile of the same order committed) writes the
// state committed when it runs: here, the one already written.
func TestAStaleOrderWriteWritesWhatIsCommittedWhenItRuns(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := jobs.NewHarness(t, s)
		shop := storeShop(t, h, "stale.myshopify.com", true, nil)
		h.StartWorker()
		t0 := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
		kettleWaits(t, h, shop, t0)
		h.WaitFor("the waiting order written", func() bool { return len(h.Stores.Calls("SyncOrder", true)) == 1 })
		ctx := context.Background()
		var stale store.WriteBack
		if err := s.InTx(ctx, func(tx *store.Tx) (err error) {
			stale, _, err = tx.WantStoreWrite(ctx, shop.ID, store.StoreWriteOrder, "601",
				`{"order":{"OrderID":"601","Lines":[{"LineID":"1","ItemID":"777","Waiting":5}]},"writes":{"Tag":true}}`, "stale")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if err := h.Dispatcher.EnqueueStoreWrite(ctx, stale); err != nil {
			t.Fatal(err)
		}
		h.WaitFor("the row back at the state written", func() bool {
			w, err := s.StoreWrite(ctx, stale.ID)
			return err == nil && w.Status == store.StoreWriteDone && w.WantedHash == w.WrittenHash
		})
		quiet()
		if calls := h.Stores.Calls("SyncOrder", false); len(calls) != 1 {
			t.Errorf("order writes = %+v, want only the first: the stale state is never written", calls)
		}
	})
}

// A state refused for good (its task archived) and wanted again later, after
// another state was written between, is written: the new want is a new
// task, not a conflict with the archived one taken for queued.
func TestAStateWantedAgainAfterItsTaskWasArchivedIsWritten(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := jobs.NewHarness(t, s)
		one := 1
		shop := storeShop(t, h, "again.myshopify.com", true, func(sh *store.Shop) { sh.WaitingCap = &one })
		h.Stores.Fail("SetSelling", &storeapi.Error{Op: "productVariantsBulkUpdate", StatusCode: 403,
			Message: "access denied: write_products"})
		h.StartWorker()
		t0 := time.Now().Add(-3 * time.Hour).Truncate(time.Second)
		kettleWaits(t, h, shop, t0) // at the cap: DENY, refused for good
		h.WaitFor("the stop refused", func() bool { return len(h.Stores.Calls("SetSelling", false)) == 1 })
		restockKettle(t, h, shop, t0) // below the cap: CONTINUE, written
		h.WaitFor("the restart written", func() bool { return len(h.Stores.Calls("SetSelling", true)) == 1 })
		// Another order's kettle waits: at the cap again, DENY again.
		h.Record(shop.ID, "orders/create", "order-603", jobs.TwoLineOrder(603, "ash@example.net", t0.Add(2*time.Hour)))
		h.WaitFor("the kettle's stop written this time", func() bool {
			calls := h.Stores.Calls("SetSelling", true)
			return len(calls) > 1 && slices.ContainsFunc(calls[1:], func(c jobs.StoreCall) bool {
				it := c.Arg.(storeapi.Item)
				return it.ItemID == "777" && it.StopSelling
			})
		})
	})
}

// A cancellation the store refuses for good (the order was fulfilled
// meanwhile) tells the customer the wait passed the maximum instead: the
// message the cancellation was to replace.
func TestACancellationTheStoreRefusesTellsTheCustomerTheWaitPassed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := jobs.NewHarness(t, s)
		today := jobs.Today()
		shop := cancellingShop(t, h, today)
		h.Stores.Fail("CancelOrder", &storeapi.Error{Op: "orderCancel", StatusCode: 200, Code: "USER_ERROR",
			Message: "order cannot be cancelled: it is fulfilled"})
		h.PastMaxWait(today)
		h.WaitFor("601's customer told the wait passed", func() bool { return len(h.Emails(shop.ID, "wait_exceeded", "601")) == 1 })
		quiet()
		if n := len(h.Stores.Calls("CancelOrder", false)); n != 1 {
			t.Errorf("cancels = %d, want 1: a refusal for good is not retried", n)
		}
		if n := len(h.Emails(shop.ID, "wait_exceeded", "")); n != 1 {
			t.Errorf("wait_exceeded messages = %d, want 1", n)
		}
	})
}

// cancellingShop is a shop with store credentials that cancels orders
// waiting past 30 days, with 601 placed 40 days before today (past it) and
// another order 5 days before.
func cancellingShop(t *testing.T, h *jobs.Harness, today time.Time) store.Shop {
	t.Helper()
	thirty := 30
	shop, _ := waitingKettles(t, h, func(sh *store.Shop) { sh.MaxWaitDays, sh.CancelAfterMaxWait = &thirty, true },
		today.AddDate(0, 0, -40), today.AddDate(0, 0, -5))
	if err := h.Store.SetShopCredentials(context.Background(), shop.ID, []byte("sealed")); err != nil {
		t.Fatal(err)
	}
	return shop
}
