package jobs_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// benchLines is how many one-unit order lines wait for the one item.
const benchLines = 100_000

// BenchmarkRestock measures the reconcile of an item with 100,000 waiting
// lines that receives 100,000 units: every line is allocated, written in
// one set-based pass. Run it on each engine:
//
//	go test -run '^$' -bench Restock -benchtime 1x ./jobs/
//	TEST_DATABASE_URL=postgres://… go test -run '^$' -bench Restock -benchtime 1x ./jobs/
//
// On ".../connected" the shop has store credentials: the reconcile also
// queues the tasks that decide what the store shows of each order it
// allocated (they run after it, on the store queue).
func BenchmarkRestock(b *testing.B) {
	for _, engine := range storetest.Engines() {
		for _, connected := range []bool{false, true} {
			name := string(engine)
			if connected {
				name += "/connected"
			}
			b.Run(name, func(b *testing.B) { benchRestock(b, engine, connected) })
		}
	}
}

func benchRestock(b *testing.B, engine store.Engine, connected bool) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s, shopID := benchStore(b, engine)
		if connected {
			// Sealed credentials are opened only by the writer's
			// client, which does not run here.
			if err := s.SetShopCredentials(context.Background(), shopID, []byte("sealed")); err != nil {
				b.Fatal(err)
			}
		}
		// The reconcile runs here, not through a worker; the notice
		// tasks it schedules are enqueued in Redis as in production.
		h := jobs.NewHarness(b, s)
		level(b, s, shopID, 0, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) // before every order
		start := time.Now()
		h.Reconcile(shopID, "1")
		started := time.Since(start)
		level(b, s, shopID, 0, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)) // as many arrive as were sold
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		b.StartTimer()
		start = time.Now()
		h.Reconcile(shopID, "1")
		allocated := time.Since(start)
		b.StopTimer()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		led, err := s.Ledger(context.Background(), shopID, "1")
		if err != nil || led.Waiting != 0 {
			b.Fatalf("after the restock: %+v, %v; want nothing waiting", led, err)
		}
		b.ReportMetric(float64(benchLines)/started.Seconds(), "started-lines/s")
		b.ReportMetric(float64(benchLines)/allocated.Seconds(), "allocated-lines/s")
		b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/(1<<20), "MiB-allocated")
		_ = s.Close()
	}
}

// benchStore is a store with one item and benchLines open one-unit lines
// for it, written in bulk.
func benchStore(b *testing.B, engine store.Engine) (*store.Store, int64) {
	ctx := context.Background()
	s := storetest.New(b, engine)
	shop, err := s.AddShop(ctx, store.NewShop(store.Shopify, "bench.myshopify.com", "s"))
	if err != nil {
		b.Fatal(err)
	}
	err = s.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ApplyItem(ctx, shop.ID, itemFact()); err != nil {
			return err
		}
		placed := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
		for start := 0; start < benchLines; start += 1000 {
			var orders, lines []string
			var oArgs, lArgs []any
			for i := start; i < start+1000; i++ {
				at := placed.Add(time.Duration(i) * time.Second)
				orders = append(orders, "(?, ?, ?, 'open', ?, ?, ?, 0)")
				oArgs = append(oArgs, shop.ID, fmt.Sprint(i), fmt.Sprint("#", i), at, at, at)
				lines = append(lines, "(?, ?, ?, '1', 1, 1)")
				lArgs = append(lArgs, shop.ID, fmt.Sprint(i), "1")
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO orders (shop_id, order_id, name, status, placed_at, store_updated_at, state_at, state_seq) VALUES `+strings.Join(orders, ","), oArgs...); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO order_lines (shop_id, order_id, line_id, item_id, quantity, open_units) VALUES `+strings.Join(lines, ","), lArgs...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return s, shop.ID
}

func itemFact() backorder.Item {
	yes := true
	return backorder.Item{ItemID: "1", ProductID: "1", StockKey: "k1", SKU: "BENCH", ContinueSelling: &yes,
		Version: backorder.Version{At: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}}
}

// level reports the item's level at `at`.
func level(b *testing.B, s *store.Store, shopID int64, available int, at time.Time) {
	err := s.InTx(context.Background(), func(tx *store.Tx) error {
		_, err := tx.ApplyLevel(context.Background(), shopID, backorder.StockLevel{StockKey: "k1", LocationID: "1",
			Available: &available, Version: backorder.Version{At: at}})
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
}
