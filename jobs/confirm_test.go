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

func TestALineThatStartsWaitingLaterGetsItsOwnConfirmation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := jobs.NewHarness(t, s)
		e.StartWorker()
		shop, err := s.AddShop(context.Background(), store.NewShop(store.Shopify, "two.myshopify.com", "secret"))
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		e.Record(shop.ID, "products/update", "product", []byte(jobs.TwoItems))
		e.Record(shop.ID, "inventory_levels/update", "kettle-0", jobs.LevelOf(7770, 0, t0))
		e.Record(shop.ID, "inventory_levels/update", "teapot-1", jobs.LevelOf(8880, 1, t0))
		e.Record(shop.ID, "orders/create", "order", jobs.TwoLineOrder(501, "wren@example.net", t0.Add(time.Second)))

		// The kettle goes short; the teapot comes from stock.
		e.WaitFor("the kettle's confirmation", func() bool { return len(e.Emails(shop.ID, "backordered", "501")) == 1 })
		first := e.Emails(shop.ID, "backordered", "501")[0]
		if !strings.Contains(first.TextBody, "KETTLE") || strings.Contains(first.TextBody, "TEAPOT") {
			t.Fatalf("first confirmation:\n%s\nwant the kettle only", first.TextBody)
		}

		// Later the store says the teapot was sold twice: it waits too.
		e.Record(shop.ID, "inventory_levels/update", "teapot-minus-1", jobs.LevelOf(8880, -1, t0.Add(time.Hour)))
		e.WaitFor("the teapot waits", func() bool {
			bos, _ := s.ListBackorders(context.Background(), store.BackorderFilter{ShopID: shop.ID, SKU: "TEAPOT", Limit: 10})
			return len(bos) == 1 && bos[0].Waiting == 1
		})
		e.WaitFor("the teapot's confirmation", func() bool { return len(e.Emails(shop.ID, "backordered", "501")) == 2 })
		second := e.Emails(shop.ID, "backordered", "501")[0] // newest first
		if !strings.Contains(second.TextBody, "TEAPOT") || strings.Contains(second.TextBody, "KETTLE") {
			t.Fatalf("second confirmation:\n%s\nwant the teapot, which is what is new", second.TextBody)
		}

		// A later run with the same waiting lines writes nothing.
		e.RunOutbox(jobs.TypeOrderMessages, jobs.OrderMessagesArgs{ShopID: shop.ID, OrderIDs: []string{"501"}})
		if n := len(e.Emails(shop.ID, "backordered", "501")); n != 2 {
			t.Fatalf("confirmations after a re-run = %d, want still 2", n)
		}
	})
}

func TestAnOrderWithNoAddressGetsNoCustomerMail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := jobs.NewHarness(t, s)
		e.StartWorker()
		shop, err := s.AddShop(context.Background(), store.NewShop(store.Shopify, "noaddr.myshopify.com", "secret"))
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		e.Record(shop.ID, "products/update", "product", []byte(jobs.TwoItems))
		e.Record(shop.ID, "inventory_levels/update", "kettle-0", jobs.LevelOf(7770, 0, t0))
		// An order whose address was erased (customers/redact), or never given.
		e.Record(shop.ID, "orders/create", "order", jobs.TwoLineOrder(502, "", t0.Add(time.Second)))
		e.WaitFor("the kettle waits", func() bool {
			bos, _ := s.ListBackorders(context.Background(), store.BackorderFilter{ShopID: shop.ID, Limit: 10})
			return len(bos) == 1
		})
		e.RunOutbox(jobs.TypeOrderMessages, jobs.OrderMessagesArgs{ShopID: shop.ID, OrderIDs: []string{"502"}})
		if es := e.Emails(shop.ID, "", "502"); len(es) != 0 {
			t.Fatalf("emails to an order without an address: %+v", es[0])
		}
	})
}
