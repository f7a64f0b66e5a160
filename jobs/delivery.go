package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/integrations/payload"
	"github.com/backorderd/backorderd/store"
)

// DeliveryHandler applies inbox rows: it turns each delivery into the
// domain's facts and writes them, newest state winning.
type DeliveryHandler struct {
	store      DeliveryStore
	dispatcher *Dispatcher
	settle     Settle
	metrics    *Metrics
	log        *slog.Logger
	now        func() time.Time
	batch      int
}

// DeliveryStore is the part of the store the delivery handler uses.
type DeliveryStore interface {
	TxStore
	InboxStatus(ctx context.Context, id int64) (string, error)
}

// deliveryBatch is how many deliveries of a shop one task applies at most,
// in one transaction: its own and the oldest others still waiting. During
// a flash sale a transaction per delivery spent its time in round trips
// and commits, and every delivery of an item waited its turn for the
// item's ledger row.
const deliveryBatch = 64

// NewDeliveryHandler returns the handler of TypeDelivery; the items its
// facts touch are reconciled once they settle.
func NewDeliveryHandler(s DeliveryStore, d *Dispatcher, settle Settle, m *Metrics, log *slog.Logger) *DeliveryHandler {
	return &DeliveryHandler{store: s, dispatcher: d, settle: settle, metrics: m, log: log, now: time.Now, batch: deliveryBatch}
}

// Outcomes of applying a delivery, as counted and logged.
const (
	outcomeProcessed   = "processed"
	outcomeRejected    = "rejected"
	outcomeStale       = "stale"
	outcomeUninstalled = "shop_uninstalled"
)

// ProcessTask applies the task's delivery, with other deliveries of its
// shop still waiting, unless it was already applied; each row is finished
// in the transaction that applied it.
func (h *DeliveryHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	id, err := decodeRow(t)
	if err != nil {
		return err
	}
	// Applied in another task's batch: one read, no transaction.
	if status, err := h.store.InboxStatus(ctx, id); err == nil && (status == store.InboxProcessed || status == store.InboxRejected) {
		return nil
	}
	err = h.applyBatch(ctx, id, h.batch)
	var busy *deliveryBusyError
	if err != nil && h.batch > 1 && ctx.Err() == nil && !errors.Is(err, asynq.SkipRetry) && !errors.As(err, &busy) {
		// Another delivery of the batch may be what failed: its own task
		// meets that alone. This one is applied alone now.
		err = h.applyBatch(ctx, id, 1)
	}
	return err
}

// deliveryBusyError is a delivery another task's batch holds: tried again
// shortly (retryDelay), when that batch has finished it, without using up
// a retry.
type deliveryBusyError struct{ id int64 }

func (e *deliveryBusyError) Error() string {
	return fmt.Sprintf("inbox row %d is being applied by another task", e.id)
}

// deliveryBusyDelay is how long a task whose delivery another batch holds
// waits before it looks again.
const deliveryBusyDelay = 500 * time.Millisecond

// applyBatch claims delivery id without waiting and up to limit-1 other
// waiting deliveries of its shop that no other task holds, and applies
// them in one transaction.
func (h *DeliveryHandler) applyBatch(ctx context.Context, id int64, limit int) error {
	return h.dispatcher.InTx(ctx, h.store, func(tx *store.Tx, out *Outbox) error {
		row, err := tx.TryClaimInbox(ctx, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return fmt.Errorf("inbox row %d is gone: %w", id, asynq.SkipRetry)
		case errors.Is(err, store.ErrBusy):
			return &deliveryBusyError{id: id}
		case err != nil:
			return err
		}
		// A failed row is one asynq archived; an operator who runs it again
		// from the monitor wants it applied.
		if row.Status != store.InboxAccepted && row.Status != store.InboxFailed {
			return nil
		}
		return h.apply(ctx, tx, out, row, limit)
	})
}

// decoded is a claimed delivery, its facts, and what became of it.
type decoded struct {
	row     store.InboxRow
	facts   backorder.Facts
	outcome string
	reason  string
}

// apply decodes the task's own delivery and, when its facts may be
// applied with others', claims up to limit-1 more of its shop, and writes
// their facts. A delivery whose facts are more than orders, items and
// stock levels (a deletion, a refund, privacy, an uninstall) is applied
// alone, by its own task.
func (h *DeliveryHandler) apply(ctx context.Context, tx *store.Tx, out *Outbox, own store.InboxRow, limit int) error {
	shop, err := tx.Shop(ctx, own.ShopID)
	if err != nil {
		return err
	}
	d, err := decode(shop, own)
	if err != nil {
		return err
	}
	ds := []decoded{d}
	if limit > 1 && batchable(d.facts) {
		more, err := tx.ClaimMoreInbox(ctx, own.ShopID, own.ID, limit-1)
		if err != nil {
			return err
		}
		for _, row := range more {
			d, err := decode(shop, row)
			if err != nil {
				return err
			}
			if batchable(d.facts) {
				ds = append(ds, d)
			}
		}
	}
	items, cause, err := applyFacts(ctx, tx, out, shop, ds)
	if err != nil {
		return err
	}
	outcomes := make([]store.InboxOutcome, len(ds))
	for i, d := range ds {
		status := store.InboxProcessed
		if d.outcome == outcomeRejected {
			status = store.InboxRejected
		}
		outcomes[i] = store.InboxOutcome{ID: d.row.ID, Status: status, Reason: d.reason}
		out.AfterCommit(func() {
			h.metrics.applied.WithLabelValues(d.outcome).Inc()
			h.log.Info("delivery "+d.outcome, "inbox_id", d.row.ID, "shop_id", d.row.ShopID, "topic", d.row.Topic, "reason", d.reason)
		})
	}
	// Before the ledger marks: the inbox rows are locked already, and the
	// ledger rows are the hottest locks, held to the commit.
	if err := tx.FinishInboxes(ctx, outcomes); err != nil {
		return err
	}
	if len(items) == 0 {
		return nil
	}
	var arrived time.Time // of the newest delivery with facts
	for _, d := range ds {
		if d.outcome == outcomeProcessed && d.row.ReceivedAt.After(arrived) {
			arrived = d.row.ReceivedAt
		}
	}
	return markItems(ctx, tx, out, shop.ID, items, h.now(), arrived, h.settle.Quiet, TaskID(TableInbox, cause))
}

// decode turns a delivery into its facts, or says why it has none to
// apply: rejected, or its shop uninstalled.
func decode(shop store.Shop, row store.InboxRow) (decoded, error) {
	d := decoded{row: row, outcome: outcomeProcessed}
	var headers map[string]string
	_ = json.Unmarshal([]byte(row.Headers), &headers) // written by the receiver; empty is harmless
	facts, err := normalize(shop, row, headers)
	var rej *payload.RejectError
	if errors.As(err, &rej) {
		d.outcome, d.reason = outcomeRejected, rej.Reason
		return d, nil
	}
	if err != nil {
		return decoded{}, err
	}
	if shop.Status == store.ShopUninstalled && facts.Privacy == nil {
		d.outcome, d.reason = outcomeUninstalled, "shop uninstalled: facts not applied"
		return d, nil
	}
	d.facts = facts
	return d, nil
}

// batchable says whether a delivery's facts may be applied with others':
// orders, items and stock levels, each kind taken in one lock order across
// the batch. Deletions and refunds lock rows of kinds taken earlier (a
// deleted order after the batch's other orders), and privacy and uninstall
// do more than write facts.
func batchable(f backorder.Facts) bool {
	return len(f.DeletedOrders) == 0 && len(f.Refunds) == 0 && len(f.DeletedItems) == 0 &&
		f.Privacy == nil && !f.Uninstalled
}

// markItems marks items for a reconcile, a fact caused by cause having
// been applied now (brought by deliveries the newest of which arrived at
// arrived; zero when none did), and schedules the reconcile, quiet later,
// of the items that were settled until now (the others have theirs
// scheduled already).
func markItems(ctx context.Context, tx *store.Tx, out *Outbox, shopID int64, items []string, now, arrived time.Time, quiet time.Duration, cause string) error {
	fresh, err := tx.MarkItems(ctx, shopID, items, now, arrived, cause)
	if err != nil {
		return err
	}
	for _, item := range fresh {
		if err := scheduleReconcile(ctx, out, ReconcileArgs{ShopID: shopID, ItemID: item}, now.Add(quiet)); err != nil {
			return err
		}
	}
	return nil
}
