package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/integrations/payload"
	"github.com/backorderd/backorderd/store"
)

// DeliveryHandler applies inbox rows: it turns each delivery into the
// domain's facts and writes them, newest state winning.
type DeliveryHandler struct {
	store      TxStore
	dispatcher *Dispatcher
	settle     Settle
	metrics    *Metrics
	log        *slog.Logger
	now        func() time.Time
}

// NewDeliveryHandler returns the handler of TypeDelivery; the items its
// facts touch are reconciled once they settle.
func NewDeliveryHandler(s TxStore, d *Dispatcher, settle Settle, m *Metrics, log *slog.Logger) *DeliveryHandler {
	return &DeliveryHandler{store: s, dispatcher: d, settle: settle, metrics: m, log: log, now: time.Now}
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
	return h.dispatcher.InTx(ctx, h.store, func(tx *store.Tx, out *Outbox) error {
		row, err := tx.ClaimInbox(ctx, id)
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
		outcome, reason, err := h.apply(ctx, tx, out, row)
		if err != nil {
			return err
		}
		if outcome == outcomeRejected {
			status = store.InboxRejected
		}
		out.AfterCommit(func() {
			h.metrics.applied.WithLabelValues(outcome).Inc()
			h.log.Info("delivery "+outcome, "inbox_id", id, "shop_id", row.ShopID, "topic", row.Topic, "reason", reason)
		})
		return tx.FinishInbox(ctx, id, status, reason)
	})
}

// apply decodes one delivery and writes its facts.
func (h *DeliveryHandler) apply(ctx context.Context, tx *store.Tx, out *Outbox, row store.InboxRow) (outcome, reason string, err error) {
	shop, err := tx.Shop(ctx, row.ShopID)
	if err != nil {
		return "", "", err
	}
	var headers map[string]string
	_ = json.Unmarshal([]byte(row.Headers), &headers) // written by the receiver; empty is harmless
	facts, err := normalize(shop, row, headers)
	var rej *payload.RejectError
	if errors.As(err, &rej) {
		return outcomeRejected, rej.Reason, nil
	}
	if err != nil {
		return "", "", err
	}
	if shop.Status == store.ShopUninstalled && facts.Privacy == nil {
		return outcomeUninstalled, "shop uninstalled: facts not applied", nil
	}
	// The items of the orders' lines as stored: a line the new state no
	// longer has frees its item's units too.
	facts = inLockOrder(facts)
	before, err := storedItems(ctx, tx, shop.ID, facts)
	if err != nil {
		return "", "", err
	}
	stale, err := applyFacts(ctx, tx, shop.ID, facts)
	if err != nil {
		return "", "", err
	}
	// Stock of an inventory item no item maps is looked up in the store.
	if err := wantResolves(ctx, tx, out, shop, facts.Levels); err != nil {
		return "", "", err
	}
	if facts.Uninstalled {
		if err := tx.UninstallShop(ctx, shop.ID); err != nil {
			return "", "", err
		}
	}
	if facts.Privacy != nil {
		if err := carryOutPrivacy(ctx, tx, out, shop, row.ID, *facts.Privacy); err != nil {
			return "", "", err
		}
	}
	// Last: the ledger rows are the hottest locks, held to the commit.
	if err := h.markTouched(ctx, tx, out, shop.ID, row.ID, facts, before); err != nil {
		return "", "", err
	}
	if stale > 0 {
		return outcomeStale, fmt.Sprintf("stale: a newer state was already applied (%d of its facts)", stale), nil
	}
	return outcomeProcessed, "", nil
}

// markTouched marks every item the facts touch for a reconcile, and
// schedules it for the items that were settled until now.
func (h *DeliveryHandler) markTouched(ctx context.Context, tx *store.Tx, out *Outbox, shopID, inboxID int64, f backorder.Facts, before []string) error {
	items, err := touchedItems(ctx, tx, shopID, f, before)
	if err != nil || len(items) == 0 {
		return err
	}
	return markItems(ctx, tx, out, shopID, items, h.now(), h.settle.Quiet, TaskID(TableInbox, inboxID))
}

// markItems marks items for a reconcile, a fact caused by cause having
// arrived now, and schedules the reconcile, quiet later, of the items that
// were settled until now (the others have theirs scheduled already).
func markItems(ctx context.Context, tx *store.Tx, out *Outbox, shopID int64, items []string, now time.Time, quiet time.Duration, cause string) error {
	fresh, err := tx.MarkItems(ctx, shopID, items, now, cause)
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

// storedItems are the items of the stored lines of the orders the facts
// change, read before the facts are applied.
func storedItems(ctx context.Context, tx *store.Tx, shopID int64, f backorder.Facts) ([]string, error) {
	orders := slices.Clone(f.DeletedOrders)
	for _, o := range f.Orders {
		orders = append(orders, o.OrderID)
	}
	for _, r := range f.Refunds {
		orders = append(orders, r.OrderID)
	}
	slices.Sort(orders)
	var items []string
	for _, o := range slices.Compact(orders) {
		ids, err := tx.OrderItemIDs(ctx, shopID, o)
		if err != nil {
			return nil, err
		}
		items = append(items, ids...)
	}
	return items, nil
}

// touchedItems are the items whose ledger a delivery's facts may move:
// before, the items of the orders' lines as they were, and the items the
// applied facts name.
func touchedItems(ctx context.Context, tx *store.Tx, shopID int64, f backorder.Facts, before []string) ([]string, error) {
	items := slices.Clone(before)
	for _, o := range f.Orders {
		for _, l := range o.Lines {
			items = append(items, l.ItemID)
		}
	}
	for _, it := range f.Items {
		items = append(items, it.ItemID)
	}
	items = append(items, f.DeletedItems...)
	keys := make([]string, 0, len(f.Levels))
	for _, l := range f.Levels {
		keys = append(keys, l.StockKey)
	}
	ids, err := tx.ItemsByStockKeys(ctx, shopID, keys)
	if err != nil {
		return nil, err
	}
	items = append(items, ids...)
	items = slices.DeleteFunc(items, func(id string) bool { return id == "" })
	slices.Sort(items)
	return slices.Compact(items), nil
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
