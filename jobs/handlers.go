package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/store"
)

// OutboxFunc makes the effect of one outbox task inside the transaction that
// marks it done; follow-up tasks go into out.
type OutboxFunc func(ctx context.Context, tx *store.Tx, out *Outbox, task store.OutboxTask) error

// OutboxHandler is the asynq handler of an outbox task type: it claims the
// row (locking it), skips a row already done, runs fn and marks the row done
// in the same transaction. A task delivered twice therefore has one effect.
func (d *Dispatcher) OutboxHandler(s TxStore, fn OutboxFunc) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		id, err := decodeRow(t)
		if err != nil {
			return err
		}
		return d.InTx(ctx, s, func(tx *store.Tx, out *Outbox) error {
			row, err := tx.ClaimOutbox(ctx, id)
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("outbox row %d is gone: %w", id, asynq.SkipRetry)
			}
			if err != nil {
				return err
			}
			if row.Status == store.OutboxDone {
				return nil
			}
			if err := fn(ctx, tx, out, row); err != nil {
				return err
			}
			return tx.FinishOutbox(ctx, id)
		})
	})
}
