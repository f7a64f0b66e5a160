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

// BenchmarkRecomputeETA100kLines50POLines measures the ETA recompute of an
// item with 100,000 waiting one-unit lines and 50 confirmed purchase-order
// lines of 1,000 units, each with its own date: every line's ETA is
// written (they were unknown). Run it on each engine:
//
//	go test -run '^$' -bench RecomputeETA -benchtime 1x ./jobs/
//	TEST_DATABASE_URL=postgres://… go test -run '^$' -bench RecomputeETA -benchtime 1x ./jobs/
func BenchmarkRecomputeETA100kLines50POLines(b *testing.B) {
	for _, engine := range storetest.Engines() {
		b.Run(string(engine), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				s, shopID := benchStore(b, engine)
				h := jobs.NewHarness(b, s, jobs.Offline())
				level(b, s, shopID, 0, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
				h.Reconcile(shopID, "1") // 100,000 lines start waiting, their ETAs unknown
				sp := h.Supplier("bench", 10)
				today := jobs.Today()
				for n := range 50 {
					po := h.SentPO(shopID, sp.ID, "1", benchLines/50, time.Now())
					at := today.AddDate(0, 0, 7+n)
					h.SetPO(po.ID, func(p *store.PurchaseOrder) { p.Status, p.ExpectedAt = store.POConfirmed, &at })
				}
				b.StartTimer()
				start := time.Now()
				h.RecomputeETA(shopID, "1", today)
				took := time.Since(start)
				b.StopTimer()
				bos, err := s.ListBackorders(context.Background(), store.BackorderFilter{ShopID: shopID, Limit: 1})
				if err != nil || len(bos) != 1 || bos[0].ETAKind != "confirmed" {
					b.Fatalf("newest backorder = %+v, %v; want a confirmed ETA", bos, err)
				}
				b.ReportMetric(float64(benchLines)/took.Seconds(), "lines/s")
				_ = s.Close()
			}
		})
	}
}

// benchItems is how many items with terms the supply run reorders.
const benchItems = 10_000

// BenchmarkRunSupply10kItems measures the supply run of a shop with 10,000
// items, each with a preferred supplier (one of ten) and an alternate, and
// customers waiting: every item is ordered, on ten drafts.
//
//	go test -run '^$' -bench RunSupply -benchtime 1x ./jobs/
//	TEST_DATABASE_URL=postgres://… go test -run '^$' -bench RunSupply -benchtime 1x ./jobs/
func BenchmarkRunSupply10kItems(b *testing.B) {
	for _, engine := range storetest.Engines() {
		b.Run(string(engine), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				s := storetest.New(b, engine)
				h := jobs.NewHarness(b, s, jobs.Offline())
				shopID := supplyBenchShop(b, h)
				b.StartTimer()
				start := time.Now()
				if err := h.Purchasing.RunSupply(context.Background(), time.Now()); err != nil {
					b.Fatal(err)
				}
				took := time.Since(start)
				b.StopTimer()
				lines := 0
				for _, ls := range h.POs(shopID, store.PODraft) {
					lines += len(ls)
				}
				if lines != benchItems {
					b.Fatalf("draft lines = %d, want %d", lines, benchItems)
				}
				b.ReportMetric(float64(benchItems)/took.Seconds(), "items/s")
				_ = s.Close()
			}
		})
	}
}

// supplyBenchShop writes a shop, ten suppliers and benchItems items with
// terms and 3 waiting units each, in bulk; it returns the shop's id.
func supplyBenchShop(b *testing.B, h *jobs.Harness) int64 {
	ctx := context.Background()
	shop, err := h.Store.AddShop(ctx, store.NewShop(store.Shopify, "supply.myshopify.com", "s"))
	if err != nil {
		b.Fatal(err)
	}
	var suppliers []int64
	for n := range 10 {
		suppliers = append(suppliers, h.Supplier(fmt.Sprint("s", n), 10+n).ID)
	}
	now := time.Now().UTC()
	err = h.Store.InTx(ctx, func(tx *store.Tx) error {
		for start := 0; start < benchItems; start += 500 {
			var terms, ledgers []string
			var tArgs, lArgs []any
			for i := start; i < start+500; i++ {
				item := fmt.Sprintf("item-%05d", i)
				preferred, alternate := suppliers[i%10], suppliers[(i+1)%10]
				terms = append(terms, "(?, ?, ?, ?, '4.20', 0, 2, 1, TRUE, ?)", "(?, ?, ?, ?, '4.40', 0, 1, 0, FALSE, ?)")
				tArgs = append(tArgs, shop.ID, item, preferred, "P-"+item, now, shop.ID, item, alternate, "A-"+item, now)
				ledgers = append(ledgers, "(?, ?, 3)")
				lArgs = append(lArgs, shop.ID, item)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO item_suppliers (shop_id, item_id, supplier_id, supplier_sku, unit_cost,
				moq, pack_size, safety_stock, preferred, updated_at) VALUES `+strings.Join(terms, ","), tArgs...); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO item_ledgers (shop_id, item_id, waiting) VALUES `+strings.Join(ledgers, ","), lArgs...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return shop.ID
}
