package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/backorderd/backorderd/store"
)

// Errors of Purchasing that callers map: ErrConflict (409) when the
// purchase order's status does not allow the change, ErrUnprocessable
// (422) when the request contradicts the order (more received than
// ordered, an item it does not have), ErrBadRequest (400) when the request
// itself is malformed. store.ErrNotFound (404) when there is no such order.
var (
	ErrConflict      = errors.New("conflict")
	ErrUnprocessable = errors.New("unprocessable")
	ErrBadRequest    = errors.New("bad request")
)

// TypeSendPO sends a purchase order's revision through its supplier's
// channel.
const TypeSendPO = "supply:send-po"

// SendPOArgs name the purchase order and the revision to send.
type SendPOArgs struct {
	POID     int64    `json:"po_id"`
	Revision int      `json:"revision"`
	Subject  *Subject `json:"subject,omitempty"` // for people: handlers ignore it
}

func (a SendPOArgs) subject() *Subject { return a.Subject }

// The kinds of a purchase order's trail that Purchasing writes.
const (
	poEventSent       = "sent"
	poEventSendFailed = "send_failed"
	poEventConfirmed  = "confirmed"
	poEventChanged    = "changed"
	poEventReceived   = "received"
	poEventCancelled  = "cancelled"
)

// SupplierSender POSTs a purchase order document to a supplier (the
// integrations/supplier client); supplier.IsPermanent says whether an
// error is worth a retry.
type SupplierSender interface {
	SendPO(ctx context.Context, url, secret, deliveryID string, body []byte) error
}

// Purchasing is the service of purchase orders: approving, confirming,
// cancelling and receiving them (the admin API and the supplier webhook
// call it), sending them, and reordering. Every change locks the order's
// row, then the ledgers of its items in item id order (docs/architecture.md,
// "Lock order"), and recomputes the items' ETAs in its transaction.
type Purchasing struct {
	store      TxStore
	dispatcher *Dispatcher
	sender     SupplierSender
	metrics    *Metrics
	log        *slog.Logger
	now        func() time.Time
}

// NewPurchasing returns the purchasing service; sender may be nil when no
// supplier is reached over http.
func NewPurchasing(s TxStore, d *Dispatcher, sender SupplierSender, m *Metrics, log *slog.Logger) *Purchasing {
	return &Purchasing{store: s, dispatcher: d, sender: sender, metrics: m, log: log, now: time.Now}
}

// Confirmation is what a supplier (or the merchant for it) confirms of a
// purchase order: its expected date and, per line, a changed quantity or
// date. Nil fields are left as they are.
type Confirmation struct {
	ExpectedAt *time.Time
	Lines      []LineChange
}

// LineChange is a confirmation's change to one item's line.
type LineChange struct {
	ItemID     string
	Quantity   *int
	ExpectedAt *time.Time
}

// change runs fn on the locked purchase order and its lines in one
// transaction, then recomputes the ETAs of its items unless fn says the
// order did not change; it returns the order as fn left it.
func (p *Purchasing) change(ctx context.Context, poID int64,
	fn func(tx *store.Tx, out *Outbox, po *store.PurchaseOrder, lines []store.POLine) (arrived map[string]int, changed bool, err error)) (store.PurchaseOrder, error) {
	var res store.PurchaseOrder
	err := p.dispatcher.InTx(ctx, p.store, func(tx *store.Tx, out *Outbox) error {
		po, lines, err := tx.LockPO(ctx, poID)
		if err != nil {
			return err
		}
		arrived, changed, err := fn(tx, out, &po, lines)
		if err != nil {
			return err
		}
		res = po
		if !changed {
			return nil
		}
		return p.recomputeItems(ctx, tx, out, po.ShopID, lines, arrived)
	})
	return res, err
}

// TermsChanged recomputes an item's ETAs after its supplier terms were set
// or removed: the lead time an estimate counts, or whether it has a
// supplier at all, may have changed. Setting terms again is harmless, so a
// caller whose recompute failed sets them again.
func (p *Purchasing) TermsChanged(ctx context.Context, shopID int64, itemID string) error {
	return p.dispatcher.InTx(ctx, p.store, func(tx *store.Tx, out *Outbox) error {
		return p.recomputeItems(ctx, tx, out, shopID, []store.POLine{{ItemID: itemID}}, nil)
	})
}

// recomputeItems recomputes the ETAs of the order's items, each under its
// ledger lock, in item id order.
func (p *Purchasing) recomputeItems(ctx context.Context, tx *store.Tx, out *Outbox, shopID int64, lines []store.POLine, arrived map[string]int) error {
	shop, err := tx.Shop(ctx, shopID)
	if err != nil {
		return err
	}
	items := make([]string, len(lines))
	for i, l := range lines {
		items[i] = l.ItemID
	}
	slices.Sort(items)
	today := shopDay(shop, p.now())
	for _, item := range slices.Compact(items) {
		if _, err := tx.LockLedger(ctx, shopID, item); err != nil {
			return err
		}
		if err := recomputeETAWith(ctx, tx, out, shop, item, today, arrived[item]); err != nil {
			return err
		}
	}
	return nil
}

// Approve sends a draft: it becomes sent (now) and its send task is
// written. ErrConflict when it is not a draft, ErrUnprocessable when it
// orders nothing.
func (p *Purchasing) Approve(ctx context.Context, poID int64) (store.PurchaseOrder, error) {
	return p.change(ctx, poID, func(tx *store.Tx, out *Outbox, po *store.PurchaseOrder, lines []store.POLine) (map[string]int, bool, error) {
		if po.Status != store.PODraft {
			return nil, false, fmt.Errorf("approve purchase order %d: it is %s, not a draft: %w", po.ID, po.Status, ErrConflict)
		}
		if len(lines) == 0 {
			return nil, false, fmt.Errorf("approve purchase order %d: it has no lines: %w", po.ID, ErrUnprocessable)
		}
		return nil, true, p.send(ctx, tx, out, po)
	})
}

// send marks a draft sent and writes its send task, in the caller's
// transaction.
func (p *Purchasing) send(ctx context.Context, tx *store.Tx, out *Outbox, po *store.PurchaseOrder) error {
	now := p.now()
	po.Status, po.SentAt = store.POSent, &now
	if err := tx.SavePO(ctx, *po); err != nil {
		return err
	}
	if err := tx.AddPOEvent(ctx, store.POEvent{POID: po.ID, Revision: po.Revision, Kind: poEventSent}); err != nil {
		return err
	}
	_, err := out.Add(ctx, TypeSendPO, QueueDefault, SendPOArgs{POID: po.ID, Revision: po.Revision,
		Subject: &Subject{shopID: po.ShopID, PO: po.ID}}, time.Time{})
	return err
}

// Cancel cancels a purchase order that is not received yet, with the
// reason; its units no longer count as coming. ErrConflict when it is
// received or cancelled already.
func (p *Purchasing) Cancel(ctx context.Context, poID int64, reason string) (store.PurchaseOrder, error) {
	return p.change(ctx, poID, func(tx *store.Tx, _ *Outbox, po *store.PurchaseOrder, _ []store.POLine) (map[string]int, bool, error) {
		if po.Status == store.POReceived || po.Status == store.POCancelled {
			return nil, false, fmt.Errorf("cancel purchase order %d: it is %s: %w", po.ID, po.Status, ErrConflict)
		}
		now := p.now()
		po.Status, po.CancelReason, po.CancelledAt = store.POCancelled, reason, &now
		if err := tx.SavePO(ctx, *po); err != nil {
			return nil, false, err
		}
		return nil, true, tx.AddPOEvent(ctx, store.POEvent{POID: po.ID, Revision: po.Revision, Kind: poEventCancelled, Detail: reason})
	})
}
