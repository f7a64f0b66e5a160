package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/webhooks"
)

// DeliveryHandler applies inbox rows: it turns each delivery into the
// domain's facts and writes them, newest state winning.
type DeliveryHandler struct {
	store      TxStore
	dispatcher *Dispatcher
	metrics    *Metrics
	log        *slog.Logger
}

// NewDeliveryHandler returns the handler of TypeDelivery.
func NewDeliveryHandler(s TxStore, d *Dispatcher, m *Metrics, log *slog.Logger) *DeliveryHandler {
	return &DeliveryHandler{store: s, dispatcher: d, metrics: m, log: log}
}

// Outcomes of applying a delivery, as counted and logged.
const (
	outcomeProcessed   = "processed"
	outcomeRejected    = "rejected"
	outcomeStale       = "stale"
	outcomeUninstalled = "shop_uninstalled"
)

// ProcessTask claims the delivery's row, applies it unless it already was,
// and finishes the row in the same transaction.
func (h *DeliveryHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	id, err := decodeRow(t)
	if err != nil {
		return err
	}
	var row store.InboxRow
	outcome, reason := "", ""
	err = h.dispatcher.InTx(ctx, h.store, func(tx *store.Tx, _ *Outbox) error {
		outcome, reason = "", ""
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
		status := store.InboxProcessed
		outcome, reason, err = h.apply(ctx, tx, row)
		if err != nil {
			return err
		}
		if outcome == outcomeRejected {
			status = store.InboxRejected
		}
		return tx.FinishInbox(ctx, id, status, reason)
	})
	if err != nil {
		return err
	}
	if outcome != "" {
		h.metrics.applied.WithLabelValues(outcome).Inc()
		h.log.Info("delivery "+outcome, "inbox_id", id, "shop_id", row.ShopID, "topic", row.Topic, "reason", reason)
	}
	return nil
}

// apply decodes one delivery and writes its facts.
func (h *DeliveryHandler) apply(ctx context.Context, tx *store.Tx, row store.InboxRow) (outcome, reason string, err error) {
	shop, err := tx.Shop(ctx, row.ShopID)
	if err != nil {
		return "", "", err
	}
	var headers map[string]string
	_ = json.Unmarshal([]byte(row.Headers), &headers) // written by the receiver; empty is harmless
	facts, err := webhooks.Normalize(shop.Platform, row.Topic, headers, row.Body, row.ReceivedAt, row.ID)
	var rej *webhooks.RejectError
	if errors.As(err, &rej) {
		return outcomeRejected, rej.Reason, nil
	}
	if err != nil {
		return "", "", err
	}
	if shop.Status == "uninstalled" && facts.Privacy == nil {
		return outcomeUninstalled, "shop uninstalled: facts not applied", nil
	}
	stale, err := applyFacts(ctx, tx, shop.ID, facts)
	if err != nil {
		return "", "", err
	}
	if facts.Uninstalled {
		if err := tx.UninstallShop(ctx, shop.ID); err != nil {
			return "", "", err
		}
	}
	if facts.Privacy != nil {
		if err := carryOutPrivacy(ctx, tx, shop, row.ID, *facts.Privacy); err != nil {
			return "", "", err
		}
	}
	if stale > 0 {
		return outcomeStale, fmt.Sprintf("stale: a newer state was already applied (%d of its facts)", stale), nil
	}
	return outcomeProcessed, "", nil
}

// applyFacts writes a delivery's facts, each only if it is newer than what
// is applied, and returns how many were stale. Order edits are not written:
// Shopify follows each with an orders/updated delivery carrying the new
// quantities, which is the state applied.
func applyFacts(ctx context.Context, tx *store.Tx, shopID int64, f backorder.Facts) (stale int, err error) {
	count := func(applied bool, err error) error {
		if err == nil && !applied {
			stale++
		}
		return err
	}
	for _, o := range f.Orders {
		if err := count(tx.ApplyOrder(ctx, shopID, o)); err != nil {
			return 0, err
		}
	}
	for _, id := range f.DeletedOrders {
		if err := tx.DeleteOrder(ctx, shopID, id); err != nil {
			return 0, err
		}
	}
	for _, r := range f.Refunds {
		if err := tx.ApplyRefund(ctx, shopID, r); err != nil {
			return 0, err
		}
	}
	for _, it := range f.Items {
		if err := count(tx.ApplyItem(ctx, shopID, it)); err != nil {
			return 0, err
		}
	}
	for _, id := range f.DeletedItems {
		if err := tx.DeleteItem(ctx, shopID, id); err != nil {
			return 0, err
		}
	}
	for _, l := range f.Levels {
		if err := count(tx.ApplyLevel(ctx, shopID, l)); err != nil {
			return 0, err
		}
	}
	return stale, nil
}
