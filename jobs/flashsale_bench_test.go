package jobs_test

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// The flash sale's size and the workers' settings; the defaults run in
// seconds. The sale: -flashsale.orders 10000.
var (
	flashOrders      = flag.Int("flashsale.orders", 300, "orders of BenchmarkFlashSale")
	flashItems       = flag.Int("flashsale.items", 50, "items of BenchmarkFlashSale")
	flashQuiet       = flag.Duration("flashsale.quiet", time.Second, "SETTLE_QUIET of BenchmarkFlashSale")
	flashConcurrency = flag.Int("flashsale.concurrency", 10, "WORKER_CONCURRENCY of each of BenchmarkFlashSale's two workers")
)

// BenchmarkFlashSale is a flash sale on PostgreSQL and a real Redis, applied
// by two workers ("processes": a store and an asynq server each): every
// order's orders/create delivery, then an inventory_levels/update per line
// with the level after it, as Shopify sends them, 30% of the units short.
// The deliveries are recorded in the inbox first (not timed), then their
// tasks are enqueued by 16 goroutines, as 16 connections to the receiver
// would. It reports the deliveries applied per second (from the first
// enqueue to the last row processed) and the time from the last delivery
// applied until the sale is settled: every item reconciled to its demand
// less its stock, and every order with a waiting line holding its
// confirmation email row. Run it with -benchtime 1x; each op is a sale in a
// shop of its own.
func BenchmarkFlashSale(b *testing.B) {
	w := flashWorkers(b, *flashQuiet, *flashConcurrency)
	var applied, settle, reconciled, confirmed, seen, enqueued float64
	b.ResetTimer()
	for i := range b.N {
		sale := newFlashSale(uint64(i), *flashOrders, *flashItems)
		b.StopTimer()
		shopID := sale.setUp(b, w.Store, fmt.Sprintf("sale-%d.myshopify.com", i))
		ids := sale.record(b, w.Store, shopID)
		b.StartTimer()
		res := sale.run(b, w, shopID, ids, 10*time.Minute)
		applied += res.appliedPerSec
		settle += res.settle.Seconds()
		reconciled += res.reconciled.Seconds()
		confirmed += res.confirmed.Seconds()
		seen += res.seen.Seconds()
		enqueued += res.enqueuedPerSec
	}
	b.ReportMetric(applied/float64(b.N), "applied/s")
	b.ReportMetric(settle/float64(b.N), "settle-s")
	b.ReportMetric(reconciled/float64(b.N), "last-reconcile-s")
	b.ReportMetric(confirmed/float64(b.N), "last-confirmation-s")
	b.ReportMetric(seen/float64(b.N), "seen-settled-s")
	b.ReportMetric(enqueued/float64(b.N), "enqueued/s")
	b.ReportMetric(float64(len(newFlashSale(0, *flashOrders, *flashItems).deliveries())), "deliveries")
	w.clean(b)
}

// TestASmallFlashSaleOnTwoWorkersSettlesAndConfirmsEveryWaitingOrder runs
// BenchmarkFlashSale's sale, small: 150 orders over 8 items on two workers
// settle to each item's demand less its stock, every order with a waiting
// line has its confirmation, and no transaction deadlocked.
func TestASmallFlashSaleOnTwoWorkersSettlesAndConfirmsEveryWaitingOrder(t *testing.T) {
	w := flashWorkers(t, 200*time.Millisecond, 4)
	sale := newFlashSale(3, 150, 8)
	shopID := sale.setUp(t, w.Store, "small-sale.myshopify.com")
	ids := sale.record(t, w.Store, shopID)
	res := sale.run(t, w, shopID, ids, 3*time.Minute)
	t.Logf("%d deliveries applied at %.0f/s, settled %.2f s after the last", len(ids), res.appliedPerSec, res.settle.Seconds())
	var orders, confirmations int
	err := w.db.QueryRowContext(context.Background(), `SELECT
		(SELECT count(DISTINCT order_id) FROM backorders WHERE shop_id = $1 AND waiting > 0),
		(SELECT count(*) FROM emails WHERE shop_id = $1 AND kind = 'backordered')`, shopID).Scan(&orders, &confirmations)
	if err != nil {
		t.Fatal(err)
	}
	if orders == 0 || confirmations < orders {
		t.Errorf("%d orders wait and %d confirmations were written; want some orders waiting, each confirmed", orders, confirmations)
	}
	w.clean(t)
}

// flashBench is the harness with two workers, each on a store of its own,
// and a connection for reading the outcome.
type flashBench struct {
	*jobs.Harness
	db     *sql.DB
	stores [2]*store.Store
}

// flashWorkers starts two workers on PostgreSQL, each with a store of its
// own.
func flashWorkers(tb testing.TB, quiet time.Duration, concurrency int) *flashBench {
	tb.Helper()
	engine, dsn := storetest.DSN(tb, store.Postgres)
	var stores [2]*store.Store
	for i := range stores {
		s, err := store.Open(engine, dsn)
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { _ = s.Close() })
		stores[i] = s
	}
	if _, err := stores[0].Migrate(context.Background()); err != nil {
		tb.Fatal(err)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	e := jobs.NewHarness(tb, stores[0], jobs.WithConcurrency(concurrency), jobs.WithLogs(slog.LevelWarn),
		jobs.WithSettle(jobs.Settle{Quiet: quiet, Max: time.Minute}))
	e.StartWorkerOn(stores[0])
	e.StartWorkerOn(stores[1])
	return &flashBench{Harness: e, db: db, stores: stores}
}

// clean fails when a worker retried a transaction after a deadlock (the
// lock order should leave none) or a task failed.
func (w *flashBench) clean(tb testing.TB) {
	tb.Helper()
	for i, s := range w.stores {
		if n := s.Retries()["40P01"]; n != 0 {
			tb.Errorf("worker %d retried %d transactions after a deadlock", i, n)
		}
	}
	if out := w.Logs(); strings.Contains(out, "task failed") {
		tb.Errorf("tasks failed during the sale:\n%.3000s", out)
	}
}

// flashSale is a sale's orders and what they must come to: each order has
// one line of 1–2 units of each of 1–3 items, placed a second apart; each
// item's stock is 70% of its demand.
type flashSale struct {
	t0     time.Time
	items  int
	orders [][2][]int // per order: items, quantities
	stock  map[int]int
	demand map[int]int
}

// newFlashSale draws a sale of n orders over items from seed.
func newFlashSale(seed uint64, n, items int) *flashSale {
	rng := rand.New(rand.NewPCG(seed, 11))
	s := &flashSale{t0: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), items: items,
		stock: map[int]int{}, demand: map[int]int{}}
	for range n {
		picked := rng.Perm(items)[:1+rng.IntN(min(3, items))]
		qty := make([]int, len(picked))
		for j := range picked {
			picked[j]++
			qty[j] = 1 + rng.IntN(2)
			s.demand[picked[j]] += qty[j]
		}
		s.orders = append(s.orders, [2][]int{picked, qty})
	}
	for it := 1; it <= items; it++ {
		s.stock[it] = s.demand[it] * 7 / 10
	}
	return s
}

// flashDelivery is one delivery of the sale.
type flashDelivery struct {
	topic, key string
	headers    map[string]string
	body       []byte
}

// deliveries are the sale's deliveries in the order Shopify sends them: an
// order, then the level of each of its items after it.
func (s *flashSale) deliveries() []flashDelivery {
	level := make(map[int]int, s.items)
	for it, n := range s.stock {
		level[it] = n
	}
	var ds []flashDelivery
	for i, o := range s.orders {
		at := s.t0.Add(time.Duration(i+1) * time.Second)
		id := 100000 + i
		ds = append(ds, flashDelivery{topic: "orders/create", key: fmt.Sprint("order-", id),
			body: flashOrder(id, at, o[0], o[1])})
		for j, it := range o[0] {
			level[it] -= o[1][j]
			ds = append(ds, flashDelivery{topic: "inventory_levels/update", key: fmt.Sprintf("level-%d-%d", id, it),
				headers: map[string]string{"X-Shopify-Triggered-At": at.Add(time.Duration(j+1) * time.Millisecond).Format(time.RFC3339Nano)},
				body:    jobs.LevelOf(10000+it, level[it], at)})
		}
	}
	return ds
}

// flashOrder is an orders/create body of a customer with an address, with
// one line of qty[i] units of each of items.
func flashOrder(id int, placed time.Time, items, qty []int) []byte {
	lines := make([]string, len(items))
	for i, it := range items {
		lines[i] = fmt.Sprintf(`{"id":%d,"variant_id":%d,"product_id":9,"sku":"S%d","name":"Item %d","quantity":%d,"fulfillable_quantity":%d}`,
			id*10+i, it, it, it, qty[i], qty[i])
	}
	ts := placed.Format(time.RFC3339)
	return []byte(fmt.Sprintf(`{"id":%d,"name":"#%d","email":"c%d@example.net","created_at":%q,"updated_at":%q,"financial_status":"paid",`+
		`"customer":{"id":%d,"email":"c%d@example.net","first_name":"Ash"},"line_items":[%s]}`,
		id, id, id, ts, ts, id, id, strings.Join(lines, ",")))
}

// setUp adds the sale's shop (with a sender) and its items, each with its
// stock reported before the sale.
func (s *flashSale) setUp(tb testing.TB, st *store.Store, domain string) int64 {
	tb.Helper()
	ctx := context.Background()
	shop := store.NewShop(store.Shopify, domain, "secret")
	shop.Name, shop.FromEmail = "Flash", "shop@example.com"
	shop, err := st.AddShop(ctx, shop)
	if err != nil {
		tb.Fatal(err)
	}
	err = st.InTx(ctx, func(tx *store.Tx) error {
		for it := 1; it <= s.items; it++ {
			level, v := s.stock[it], backorder.Version{At: s.t0}
			key := fmt.Sprint(10000 + it)
			if _, err := tx.ApplyItem(ctx, shop.ID, backorder.Item{ItemID: fmt.Sprint(it), ProductID: "9",
				StockKey: key, SKU: fmt.Sprint("S", it), Version: v}); err != nil {
				return err
			}
			if _, err := tx.ApplyLevel(ctx, shop.ID, backorder.StockLevel{StockKey: key, LocationID: "1",
				Available: &level, Version: v}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return shop.ID
}

// record writes the sale's deliveries into the inbox, in their order, and
// returns their rows' ids.
func (s *flashSale) record(tb testing.TB, st *store.Store, shopID int64) []int64 {
	tb.Helper()
	ctx := context.Background()
	ds := s.deliveries()
	ids := make([]int64, len(ds))
	for i, d := range ds {
		id, _, err := st.RecordDelivery(ctx, store.Delivery{ShopID: shopID, Topic: d.topic, DedupeKey: d.key,
			Headers: d.headers, Body: d.body, ReceivedAt: time.Now()})
		if err != nil {
			tb.Fatal(err)
		}
		ids[i] = id
	}
	return ids
}

// flashResult is what one sale measured.
type flashResult struct {
	appliedPerSec, enqueuedPerSec float64
	// settle is from the last delivery applied until the sale was settled:
	// the last item's reconcile and the last confirmation committed (their
	// rows' times), each also reported alone; seen is until the poll saw
	// it settled (late when the poll's reads wait for a busy database).
	settle, reconciled, confirmed, seen time.Duration
}

// run enqueues the recorded deliveries' tasks from 16 goroutines and waits,
// at most bound, for the sale to settle.
func (s *flashSale) run(tb testing.TB, w *flashBench, shopID int64, ids []int64, bound time.Duration) flashResult {
	tb.Helper()
	ctx := context.Background()
	start := time.Now()
	var wg sync.WaitGroup
	next := make(chan int64)
	for range 16 {
		wg.Go(func() {
			for id := range next {
				if err := w.Dispatcher.EnqueueDelivery(ctx, id); err != nil {
					tb.Error(err)
				}
			}
		})
	}
	for _, id := range ids {
		next <- id
	}
	close(next)
	wg.Wait()
	enqueued := time.Since(start)
	deadline := time.Now().Add(bound)
	var lastApplied time.Time
	for {
		done, last, err := s.settled(ctx, w.db, shopID)
		if err != nil {
			tb.Fatal(err)
		}
		if done {
			lastApplied = last
			break
		}
		if time.Now().After(deadline) {
			tb.Fatalf("the sale did not settle in %v; logs:\n%.3000s", bound, w.Logs())
		}
		time.Sleep(200 * time.Millisecond) // the reads compete with the workers
	}
	settledAt := time.Now()
	var reconciled, confirmed time.Time
	err := w.db.QueryRowContext(ctx, `SELECT (SELECT max(reconciled_at) FROM item_ledgers WHERE shop_id = $1),
		(SELECT max(created_at) FROM emails WHERE shop_id = $1 AND kind = 'backordered')`, shopID).Scan(&reconciled, &confirmed)
	if err != nil {
		tb.Fatal(err)
	}
	settled := reconciled
	if confirmed.After(settled) {
		settled = confirmed
	}
	return flashResult{
		appliedPerSec:  float64(len(ids)) / lastApplied.Sub(start).Seconds(),
		enqueuedPerSec: float64(len(ids)) / enqueued.Seconds(),
		settle:         settled.Sub(lastApplied),
		seen:           settledAt.Sub(lastApplied),
		reconciled:     reconciled.Sub(lastApplied),
		confirmed:      confirmed.Sub(lastApplied),
	}
}

// settled says whether the sale is settled: no delivery left to apply, no
// item left to reconcile, each item's ledger and backorders waiting for its
// demand less its stock, and every order with a waiting line holding its
// confirmation. It returns when the last delivery was applied.
func (s *flashSale) settled(ctx context.Context, db *sql.DB, shopID int64) (bool, time.Time, error) {
	var accepted int
	var last sql.NullTime
	err := db.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE status = 'accepted'), max(processed_at)
		FROM inbox WHERE shop_id = $1`, shopID).Scan(&accepted, &last)
	if err != nil || accepted > 0 {
		return false, time.Time{}, err
	}
	var marked, unconfirmed int
	err = db.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM item_ledgers WHERE shop_id = $1 AND first_fact_at IS NOT NULL),
		(SELECT count(DISTINCT b.order_id) FROM backorders b WHERE b.shop_id = $1 AND b.waiting > 0
			AND NOT EXISTS (SELECT 1 FROM emails e WHERE e.shop_id = b.shop_id AND e.order_id = b.order_id
				AND e.kind = 'backordered'))`, shopID).Scan(&marked, &unconfirmed)
	if err != nil || marked > 0 || unconfirmed > 0 {
		return false, time.Time{}, err
	}
	rows, err := db.QueryContext(ctx, `SELECT l.item_id, l.waiting, COALESCE(sum(b.waiting), 0)
		FROM item_ledgers l LEFT JOIN backorders b ON b.shop_id = l.shop_id AND b.item_id = l.item_id
		WHERE l.shop_id = $1 GROUP BY l.item_id, l.waiting`, shopID)
	if err != nil {
		return false, time.Time{}, err
	}
	defer rows.Close()
	seen := 0
	for rows.Next() {
		var item string
		var ledger, lines int
		if err := rows.Scan(&item, &ledger, &lines); err != nil {
			return false, time.Time{}, err
		}
		var it int
		_, _ = fmt.Sscan(item, &it)
		want := max(0, s.demand[it]-s.stock[it])
		if s.demand[it] > 0 {
			seen++
		}
		if ledger != want || lines != want {
			return false, time.Time{}, rows.Err()
		}
	}
	if err := rows.Err(); err != nil {
		return false, time.Time{}, err
	}
	return seen == len(s.demand), last.Time, nil
}
