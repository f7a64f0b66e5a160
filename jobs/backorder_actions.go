package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/email"
	"github.com/backorderd/backorderd/integrations/storeapi"
	"github.com/backorderd/backorderd/store"
)

// MaxReasonLength bounds the reason an operator gives for an action, in
// characters.
const MaxReasonLength = 500

// Action is who does an operator's action and why.
type Action struct {
	// Actor is who acts: "admin token", or a login's name.
	Actor  string
	Reason string
}

// check refuses an action without a reason or actor, or with a reason
// longer than MaxReasonLength.
func (a Action) check() error {
	switch n := utf8.RuneCountInString(strings.TrimSpace(a.Reason)); {
	case n == 0:
		return fmt.Errorf("a reason is required: %w", ErrUnprocessable)
	case n > MaxReasonLength:
		return fmt.Errorf("the reason is %d characters, at most %d: %w", n, MaxReasonLength, ErrUnprocessable)
	case strings.TrimSpace(a.Actor) == "":
		return fmt.Errorf("who acts is not known: %w", ErrBadRequest)
	}
	return nil
}

// StoreEffect says what an operator's cancellation asks of the shop's
// store.
type StoreEffect string

// What a cancellation asks of the store.
const (
	// StoreNone: the shop's store cannot be written to (no credentials):
	// the merchant cancels in the store by hand.
	StoreNone StoreEffect = "none"
	// StoreCancelOrder: nothing of the order is left to ship, so the order
	// is cancelled (and refunded) in the store, as after the maximum wait.
	StoreCancelOrder StoreEffect = "cancel_order"
	// StoreUpdateOrder: the order still has units to ship; what the store
	// shows of it (tag, hold, ETA note, status) no longer counts the line.
	StoreUpdateOrder StoreEffect = "update_order"
)

// Backorders is the service of operators' actions on backorders: cancelling
// one's wait and moving one to the front of its item's queue (the admin API
// calls it). Each action locks the backorder's item ledger (as a reconcile
// does), acts, and is recorded with who, what, why and when.
type Backorders struct {
	store      TxStore
	dispatcher *Dispatcher
	log        *slog.Logger
	now        func() time.Time
}

// NewBackorders returns the service of operators' actions on backorders.
func NewBackorders(s TxStore, d *Dispatcher, log *slog.Logger) *Backorders {
	return &Backorders{store: s, dispatcher: d, log: log, now: time.Now}
}

// Cancel cancels backorder id's wait: its waiting units leave its item's
// queue (units it was allocated stay its own), the item's reconcile is
// marked, as for any new fact, so that the next units go to the next in
// line, and the customer is told in a cancelled message. With store
// credentials the store is updated: the order is cancelled there when
// nothing of it is left to ship, otherwise its order write drops the line.
// A backorder with nothing waiting (allocated, shipped, cancelled) is
// ErrConflict: cancelling twice is one cancellation.
func (b *Backorders) Cancel(ctx context.Context, id int64, a Action) (StoreEffect, error) {
	if err := a.check(); err != nil {
		return "", err
	}
	effect := StoreNone
	err := b.dispatcher.InTx(ctx, b.store, func(tx *store.Tx, out *Outbox) error {
		now := b.now()
		bo, err := b.lock(ctx, tx, out, id, now, "operator:cancel:"+strconv.FormatInt(id, 10))
		if err != nil {
			return err
		}
		if bo.Waiting == 0 {
			return fmt.Errorf("backorder %d is %s, nothing of it waits: %w", id, bo.Status, ErrConflict)
		}
		// An order the store cancelled or closed, whose fact the item's
		// reconcile has yet to apply, still shows units waiting: it has
		// none left to ship, and cancelling it in the store again would
		// fail there. Its backorder follows the store's word.
		if open, err := tx.OrderUnitsToShip(ctx, bo.ShopID, bo.OrderID); err != nil {
			return err
		} else if open == 0 {
			return fmt.Errorf("order %s of backorder %d is no longer open in the store (cancelled, closed or shipped "+
				"there): its backorder follows at the item's next reconcile: %w", bo.OrderID, id, ErrConflict)
		}
		if err := tx.WithdrawBackorder(ctx, id, now); err != nil {
			return err
		}
		if _, err := tx.AddOperatorAction(ctx, store.OperatorAction{ShopID: bo.ShopID, BackorderID: id,
			Action: store.ActionCancel, Actor: a.Actor, Reason: a.Reason},
			store.EventWrite{Kind: string(backorder.StatusCancelled), Quantity: bo.Waiting, Detail: a.Reason}); err != nil {
			return err
		}
		shop, err := tx.Shop(ctx, bo.ShopID)
		if err != nil {
			return err
		}
		left, err := tx.OrderUnitsToShip(ctx, shop.ID, bo.OrderID)
		if err != nil {
			return err
		}
		if err := tellCancelled(ctx, tx, out, shop, bo, left == 0); err != nil {
			return err
		}
		effect, err = cancelInStore(ctx, tx, out, shop, bo.OrderID, left == 0, a.Reason)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("cancel backorder %d: %w", id, err)
	}
	b.log.Info("backorder cancelled by an operator", "backorder_id", id, "actor", a.Actor, "store", effect)
	return effect, nil
}

// Prioritize moves backorder id to the front of its item's queue: the next
// units of the item go to it first, before every line that was not
// prioritized later. No unit already covering another customer moves (see
// backorder.Reconcile); the ETAs of the item's lines are recomputed in
// their new order. A backorder with nothing waiting is ErrConflict.
func (b *Backorders) Prioritize(ctx context.Context, id int64, a Action) error {
	if err := a.check(); err != nil {
		return err
	}
	err := b.dispatcher.InTx(ctx, b.store, func(tx *store.Tx, out *Outbox) error {
		now := b.now()
		bo, err := tx.BackorderForAction(ctx, id)
		if err != nil {
			return err
		}
		if _, err := tx.LockLedger(ctx, bo.ShopID, bo.ItemID); err != nil {
			return err
		}
		if bo, err = tx.BackorderForAction(ctx, id); err != nil {
			return err
		}
		if bo.Waiting == 0 {
			return fmt.Errorf("backorder %d is %s, nothing of it waits: %w", id, bo.Status, ErrConflict)
		}
		if err := tx.PrioritizeBackorder(ctx, id, now); err != nil {
			return err
		}
		if _, err := tx.AddOperatorAction(ctx, store.OperatorAction{ShopID: bo.ShopID, BackorderID: id,
			Action: store.ActionPrioritize, Actor: a.Actor, Reason: a.Reason},
			store.EventWrite{Kind: store.EventPrioritized, Quantity: bo.Waiting, Detail: a.Reason}); err != nil {
			return err
		}
		shop, err := tx.Shop(ctx, bo.ShopID)
		if err != nil {
			return err
		}
		return recomputeETA(ctx, tx, out, shop, bo.ItemID, shopDay(shop, now))
	})
	if err != nil {
		return fmt.Errorf("prioritize backorder %d: %w", id, err)
	}
	b.log.Info("backorder prioritized by an operator", "backorder_id", id, "actor", a.Actor)
	return nil
}

// lock reads backorder id, locks its order's row (what is left of the
// order is then read as other operators' cancellations of its other lines
// left it), marks its item for a reconcile (which locks the item's ledger:
// reconciles of the item wait for this transaction) and reads the
// backorder again, as the locks left it.
func (b *Backorders) lock(ctx context.Context, tx *store.Tx, out *Outbox, id int64, now time.Time, cause string) (store.BackorderEntry, error) {
	bo, err := tx.BackorderForAction(ctx, id)
	if err != nil {
		return store.BackorderEntry{}, err
	}
	if err := tx.LockOrder(ctx, bo.ShopID, bo.OrderID); err != nil {
		return store.BackorderEntry{}, err
	}
	if err := markItems(ctx, tx, out, bo.ShopID, []string{bo.ItemID}, now, time.Time{}, 0, cause); err != nil {
		return store.BackorderEntry{}, err
	}
	return tx.BackorderForAction(ctx, id)
}

// tellCancelled writes the customer's cancelled message about one
// backorder whose wait an operator cancelled (bo, as it was): its waiting
// units are what is cancelled. When nothing of the order is left, it is
// the order's cancelled message (order:{id}:cancelled), which the store's
// cancellation coming back will not write again; otherwise one of the line
// (order:{id}:cancelled:{line id}). An order with no address gets none.
func tellCancelled(ctx context.Context, tx *store.Tx, out *Outbox, shop store.Shop, bo store.BackorderEntry, whole bool) error {
	orders, err := tx.CustomerOrders(ctx, shop.ID, "", "", []string{bo.OrderID})
	if err != nil || len(orders) == 0 || orders[0].Email == "" {
		return err
	}
	o := orders[0]
	line := emailLine(bo)
	line.Cancelled, line.Waiting, line.ETA, line.ETAKind = bo.Waiting, 0, "", ""
	data := email.Order{Shop: emailShop(shop), OrderName: o.Name, CustomerName: o.FirstName, Lines: []email.Line{line}}
	key := "order:" + bo.OrderID + ":cancelled"
	if !whole {
		key += ":" + bo.LineID
	}
	_, _, err = writeEmail(ctx, tx, out, shop, email.Cancelled, key, customer(o), data)
	return err
}

// cancelInStore records what the shop's store should show after an
// operator cancelled a backorder of orderID, through the store writes the
// write-back makes: the order cancelled (and refunded) when nothing of it
// is left (whole), as after the maximum wait; otherwise the order's write,
// decided after the transaction, no longer counts the line.
func cancelInStore(ctx context.Context, tx *store.Tx, out *Outbox, shop store.Shop, orderID string, whole bool, reason string) (StoreEffect, error) {
	ok, err := out.canWrite(ctx, shop.ID)
	if err != nil || !ok {
		return StoreNone, err
	}
	out.touchOrders(shop.ID, orderID)
	if !whole {
		if orderWrites(shop) == nil {
			return StoreNone, nil // the shop has no order writes on
		}
		return StoreUpdateOrder, nil
	}
	c := storeapi.Cancel{Key: "cancel:" + orderID, OrderID: orderID, Reason: "backorderd: cancelled by an operator: " + reason}
	return StoreCancelOrder, wantStoreWrite(ctx, tx, out, shop.ID, store.StoreWriteCancel, orderID, c)
}
