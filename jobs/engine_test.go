package jobs_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// shopifyOrder is a minimal orders/create body: one line of one unit.
func shopifyOrder(id int, placed time.Time) []byte {
	return []byte(fmt.Sprintf(`{"id":%d,"name":"#%d","created_at":%q,"updated_at":%q,"financial_status":"paid",`+
		`"line_items":[{"id":%d,"variant_id":777,"product_id":77,"sku":"ONE","name":"The One","quantity":1,"fulfillable_quantity":1}]}`,
		id, id, placed.Format(time.RFC3339), placed.Format(time.RFC3339), id*10))
}

const shopifyProduct = `{"id":77,"title":"The One","updated_at":"2026-01-01T00:00:00Z","variants":[` +
	`{"id":777,"product_id":77,"title":"Default Title","sku":"ONE","inventory_item_id":7770,"inventory_policy":"continue","inventory_quantity":1}]}`

func TestFiftyOrdersAtOnceForOneUnitOnFourWorkers(t *testing.T) {
	s := storetest.New(t, store.Postgres)
	e := jobs.NewHarness(t, s)
	ctx := context.Background()
	shop, err := s.AddShop(ctx, store.NewShop(store.Shopify, "one.myshopify.com", "secret"))
	if err != nil {
		t.Fatal(err)
	}
	e.StartWorker()

	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	e.Record(shop.ID, "products/update", "product", []byte(shopifyProduct))
	e.Record(shop.ID, "inventory_levels/update", "level-1", jobs.LevelOf(7770, 1, t0))
	for i := 1; i <= 50; i++ {
		e.Record(shop.ID, "orders/create", fmt.Sprint("order-", i), shopifyOrder(1000+i, t0.Add(time.Duration(i)*time.Second)))
	}
	es := e.Settled("49 waiting", func(es []store.BackorderEntry, led store.LedgerRow) bool {
		return led.Waiting == 49 && len(es) == 49
	}, shop.ID)
	for _, b := range es {
		if b.OrderID == "1001" {
			t.Fatal("the oldest order waits; it should have the one unit in stock")
		}
		if b.Waiting != 1 || b.Backordered != 1 || b.Allocated != 0 {
			t.Fatalf("backorder = %+v, want 1 waiting", b)
		}
	}

	// A restock of 10: the 10 oldest waiting orders, 1002–1011, get them.
	e.Record(shop.ID, "inventory_levels/update", "level-2", jobs.LevelOf(7770, -39, t0.Add(time.Hour)))
	es = e.Settled("10 allocated", func(es []store.BackorderEntry, led store.LedgerRow) bool {
		return led.Waiting == 39
	}, shop.ID)
	allocated := 0
	for _, b := range es {
		var n int
		_, _ = fmt.Sscan(b.OrderID, &n)
		want := 0
		if n <= 1011 {
			want = 1
		}
		if b.Allocated != want || b.Allocated+b.Waiting != 1 {
			t.Errorf("order %s: allocated %d waiting %d, want allocated %d", b.OrderID, b.Allocated, b.Waiting, want)
		}
		allocated += b.Allocated
	}
	if allocated != 10 {
		t.Fatalf("allocated %d units, want exactly 10", allocated)
	}
}
