package jobs_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// wooOrder is an order.* body with one unit of each product.
func wooOrder(id int, created time.Time, products ...int) []byte {
	lines := make([]string, len(products))
	for i, p := range products {
		lines[i] = fmt.Sprintf(`{"id":%d,"name":"Product %d","product_id":%d,"variation_id":0,"quantity":1,"sku":""}`, id*10+p, p, p)
	}
	ts := created.Format("2006-01-02T15:04:05")
	return []byte(fmt.Sprintf(`{"id":%d,"number":"%d","status":"processing","date_created_gmt":%q,"date_modified_gmt":%q,`+
		`"customer_id":0,"billing":{"email":"c@example.net"},"line_items":[%s]}`, id, id, ts, ts, strings.Join(lines, ",")))
}

// TestLineRemovedFromAWooCommerceOrderFreesItsItemAtOnce: an order waits
// for items 1 and 2; the store removes the line of item 2. Item 2 is
// reconciled at once — its line no longer waits — and not found later by
// the full check as drift.
func TestLineRemovedFromAWooCommerceOrderFreesItsItemAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := jobs.NewHarness(t, s)
		ctx := context.Background()
		shop, err := s.AddShop(ctx, store.NewShop(store.WooCommerce, "https://woo.example/", "secret"))
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
		none := 0
		err = s.InTx(ctx, func(tx *store.Tx) error {
			for _, id := range []string{"1", "2"} {
				if _, err := tx.ApplyItem(ctx, shop.ID, backorder.Item{ItemID: id, ProductID: id, StockKey: id,
					Quantity: &none, Version: backorder.Version{At: t0}}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		e.StartWorker()
		waiting := func(item string) (int, store.LedgerRow) {
			es, err := s.ListBackorders(ctx, store.BackorderFilter{ShopID: shop.ID, ItemID: item, Limit: 10})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, b := range es {
				n += b.Waiting
			}
			led, _ := s.Ledger(ctx, shop.ID, item)
			return n, led
		}
		e.Record(shop.ID, "order.created", "created", wooOrder(700, t0.Add(time.Minute), 1, 2))
		e.WaitFor("both items waiting", func() bool {
			a, _ := waiting("1")
			b, led := waiting("2")
			return a == 1 && b == 1 && led.FirstFactAt == nil
		})
		e.Record(shop.ID, "order.updated", "updated", wooOrder(700, t0.Add(time.Minute), 1))
		e.WaitFor("item 2 no longer waiting", func() bool {
			n, led := waiting("2")
			return n == 0 && led.Waiting == 0 && led.FirstFactAt == nil
		})
		if n, _ := waiting("1"); n != 1 {
			t.Errorf("item 1 waiting = %d, want still 1", n)
		}
		if _, led := waiting("2"); led.Drift != 0 {
			t.Errorf("item 2 drift = %d, want 0: the removal was a fact, not drift", led.Drift)
		}
	})
}
