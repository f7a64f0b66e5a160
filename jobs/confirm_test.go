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

// twoItems is a product of two variants: 777 (stock key 7770) and 888 (8880).
const twoItems = `{"id":77,"title":"Kiln set","updated_at":"2026-01-01T00:00:00Z","variants":[` +
	`{"id":777,"product_id":77,"title":"Kettle","sku":"KETTLE","inventory_item_id":7770,"inventory_policy":"continue","inventory_quantity":0},` +
	`{"id":888,"product_id":77,"title":"Teapot","sku":"TEAPOT","inventory_item_id":8880,"inventory_policy":"continue","inventory_quantity":1}]}`

func levelOf(stockKey, available int, at time.Time) []byte {
	return []byte(fmt.Sprintf(`{"inventory_item_id":%d,"location_id":1,"available":%d,"updated_at":%q}`,
		stockKey, available, at.Format(time.RFC3339)))
}

// twoLineOrder is an order of one kettle and one teapot, to address.
func twoLineOrder(id int, address string, placed time.Time) []byte {
	return []byte(fmt.Sprintf(`{"id":%d,"name":"#%d","email":%q,"created_at":%q,"updated_at":%q,"financial_status":"paid",`+
		`"customer":{"id":5,"email":%q,"first_name":"Wren"},"line_items":[`+
		`{"id":1,"variant_id":777,"product_id":77,"sku":"KETTLE","name":"Kettle","quantity":1,"fulfillable_quantity":1},`+
		`{"id":2,"variant_id":888,"product_id":77,"sku":"TEAPOT","name":"Teapot","quantity":1,"fulfillable_quantity":1}]}`,
		id, id, address, placed.Format(time.RFC3339), placed.Format(time.RFC3339), address))
}

func (e *env) emails(shopID int64, kind, order string) []store.Email {
	e.t.Helper()
	es, err := e.store.ListEmails(context.Background(), store.EmailFilter{ShopID: shopID, Kind: kind, Order: order, Limit: 100})
	if err != nil {
		e.t.Fatal(err)
	}
	return es
}

// notifyAgain runs the order's notify task once more, as a later reconcile
// would, and waits for it.
func (e *env) notifyAgain(shopID int64, orderID string) {
	e.t.Helper()
	ctx := context.Background()
	var task store.OutboxTask
	err := e.dispatcher.InTx(ctx, e.store, func(tx *store.Tx, out *jobs.Outbox) error {
		var err error
		task, err = out.Add(ctx, jobs.TypeOrderMessages, jobs.QueueDefault, jobs.OrderMessagesArgs{ShopID: shopID, OrderIDs: []string{orderID}}, time.Time{})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	waitFor(e.t, "notify task done", func() bool { return e.outboxStatus(task.ID) == store.OutboxDone })
}

func TestALineThatStartsWaitingLaterGetsItsOwnConfirmation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s)
		e.startWorker()
		shop, err := s.AddShop(context.Background(), store.NewShop(store.Shopify, "two.myshopify.com", "secret"))
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		e.record(shop.ID, "products/update", "product", []byte(twoItems))
		e.record(shop.ID, "inventory_levels/update", "kettle-0", levelOf(7770, 0, t0))
		e.record(shop.ID, "inventory_levels/update", "teapot-1", levelOf(8880, 1, t0))
		e.record(shop.ID, "orders/create", "order", twoLineOrder(501, "wren@example.net", t0.Add(time.Second)))

		// The kettle goes short; the teapot comes from stock.
		waitFor(t, "the kettle's confirmation", func() bool { return len(e.emails(shop.ID, "backordered", "501")) == 1 })
		first := e.emails(shop.ID, "backordered", "501")[0]
		if !strings.Contains(first.TextBody, "KETTLE") || strings.Contains(first.TextBody, "TEAPOT") {
			t.Fatalf("first confirmation:\n%s\nwant the kettle only", first.TextBody)
		}

		// Later the store says the teapot was sold twice: it waits too.
		e.record(shop.ID, "inventory_levels/update", "teapot-minus-1", levelOf(8880, -1, t0.Add(time.Hour)))
		waitFor(t, "the teapot waits", func() bool {
			bos, _ := s.ListBackorders(context.Background(), store.BackorderFilter{ShopID: shop.ID, SKU: "TEAPOT", Limit: 10})
			return len(bos) == 1 && bos[0].Waiting == 1
		})
		waitFor(t, "the teapot's confirmation", func() bool { return len(e.emails(shop.ID, "backordered", "501")) == 2 })
		second := e.emails(shop.ID, "backordered", "501")[0] // newest first
		if !strings.Contains(second.TextBody, "TEAPOT") || strings.Contains(second.TextBody, "KETTLE") {
			t.Fatalf("second confirmation:\n%s\nwant the teapot, which is what is new", second.TextBody)
		}

		// A later run with the same waiting lines writes nothing.
		e.notifyAgain(shop.ID, "501")
		if n := len(e.emails(shop.ID, "backordered", "501")); n != 2 {
			t.Fatalf("confirmations after a re-run = %d, want still 2", n)
		}
	})
}

func TestAnOrderWithNoAddressGetsNoCustomerMail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s)
		e.startWorker()
		shop, err := s.AddShop(context.Background(), store.NewShop(store.Shopify, "noaddr.myshopify.com", "secret"))
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
		e.record(shop.ID, "products/update", "product", []byte(twoItems))
		e.record(shop.ID, "inventory_levels/update", "kettle-0", levelOf(7770, 0, t0))
		// An order whose address was erased (customers/redact), or never given.
		e.record(shop.ID, "orders/create", "order", twoLineOrder(502, "", t0.Add(time.Second)))
		waitFor(t, "the kettle waits", func() bool {
			bos, _ := s.ListBackorders(context.Background(), store.BackorderFilter{ShopID: shop.ID, Limit: 10})
			return len(bos) == 1
		})
		e.notifyAgain(shop.ID, "502")
		if es := e.emails(shop.ID, "", "502"); len(es) != 0 {
			t.Fatalf("emails to an order without an address: %+v", es[0])
		}
	})
}
