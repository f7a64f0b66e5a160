package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

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

// DeliveryHandler applies inbox rows.
type DeliveryHandler struct {
	store      TxStore
	dispatcher *Dispatcher
	log        *slog.Logger
}

// NewDeliveryHandler returns the handler of TypeDelivery.
func NewDeliveryHandler(s TxStore, d *Dispatcher, log *slog.Logger) *DeliveryHandler {
	return &DeliveryHandler{store: s, dispatcher: d, log: log}
}

// ProcessTask claims the delivery's row, applies it unless it already was,
// and marks it processed in the same transaction.
func (h *DeliveryHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	id, err := decodeRow(t)
	if err != nil {
		return err
	}
	var row store.InboxRow
	applied := false
	err = h.dispatcher.InTx(ctx, h.store, func(tx *store.Tx, _ *Outbox) error {
		row, err = tx.ClaimInbox(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("inbox row %d is gone: %w", id, asynq.SkipRetry)
		}
		if err != nil {
			return err
		}
		// A failed row is one asynq archived; an operator who runs it again
		// from the monitor wants it applied.
		if row.Status != store.InboxAccepted && row.Status != store.InboxFailed {
			return nil
		}
		applied = true
		return tx.FinishInbox(ctx, id, store.InboxProcessed, "")
	})
	if err != nil {
		return err
	}
	if applied {
		h.log.Info("delivery processed", "inbox_id", id, "shop_id", row.ShopID, "topic", row.Topic)
	}
	return nil
}
