package jobs

import (
	"context"
	"time"

	"github.com/backorderd/backorderd/store"
)

// orderSettleRecheck is how long after its last item was due to settle an
// order's messages look again, when that item's reconcile had not yet run.
const orderSettleRecheck = 250 * time.Millisecond

// settledOrders returns the orders of args whose items have all settled
// and whose messages no other task is writing, in the order listed, and
// puts off the others' messages, in a task of their own, until the last of
// their items is due to have settled (or shortly, for one held): an
// order's message gathers every line of it that goes short (design.md,
// "Emails"). The reconcile schedules its orders' messages at once, so a
// message no longer waits a further SETTLE_QUIET after the items settled.
func (n *OrderMessages) settledOrders(ctx context.Context, tx *store.Tx, out *Outbox, args OrderMessagesArgs) ([]string, error) {
	// An order whose messages another task is writing now waits for it:
	// it is looked at again after orderSettleRecheck.
	locked, err := tx.TryLockOrders(ctx, args.ShopID, args.OrderIDs)
	if err != nil {
		return nil, err
	}
	lines, err := tx.UnsettledLines(ctx, args.ShopID, locked)
	if err != nil || (len(lines) == 0 && len(locked) == len(args.OrderIDs)) {
		return locked, err
	}
	held := make(map[string]bool, len(args.OrderIDs)-len(locked))
	for _, id := range args.OrderIDs {
		held[id] = true
	}
	for _, id := range locked {
		delete(held, id)
	}
	due := make(map[string]time.Time, len(lines))
	for _, l := range lines {
		if d := n.settle.due(l.FirstFactAt, l.LastFactAt); d.After(due[l.OrderID]) {
			due[l.OrderID] = d
		}
	}
	var ready, waiting []string
	at := n.now()
	for _, id := range args.OrderIDs {
		d, ok := due[id]
		if held[id] {
			ok, d = true, at
		}
		if !ok {
			ready = append(ready, id)
			continue
		}
		waiting = append(waiting, id)
		if d.After(at) {
			at = d
		}
	}
	// Still in order id order: see the reconcile.
	if err := scheduleOrderMessages(ctx, out, args.ShopID, waiting, at.Add(orderSettleRecheck)); err != nil {
		return nil, err
	}
	return ready, nil
}
