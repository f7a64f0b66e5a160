package jobs_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

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

func shopifyLevel(available int, at time.Time) []byte {
	return []byte(fmt.Sprintf(`{"inventory_item_id":7770,"location_id":1,"available":%d,"updated_at":%q}`,
		available, at.Format(time.RFC3339)))
}

const shopifyProduct = `{"id":77,"title":"The One","updated_at":"2026-01-01T00:00:00Z","variants":[` +
	`{"id":777,"product_id":77,"title":"Default Title","sku":"ONE","inventory_item_id":7770,"inventory_policy":"continue","inventory_quantity":1}]}`

// record writes a delivery and enqueues its task, as the receiver does.
func (e *env) record(shopID int64, topic, key string, body []byte) {
	e.t.Helper()
	ctx := context.Background()
	id, _, err := e.store.RecordDelivery(ctx, store.Delivery{ShopID: shopID, Topic: topic, DedupeKey: key,
		Body: body, ReceivedAt: time.Now()})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.dispatcher.EnqueueDelivery(ctx, id); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) settled(what string, cond func([]store.BackorderEntry, store.LedgerRow) bool, shopID int64) []store.BackorderEntry {
	e.t.Helper()
	var es []store.BackorderEntry
	var led store.LedgerRow
	waitFor(e.t, what, func() bool {
		var err error
		if es, err = e.store.ListBackorders(context.Background(), store.BackorderFilter{ShopID: shopID, Limit: 500}); err != nil {
			e.t.Fatal(err)
		}
		led, _ = e.store.Ledger(context.Background(), shopID, "777")
		return led.FirstFactAt == nil && cond(es, led)
	})
	return es
}

func TestFiftyOrdersAtOnceForOneUnitOnFourWorkers(t *testing.T) {
	s := storetest.New(t, store.Postgres)
	e := newEnv(t, s)
	ctx := context.Background()
	shop, err := s.AddShop(ctx, store.NewShop(store.Shopify, "one.myshopify.com", "secret"))
	if err != nil {
		t.Fatal(err)
	}
	srv := jobs.NewServer(e.rc, jobs.WorkerConfig{Concurrency: 4, ShutdownTimeout: 5 * time.Second}, e.log)
	settle := jobs.Settle{}
	m := jobs.NewMetrics(prometheus.NewRegistry())
	if err := srv.Start(jobs.NewMux(jobs.Handlers{
		Delivery:         jobs.NewDeliveryHandler(s, e.dispatcher, settle, m, e.log),
		Spool:            e.dispatcher.SpoolHandler(s),
		Relay:            e.relay.Handler(),
		Reconcile:        jobs.NewReconciler(s, e.dispatcher, settle, m, e.log).Handler(),
		FullCheck:        e.dispatcher.FullCheckHandler(s),
		OrderMessages:    jobs.NewOrderMessages(s, e.dispatcher, e.log).Handler(),
		SendEmail:        jobs.NewMailer(s, e.dispatcher, nil, m, e.log).Handler(),
		PeriodicMessages: jobs.NewPeriodicMessages(s, e.dispatcher, time.Minute, e.log).Handler(),
		Privacy:          jobs.NewPrivacyScanner(s, e.dispatcher).Handler(),
	})); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)

	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	e.record(shop.ID, "products/update", "product", []byte(shopifyProduct))
	e.record(shop.ID, "inventory_levels/update", "level-1", shopifyLevel(1, t0))
	for i := 1; i <= 50; i++ {
		e.record(shop.ID, "orders/create", fmt.Sprint("order-", i), shopifyOrder(1000+i, t0.Add(time.Duration(i)*time.Second)))
	}
	es := e.settled("49 waiting", func(es []store.BackorderEntry, led store.LedgerRow) bool {
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
	e.record(shop.ID, "inventory_levels/update", "level-2", shopifyLevel(-39, t0.Add(time.Hour)))
	es = e.settled("10 allocated", func(es []store.BackorderEntry, led store.LedgerRow) bool {
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
