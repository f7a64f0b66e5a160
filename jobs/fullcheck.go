package jobs

import (
	"context"
	"time"

	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/store"
)

// TypeFullCheck recomputes every item with open lines or unfinished
// backorders through the same settled reconcile, so that whatever a lost or
// misordered delivery left wrong is found and corrected (and counted as
// drift). Periodic: once per period across all replicas.
const TypeFullCheck = "periodic:full-check"

// ItemLister lists the items a full check looks at.
type ItemLister interface {
	ItemsToCheck(ctx context.Context) ([]store.ItemRef, error)
}

// FullCheckHandler schedules a forced reconcile of every item to check, in
// one transaction: each is an outbox task of its own, so the check spreads
// over the workers and survives a crash.
func (d *Dispatcher) FullCheckHandler(s interface {
	TxStore
	ItemLister
}) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error {
		items, err := s.ItemsToCheck(ctx)
		if err != nil || len(items) == 0 {
			return err
		}
		return d.InTx(ctx, s, func(_ *store.Tx, out *Outbox) error {
			for _, it := range items {
				args := ReconcileArgs{ShopID: it.ShopID, ItemID: it.ItemID, Force: true}
				if err := scheduleReconcile(ctx, out, args, time.Time{}); err != nil {
					return err
				}
			}
			return nil
		})
	})
}
