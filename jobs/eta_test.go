package jobs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// kettles returns the shop's kettle backorders by order id.
func kettles(t *testing.T, s *store.Store, shopID int64) map[string]store.BackorderEntry {
	t.Helper()
	bos, err := s.ListBackorders(context.Background(), store.BackorderFilter{ShopID: shopID, SKU: "KETTLE", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]store.BackorderEntry{}
	for _, b := range bos {
		m[b.OrderID] = b
	}
	return m
}

func date(t *time.Time) string {
	if t == nil {
		return "none"
	}
	return t.UTC().Format(time.DateOnly)
}

func TestWaitingCustomersAreToldWhenTheirKettleComesAndWhenThatDateMoves(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := jobs.NewHarness(t, s)
		shop, sp := kettleShop(t, h, 2) // one handling day, a supplier with a lead time of 10 days

		// No order covers the kettles: the supplier's lead time and the
		// shop's handling day, in the confirmation.
		today := jobs.Today()
		estimate := today.AddDate(0, 0, 11).Format(time.DateOnly)
		// 602 also waits for the one teapot short: the two items settle
		// apart, so its kettle and its teapot may be confirmed together or
		// in two messages.
		h.WaitFor("both confirmations", func() bool {
			return len(h.Emails(shop.ID, "backordered", "601")) == 1 && len(h.Emails(shop.ID, "backordered", "602")) >= 1
		})
		if body := h.Emails(shop.ID, "backordered", "601")[0].TextBody; !strings.Contains(body, "estimated around "+estimate) {
			t.Fatalf("confirmation:\n%s\nwant the kettle estimated around %s", body, estimate)
		}

		// A sent order of one kettle covers the oldest order: expected, sent
		// today plus the lead time; the other keeps its estimate. The date
		// is the same: nobody is told of a change.
		po := h.SentPO(shop.ID, sp.ID, "777", 1, time.Now())
		h.Reconcile(shop.ID, "777")
		k := kettles(t, s, shop.ID)
		if b := k["601"]; b.ETAKind != "expected" || date(b.ETA) != estimate {
			t.Errorf("601 = %s %s, want expected %s", b.ETAKind, date(b.ETA), estimate)
		}
		if b := k["602"]; b.ETAKind != "estimate" || date(b.ETA) != estimate {
			t.Errorf("602 = %s %s, want estimate %s", b.ETAKind, date(b.ETA), estimate)
		}
		if es := h.Emails(shop.ID, "eta_changed", ""); len(es) != 0 {
			t.Fatalf("ETA changes told = %d, want none: no date moved", len(es))
		}

		// The supplier confirms a later date: 601's kettle is confirmed for
		// it, 602's estimate cannot be earlier; each order is told once.
		later := today.AddDate(0, 0, 30)
		h.SetPO(po.ID, func(p *store.PurchaseOrder) { p.Status, p.ExpectedAt = store.POConfirmed, &later })
		h.Reconcile(shop.ID, "777")
		confirmed := later.AddDate(0, 0, 1).Format(time.DateOnly)
		k = kettles(t, s, shop.ID)
		if b := k["601"]; b.ETAKind != "confirmed" || date(b.ETA) != confirmed {
			t.Errorf("601 = %s %s, want confirmed %s", b.ETAKind, date(b.ETA), confirmed)
		}
		for _, order := range []string{"601", "602"} {
			es := h.Emails(shop.ID, "eta_changed", order)
			if len(es) != 1 {
				t.Fatalf("ETA changes told to %s = %d, want 1", order, len(es))
			}
			if !strings.Contains(es[0].TextBody, "(it was "+estimate+")") || !strings.Contains(es[0].TextBody, confirmed) {
				t.Errorf("ETA change to %s:\n%s\nwant %s → %s", order, es[0].TextBody, estimate, confirmed)
			}
		}
		if body := h.Emails(shop.ID, "eta_changed", "601")[0].TextBody; !strings.Contains(body, "confirmed by the supplier for "+confirmed) {
			t.Errorf("601's ETA change:\n%s\nwant confirmed by the supplier", body)
		}

		// Again, and a second change the same day: nobody is told twice a day.
		h.Reconcile(shop.ID, "777")
		later = later.AddDate(0, 0, 5)
		h.SetPO(po.ID, func(p *store.PurchaseOrder) { p.ExpectedAt = &later })
		h.Reconcile(shop.ID, "777")
		if k = kettles(t, s, shop.ID); date(k["601"].ETA) != later.AddDate(0, 0, 1).Format(time.DateOnly) {
			t.Errorf("601's ETA = %s after the second change, want %s", date(k["601"].ETA), later.AddDate(0, 0, 1).Format(time.DateOnly))
		}
		for _, order := range []string{"601", "602"} {
			if n := len(h.Emails(shop.ID, "eta_changed", order)); n != 1 {
				t.Errorf("ETA changes told to %s = %d after a re-run and a second change today, want still 1", order, n)
			}
		}
	})
}
