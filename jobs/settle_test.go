package jobs

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func TestSettleDue(t *testing.T) {
	s := Settle{Quiet: 5 * time.Second, Max: time.Minute}
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		first, last, want time.Duration
	}{
		{0, 0, 5 * time.Second},                 // one fact: quiet after it
		{0, 30 * time.Second, 35 * time.Second}, // a later fact moves it
		{0, 58 * time.Second, time.Minute},      // but never past the maximum
		{0, 5 * time.Minute, time.Minute},       // facts that keep coming
	} {
		if got := s.due(t0.Add(tt.first), t0.Add(tt.last)); !got.Equal(t0.Add(tt.want)) {
			t.Errorf("due(%v, %v) = %v, want %v", tt.first, tt.last, got.Sub(t0), tt.want)
		}
	}
}

// settleRig drives one item's reconcile task with a clock of its own.
type settleRig struct {
	t    *testing.T
	st   *store.Store
	h    *Harness
	shop store.Shop
	now  time.Time
}

func newSettleRig(t *testing.T, now time.Time) *settleRig {
	st := storetest.New(t, store.SQLite)
	shop, err := st.AddShop(context.Background(), store.NewShop(store.Shopify, "a.myshopify.com", "s"))
	if err != nil {
		t.Fatal(err)
	}
	g := &settleRig{t: t, st: st, shop: shop, now: now}
	g.h = NewHarness(t, st, Offline(), WithSettle(Settle{Quiet: 5 * time.Second, Max: time.Minute}),
		WithClock(func() time.Time { return g.now }))
	return g
}

// mark notes a fact about the item applied at `at`, brought by a delivery
// that arrived at arrived (zero: none did).
func (g *settleRig) mark(at time.Time, arrived ...time.Time) {
	ctx := context.Background()
	var arrival time.Time
	if len(arrived) > 0 {
		arrival = arrived[0]
	}
	err := g.st.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.MarkItems(ctx, g.shop.ID, []string{"9"}, at, arrival, "inbox:1")
		return err
	})
	if err != nil {
		g.t.Fatal(err)
	}
}

// run executes one reconcile task and returns the task it scheduled, if any.
func (g *settleRig) run() *store.OutboxTask {
	ctx := context.Background()
	var scheduled *store.OutboxTask
	err := g.h.Dispatcher.InTx(ctx, g.st, func(tx *store.Tx, out *Outbox) error {
		payload, _ := json.Marshal(ReconcileArgs{ShopID: g.shop.ID, ItemID: "9"})
		if err := g.h.Reconciler.run(ctx, tx, out, store.OutboxTask{Payload: payload}); err != nil {
			return err
		}
		if len(out.added) > 0 {
			scheduled = &out.added[0]
		}
		return nil
	})
	if err != nil {
		g.t.Fatal(err)
	}
	return scheduled
}

// reconciled fails unless the item's last run reconciled it.
func (g *settleRig) reconciled() {
	led, err := g.st.Ledger(context.Background(), g.shop.ID, "9")
	if err != nil || led.FirstFactAt != nil || led.ReconciledAt == nil {
		g.t.Fatalf("ledger = %+v, %v; want reconciled with its marks cleared", led, err)
	}
}

// TestReconcileWaitsUntilTheItemSettles: before the item has settled the
// task schedules itself for when it will; after, it reconciles and clears
// the marks.
func TestReconcileWaitsUntilTheItemSettles(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	g := newSettleRig(t, t0)
	g.mark(t0)
	g.now = t0.Add(3 * time.Second)
	g.mark(g.now) // a second fact, 3 s later
	if next := g.run(); next == nil || !next.RunAt.Equal(t0.Add(8*time.Second)) {
		t.Fatalf("before settling: scheduled %+v, want a run at t0+8s", next)
	}
	g.now = t0.Add(8 * time.Second)
	if next := g.run(); next != nil {
		t.Fatalf("settled, yet scheduled again: %+v", next)
	}
	g.reconciled()
	if next := g.run(); next != nil {
		t.Fatalf("a task for facts already reconciled scheduled %+v", next)
	}
}

// TestReconcileWaitsForDeliveriesThatArrivedBeforeItSettled: a delivery of
// the shop that arrived before the item settled but is not applied yet (a
// backlog, or another worker's batch not committed) may hold an order the
// level applied already reflects; the reconcile waits for it, and only for
// it: not for one that arrived after, nor past SETTLE_MAX.
func TestReconcileWaitsForDeliveriesThatArrivedBeforeItSettled(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	g := newSettleRig(t, t0)
	record := func(key string, at time.Time) int64 {
		id, _, err := g.st.RecordDelivery(ctx, store.Delivery{
			ShopID: g.shop.ID, Topic: "orders/create", DedupeKey: key, Body: []byte(`{}`), ReceivedAt: at,
		})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	apply := func(id int64) {
		if err := g.st.InTx(ctx, func(tx *store.Tx) error {
			return tx.FinishInbox(ctx, id, store.InboxProcessed, "")
		}); err != nil {
			t.Fatal(err)
		}
	}
	g.mark(t0)                                    // due at t0+5s
	late := record("late", t0.Add(6*time.Second)) // after it settled: no wait for it
	queued := record("queued", t0.Add(2*time.Second))
	g.now = t0.Add(5 * time.Second)
	// 3 s of backlog still to apply before due: it looks again then.
	if next := g.run(); next == nil || !next.RunAt.Equal(t0.Add(8*time.Second)) {
		t.Fatalf("with a delivery received at t0+2s not applied: scheduled %+v, want a run at t0+8s", next)
	}
	g.now = t0.Add(8 * time.Second)
	apply(queued)
	if next := g.run(); next != nil {
		t.Fatalf("backlog applied, yet scheduled again: %+v", next)
	}
	g.reconciled()
	apply(late)

	// A delivery that never gets applied holds the item up to SETTLE_MAX
	// after its first fact, not longer.
	t1 := t0.Add(time.Hour)
	g.now = t1
	g.mark(t1)
	record("stuck", t1.Add(time.Second))
	g.now = t1.Add(58 * time.Second)
	if next := g.run(); next == nil || !next.RunAt.Equal(t1.Add(time.Minute)) {
		t.Fatalf("near SETTLE_MAX: scheduled %+v, want a run at t1+1m", next)
	}
	g.now = t1.Add(time.Minute)
	if next := g.run(); next != nil {
		t.Fatalf("at SETTLE_MAX, yet scheduled again: %+v", next)
	}
	g.reconciled()

	// Past SETTLE_MAX while deliveries keep coming, it waits for a
	// consistent cut: every delivery that arrived before the newest one
	// whose facts marked it applied, not those that arrived after; it
	// looks again shortly, for at most SETTLE_QUIET.
	// busySale marks the item for a minute from t, with a backlog of 9 s
	// at its end, and records a delivery that arrived just before the
	// newest applied one and is not applied.
	busySale := func(t time.Time, key string) int64 {
		g.now = t
		g.mark(t, t)
		g.mark(t.Add(59*time.Second), t.Add(50*time.Second))
		return record(key, t.Add(49*time.Second))
	}
	t2 := t0.Add(2 * time.Hour)
	inBatch := busySale(t2, "in another batch")
	record("after the newest", t2.Add(51*time.Second))
	g.now = t2.Add(time.Minute)
	if next := g.run(); next == nil || !next.RunAt.Equal(g.now.Add(backlogPoll)) {
		t.Fatalf("past SETTLE_MAX, one that arrived before the newest not applied: scheduled %+v, want a run in %v", next, backlogPoll)
	}
	apply(inBatch)
	if next := g.run(); next != nil {
		t.Fatalf("past SETTLE_MAX, on a consistent cut, yet scheduled again: %+v", next)
	}
	g.reconciled()

	t3 := t0.Add(3 * time.Hour)
	busySale(t3, "never applied")
	g.now = t3.Add(time.Minute + 4950*time.Millisecond)
	if next := g.run(); next == nil || !next.RunAt.Equal(t3.Add(time.Minute+5*time.Second)) {
		t.Fatalf("near SETTLE_MAX + SETTLE_QUIET: scheduled %+v, want a run at t3+1m5s", next)
	}
	g.now = t3.Add(time.Minute + 5*time.Second)
	if next := g.run(); next != nil {
		t.Fatalf("at SETTLE_MAX + SETTLE_QUIET, yet scheduled again: %+v", next)
	}
	g.reconciled()
}
