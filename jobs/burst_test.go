package jobs_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/store"
)

// burstOrder is an orders/create body with one line of qty[i] units of each
// of items, in the order given.
func burstOrder(id int, placed time.Time, items []int, qty []int) []byte {
	lines := make([]string, len(items))
	for i, it := range items {
		lines[i] = fmt.Sprintf(`{"id":%d,"variant_id":%d,"product_id":9,"sku":"S%d","name":"Item %d","quantity":%d,"fulfillable_quantity":%d}`,
			id*10+i, it, it, it, qty[i], qty[i])
	}
	ts := placed.Format(time.RFC3339)
	return []byte(fmt.Sprintf(`{"id":%d,"name":"#%d","created_at":%q,"updated_at":%q,"financial_status":"paid","line_items":[%s]}`,
		id, id, ts, ts, strings.Join(lines, ",")))
}

// TestFlashSaleOnTwoWorkersSettlesWithoutADeadlock is a flash sale: 600
// orders of 3–5 of 20 items each, listed in random order, delivered at once
// to two workers of ten. Every item's waiting units come out as its demand
// less its stock, and no task fails or retries on a deadlock.
func TestFlashSaleOnTwoWorkersSettlesWithoutADeadlock(t *testing.T) {
	// Two workers of ten, with no settle delay.
	e := flashWorkers(t, 0, 10)
	ctx := context.Background()
	shop, err := e.Store.AddShop(ctx, store.NewShop(store.Shopify, "sale.myshopify.com", "secret"))
	if err != nil {
		t.Fatal(err)
	}
	const items, orders, stock = 20, 600, 40
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	err = e.Store.InTx(ctx, func(tx *store.Tx) error {
		for it := 1; it <= items; it++ {
			level := stock
			v := backorder.Version{At: t0}
			if _, err := tx.ApplyItem(ctx, shop.ID, backorder.Item{ItemID: fmt.Sprint(it), ProductID: "9",
				StockKey: fmt.Sprint("k", it), SKU: fmt.Sprint("S", it), Version: v}); err != nil {
				return err
			}
			if _, err := tx.ApplyLevel(ctx, shop.ID, backorder.StockLevel{StockKey: fmt.Sprint("k", it),
				LocationID: "1", Available: &level, Version: v}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	rng := rand.New(rand.NewPCG(8, 12))
	demand := make(map[string]int, items)
	ids := make([]int64, orders)
	for i := range orders {
		picked := rng.Perm(items)[:3+rng.IntN(3)]
		qty := make([]int, len(picked))
		for j := range picked {
			picked[j]++
			qty[j] = 1 + rng.IntN(2)
			demand[fmt.Sprint(picked[j])] += qty[j]
		}
		body := burstOrder(5000+i, t0.Add(time.Duration(i+1)*time.Second), picked, qty)
		id, _, err := e.Store.RecordDelivery(ctx, store.Delivery{ShopID: shop.ID, Topic: "orders/create",
			DedupeKey: fmt.Sprint("sale-", i), Body: body, ReceivedAt: time.Now()})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = id
	}
	start := time.Now()
	for _, id := range ids {
		if err := e.Dispatcher.EnqueueDelivery(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(3 * time.Minute)
	for !burstSettled(t, e.Store, shop.ID, demand, stock) {
		if time.Now().After(deadline) {
			t.Fatalf("the sale did not settle in 3 minutes; logs:\n%.3000s", e.Logs())
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("%d orders settled %v after they were enqueued", orders, time.Since(start).Round(time.Millisecond))
	if out := e.Logs(); strings.Contains(out, "deadlock") {
		t.Errorf("a deadlock during the sale:\n%.3000s", out)
	}
	e.clean(t)
}

// burstSettled says whether every delivery and task has run and every
// item's ledger and backorders wait for its demand less its stock.
func burstSettled(t *testing.T, s *store.Store, shopID int64, demand map[string]int, stock int) bool {
	t.Helper()
	ctx := context.Background()
	if rows, err := s.UnfinishedInbox(ctx, time.Now().Add(time.Hour), 0, 1); err != nil || len(rows) > 0 {
		return false
	}
	if rows, err := s.UnfinishedOutbox(ctx, time.Now().Add(time.Hour), 0, 1); err != nil || len(rows) > 0 {
		return false
	}
	es, err := s.ListBackorders(ctx, store.BackorderFilter{ShopID: shopID, Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	waiting := map[string]int{}
	for _, b := range es {
		waiting[b.ItemID] += b.Waiting
	}
	for item, d := range demand {
		want := max(0, d-stock)
		led, err := s.Ledger(ctx, shopID, item)
		if err != nil || led.FirstFactAt != nil || led.Waiting != want || waiting[item] != want {
			return false
		}
	}
	return true
}
