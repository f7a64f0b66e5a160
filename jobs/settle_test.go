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

// TestReconcileWaitsUntilTheItemSettles drives one item's reconcile task
// with a clock of its own: before the item has settled the task schedules
// itself for when it will; after, it reconciles and clears the marks.
func TestReconcileWaitsUntilTheItemSettles(t *testing.T) {
	st := storetest.New(t, store.SQLite)
	ctx := context.Background()
	shop, err := st.AddShop(ctx, store.NewShop(store.Shopify, "a.myshopify.com", "s"))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	now := t0
	h := NewHarness(t, st, Offline(), WithSettle(Settle{Quiet: 5 * time.Second, Max: time.Minute}),
		WithClock(func() time.Time { return now }))
	d, r := h.Dispatcher, h.Reconciler

	mark := func(at time.Time) {
		err := st.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.MarkItems(ctx, shop.ID, []string{"9"}, at, "inbox:1")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// run executes one reconcile task and returns the task it scheduled, if any.
	run := func() *store.OutboxTask {
		var scheduled *store.OutboxTask
		err := d.InTx(ctx, st, func(tx *store.Tx, out *Outbox) error {
			payload, _ := json.Marshal(ReconcileArgs{ShopID: shop.ID, ItemID: "9"})
			if err := r.run(ctx, tx, out, store.OutboxTask{Payload: payload}); err != nil {
				return err
			}
			if len(out.added) > 0 {
				scheduled = &out.added[0]
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return scheduled
	}
	mark(t0)
	now = t0.Add(3 * time.Second)
	mark(now) // a second fact, 3 s later
	if next := run(); next == nil || !next.RunAt.Equal(t0.Add(8*time.Second)) {
		t.Fatalf("before settling: scheduled %+v, want a run at t0+8s", next)
	}
	now = t0.Add(8 * time.Second)
	if next := run(); next != nil {
		t.Fatalf("settled, yet scheduled again: %+v", next)
	}
	led, err := st.Ledger(ctx, shop.ID, "9")
	if err != nil || led.FirstFactAt != nil || led.ReconciledAt == nil {
		t.Fatalf("ledger = %+v, %v; want reconciled with its marks cleared", led, err)
	}
	if next := run(); next != nil {
		t.Fatalf("a task for facts already reconciled scheduled %+v", next)
	}
}
