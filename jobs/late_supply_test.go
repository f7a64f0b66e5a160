package jobs_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// waitingKettles starts the worker on a shop with a merchant address whose
// kettle (item 777, a 10-day supplier "kiln", one handling day) is out of
// stock, and orders 601, 602, … placed at the times given, each waiting
// for a kettle; edit, when not nil, changes the shop first.
func waitingKettles(t *testing.T, h *jobs.Harness, edit func(*store.Shop), placed ...time.Time) (store.Shop, store.Supplier) {
	t.Helper()
	ctx := context.Background()
	shop := store.NewShop(store.Shopify, "late.myshopify.com", "secret")
	shop.Name, shop.MerchantEmail = "Harbor & Kiln", "owner@example.com"
	if edit != nil {
		edit(&shop)
	}
	shop, err := h.Store.AddShop(ctx, shop)
	if err != nil {
		t.Fatal(err)
	}
	sp := h.Supplier("kiln", 10)
	h.Terms(store.ItemSupplier{ShopID: shop.ID, ItemID: "777", SupplierID: sp.ID, Preferred: true})
	h.StartWorker()
	h.Record(shop.ID, "products/update", "product", []byte(jobs.TwoItems))
	h.Record(shop.ID, "inventory_levels/update", "kettle-0", jobs.LevelOf(7770, 0, placed[0].Add(-time.Hour)))
	for i, at := range placed {
		id := 601 + i
		h.Record(shop.ID, "orders/create", fmt.Sprint("order-", id), jobs.TwoLineOrder(id, fmt.Sprintf("c%d@example.net", id), at))
	}
	h.WaitFor("every kettle waiting", func() bool {
		n := 0
		for _, b := range kettles(t, h.Store, shop.ID) {
			if b.Waiting == 1 {
				n++
			}
		}
		return n == len(placed)
	})
	return shop, sp
}

func TestAnOverdueOrderTellsTheMerchantAndTheCustomersItCoveredOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := jobs.NewHarness(t, s)
		t0 := time.Now().Add(-time.Hour)
		shop, sp := waitingKettles(t, h, nil, t0, t0.Add(time.Second), t0.Add(2*time.Second))
		// Two kettles confirmed for in 5 days: 601 and 602 wait for them,
		// 603 for an estimate.
		due := jobs.Today().AddDate(0, 0, 5)
		po := h.SentPO(shop.ID, sp.ID, "777", 2, time.Now())
		h.SetPO(po.ID, func(p *store.PurchaseOrder) { p.Status, p.ExpectedAt = store.POConfirmed, &due })
		// Another supplier delivered in full, late: never overdue.
		other := h.Supplier("brill", 3)
		done := h.SentPO(shop.ID, other.ID, "888", 1, time.Now())
		early := jobs.Today().AddDate(0, 0, 1)
		h.SetPO(done.ID, func(p *store.PurchaseOrder) { p.Status, p.ExpectedAt = store.POReceived, &early })
		h.Reconcile(shop.ID, "777")
		estimate := kettles(t, s, shop.ID)["603"].ETA

		// Two days after the date, nothing has come.
		changes := len(h.Emails(shop.ID, "eta_changed", ""))
		today := due.AddDate(0, 0, 2)
		if err := h.Purchasing.RunSupply(context.Background(), today.Add(9*time.Hour)); err != nil {
			t.Fatal(err)
		}
		missed := due.Format(time.DateOnly)
		overdue := h.Emails(shop.ID, "merchant_po_overdue", "")
		if len(overdue) != 1 || overdue[0].DedupeKey != fmt.Sprintf("po:%d:overdue:%s", po.ID, missed) {
			t.Fatalf("merchant told = %+v, want once of purchase order %d", overdue, po.ID)
		}
		if body := overdue[0].TextBody; !strings.Contains(body, "from kiln was expected by "+missed) ||
			!strings.Contains(body, "item 777: 2 units due, 3 orders waiting") {
			t.Errorf("merchant's message:\n%s\nwant kiln's date and 2 kettles due for 3 orders (the line has no title: the item is named)", body)
		}
		got, _, events, err := s.PurchaseOrder(context.Background(), po.ID)
		if err != nil || got.OverdueAt == nil || !got.OverdueAt.Equal(due) || events[len(events)-1].Kind != "overdue" {
			t.Errorf("purchase order = overdue at %v, trail %+v, %v; want overdue at %s", got.OverdueAt, events, err, missed)
		}
		// The covered customers: delayed, the new date counted from today.
		newETA := today.AddDate(0, 0, 1).Format(time.DateOnly)
		k := kettles(t, s, shop.ID)
		for _, order := range []string{"601", "602"} {
			es := h.Emails(shop.ID, "delayed", order)
			if len(es) != 1 || es[0].DedupeKey != "order:"+order+":delayed:"+missed {
				t.Fatalf("delayed messages to %s = %+v, want one for %s", order, es, missed)
			}
			if body := es[0].TextBody; !strings.Contains(body, "was expected by "+due.AddDate(0, 0, 1).Format(time.DateOnly)) ||
				!strings.Contains(body, "confirmed by the supplier for "+newETA) {
				t.Errorf("delayed message to %s:\n%s\nwant the old date and the new one, %s", order, body, newETA)
			}
			if date(k[order].ETA) != newETA {
				t.Errorf("%s's ETA = %s, want %s", order, date(k[order].ETA), newETA)
			}
		}
		if n := len(h.Emails(shop.ID, "eta_changed", "")); n != changes {
			t.Errorf("ETA changes = %d after the check, want still %d: the delayed message is the news", n, changes)
		}
		if es := h.Emails(shop.ID, "delayed", "603"); len(es) != 0 || date(k["603"].ETA) != date(estimate) {
			t.Errorf("603, which the order did not cover: %d delayed messages, ETA %s; want none, still %s",
				len(es), date(k["603"].ETA), date(estimate))
		}

		// Again, the same day and the next: nothing new.
		all := len(h.Emails(shop.ID, "", ""))
		h.LateSupply(today)
		h.LateSupply(today.AddDate(0, 0, 1))
		if n := len(h.Emails(shop.ID, "", "")); n != all {
			t.Errorf("emails after two more runs = %d, want still %d", n, all)
		}
		// While the order stays late its ETAs count from each new day: no
		// ETA change a day on top of the delayed message.
		for day := 1; day <= 3; day++ {
			h.RecomputeETA(shop.ID, "777", today.AddDate(0, 0, day))
		}
		if n := len(h.Emails(shop.ID, "eta_changed", "")); n != changes {
			t.Errorf("ETA changes after three late days = %d, want still %d", n, changes)
		}
	})
}

func TestWaitingPastTheMaximumWaitTellsTheCustomerAndTheMerchantOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := jobs.NewHarness(t, s)
		thirty := 30
		today := jobs.Today()
		shop, _ := waitingKettles(t, h, func(sh *store.Shop) { sh.MaxWaitDays = &thirty },
			today.AddDate(0, 0, -40), today.AddDate(0, 0, -5))
		if err := h.Purchasing.RunSupply(context.Background(), today.Add(9*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if es := h.Emails(shop.ID, "wait_exceeded", "601"); len(es) != 1 || es[0].DedupeKey != "order:601:wait-exceeded" ||
			!strings.Contains(es[0].TextBody, "waited more than 30 days") {
			t.Fatalf("601's notices = %+v, want one", es)
		}
		if es := h.Emails(shop.ID, "wait_exceeded", "602"); len(es) != 0 {
			t.Errorf("602, 5 days old, was told %d times", len(es))
		}
		merchant := h.Emails(shop.ID, "merchant_wait_exceeded", "")
		if len(merchant) != 1 || merchant[0].DedupeKey != "wait-exceeded:"+today.Format(time.DateOnly) ||
			!strings.Contains(merchant[0].TextBody, "#601: 1 unit waiting after 40 days") || strings.Contains(merchant[0].TextBody, "#602") {
			t.Fatalf("merchant's notices = %+v, want one listing #601 alone", merchant)
		}
		// Later runs, today and tomorrow: nobody is told again.
		h.PastMaxWait(today)
		h.PastMaxWait(today.AddDate(0, 0, 1))
		if n, m := len(h.Emails(shop.ID, "wait_exceeded", "")), len(h.Emails(shop.ID, "merchant_wait_exceeded", "")); n != 1 || m != 1 {
			t.Errorf("notices after more runs = %d customer, %d merchant; want 1 and 1", n, m)
		}
	})
}

func TestTheDigestShowsOpenAndOverdueOrdersAndETAsThatSlipped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := jobs.NewHarness(t, s)
		t0 := time.Now().Add(-time.Hour)
		shop, sp := waitingKettles(t, h, nil, t0)
		today := jobs.Today()
		first, later := today.AddDate(0, 0, 5), today.AddDate(0, 0, 9)
		po := h.SentPO(shop.ID, sp.ID, "777", 1, time.Now())
		h.SetPO(po.ID, func(p *store.PurchaseOrder) { p.Status, p.ExpectedAt = store.POConfirmed, &first })
		h.Reconcile(shop.ID, "777")
		h.SetPO(po.ID, func(p *store.PurchaseOrder) { p.ExpectedAt = &later })
		h.Reconcile(shop.ID, "777")
		other := h.Supplier("brill", 3)
		late := h.SentPO(shop.ID, other.ID, "999", 4, time.Now())
		missed := today.AddDate(0, 0, -2)
		h.SetPO(late.ID, func(p *store.PurchaseOrder) { p.Status, p.ExpectedAt = store.POConfirmed, &missed })

		h.RunPeriodic(jobs.TypePeriodicMessages, today.Add(8*time.Hour))
		digest := h.Emails(shop.ID, "merchant_digest", "")
		if len(digest) != 1 {
			t.Fatalf("digests = %d, want 1", len(digest))
		}
		body := digest[0].TextBody
		for _, want := range []string{
			"2 open purchase orders",
			fmt.Sprintf("PO %d from brill: expected %s, 4 units due", late.ID, missed.Format(time.DateOnly)),
			fmt.Sprintf("#601 KETTLE: %s → %s", first.AddDate(0, 0, 1).Format(time.DateOnly), later.AddDate(0, 0, 1).Format(time.DateOnly)),
		} {
			if !strings.Contains(body, want) {
				t.Errorf("digest:\n%s\nwant %q", body, want)
			}
		}
		if strings.Contains(body, fmt.Sprintf("PO %d ", po.ID)) {
			t.Errorf("digest:\n%s\nlists purchase order %d, which is not late", body, po.ID)
		}
	})
}
