package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// stuckRedis is a Redis that takes every task and never answers.
type stuckRedis struct{ calls atomic.Int32 }

func (r *stuckRedis) EnqueueContext(ctx context.Context, _ *asynq.Task, _ ...asynq.Option) (*asynq.TaskInfo, error) {
	r.calls.Add(1)
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestEnqueueAfterCommitStopsAtTheCallersDeadline: with Redis hanging, a
// transaction that added many tasks returns soon after its caller's
// deadline, not after a timeout per task; the rows stay for the relay.
func TestEnqueueAfterCommitStopsAtTheCallersDeadline(t *testing.T) {
	st := storetest.New(t, store.SQLite)
	redis := &stuckRedis{}
	d := NewHarness(t, st, WithEnqueuer(redis)).Dispatcher
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var added []store.OutboxTask
	start := time.Now()
	err := d.InTx(ctx, st, func(tx *store.Tx, out *Outbox) error {
		for range 20 {
			if _, err := out.Add(ctx, TypeReconcile, QueueDefault, ReconcileArgs{ShopID: 1, ItemID: "1"}, time.Time{}); err != nil {
				return err
			}
		}
		added = out.added
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("InTx returned after %v (%d enqueue calls); want soon after the 300 ms deadline", took, redis.calls.Load())
	}
	for _, task := range added {
		row, err := st.Outbox(context.Background(), task.ID)
		if err != nil || row.Status != store.OutboxPending {
			t.Fatalf("outbox row %d = %+v, %v; want pending for the relay", task.ID, row, err)
		}
	}
}

// TestReconcileCountsOnlyWhatItCommitted: a reconcile whose transaction
// fails after it decided counts nothing; the one that commits counts once.
func TestReconcileCountsOnlyWhatItCommitted(t *testing.T) {
	st := storetest.New(t, store.SQLite)
	ctx := context.Background()
	shop, err := st.AddShop(ctx, store.NewShop(store.Shopify, "a.myshopify.com", "s"))
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	zero := 0
	err = st.InTx(ctx, func(tx *store.Tx) error {
		v := backorder.Version{At: t0}
		if _, err := tx.ApplyItem(ctx, shop.ID, backorder.Item{ItemID: "9", StockKey: "k9", Version: v}); err != nil {
			return err
		}
		if _, err := tx.ApplyLevel(ctx, shop.ID, backorder.StockLevel{StockKey: "k9", LocationID: "1", Available: &zero, Version: v}); err != nil {
			return err
		}
		o := backorder.Order{OrderID: "1", Status: backorder.OrderOpen, PlacedAt: t0.Add(time.Minute),
			Lines:   []backorder.Line{{LineID: "11", ItemID: "9", Quantity: 2, OpenUnits: 2}},
			Version: backorder.Version{At: t0.Add(time.Minute)}}
		if _, err := tx.ApplyOrder(ctx, shop.ID, o); err != nil {
			return err
		}
		_, err := tx.MarkItems(ctx, shop.ID, []string{"9"}, t0, time.Time{}, "inbox:1")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	h := NewHarness(t, st, Offline(), WithClock(func() time.Time { return t0.Add(time.Hour) }))
	d, m, r := h.Dispatcher, h.Metrics, h.Reconciler
	payload, _ := json.Marshal(ReconcileArgs{ShopID: shop.ID, ItemID: "9"})
	refused := errors.New("refused after the reconcile decided")
	err = d.InTx(ctx, st, func(tx *store.Tx, out *Outbox) error {
		if err := r.run(ctx, tx, out, store.OutboxTask{Payload: payload}); err != nil {
			return err
		}
		return refused
	})
	if !errors.Is(err, refused) {
		t.Fatalf("err = %v, want the refusal", err)
	}
	if got := counterValue(t, m.started); got != 0 {
		t.Fatalf("backorders started after a rolled-back reconcile = %v, want 0", got)
	}
	err = d.InTx(ctx, st, func(tx *store.Tx, out *Outbox) error {
		return r.run(ctx, tx, out, store.OutboxTask{Payload: payload})
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := counterValue(t, m.started); got != 1 {
		t.Fatalf("backorders started after the committed reconcile = %v, want 1", got)
	}
}
