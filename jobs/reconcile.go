package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/email"
	"github.com/backorderd/backorderd/store"
)

// TypeReconcile reconciles one item once its facts have settled.
const TypeReconcile = "backorder:reconcile"

// ReconcileArgs name the item; Force reconciles it even with no new fact
// (the periodic full check), and what that changes is drift.
type ReconcileArgs struct {
	ShopID  int64    `json:"shop_id"`
	ItemID  string   `json:"item_id"`
	Force   bool     `json:"force,omitempty"`
	Subject *Subject `json:"subject,omitempty"` // for people: handlers ignore it
}

func (a ReconcileArgs) subject() *Subject { return a.Subject }

// Settle says when an item's facts have settled: no new fact for Quiet, or
// Max after the first, whichever comes first. Webhooks arrive out of order,
// and reconciling a half-known picture would move units between customers.
type Settle struct {
	Quiet time.Duration
	Max   time.Duration
}

// due is when an item marked at first and last has settled.
func (s Settle) due(first, last time.Time) time.Time {
	d := last.Add(s.Quiet)
	if m := first.Add(s.Max); m.Before(d) {
		return m
	}
	return d
}

// Reconciler runs items' reconciles.
type Reconciler struct {
	dispatcher *Dispatcher
	store      TxStore
	settle     Settle
	metrics    *Metrics
	log        *slog.Logger
	now        func() time.Time
}

// NewReconciler returns the reconciler.
func NewReconciler(s TxStore, d *Dispatcher, settle Settle, m *Metrics, log *slog.Logger) *Reconciler {
	return &Reconciler{dispatcher: d, store: s, settle: settle, metrics: m, log: log, now: time.Now}
}

// Handler is the asynq handler of TypeReconcile.
func (r *Reconciler) Handler() asynq.Handler {
	return r.dispatcher.OutboxHandler(r.store, r.run)
}

// schedule adds the reconcile of an item to out, to run at `at`.
func scheduleReconcile(ctx context.Context, out *Outbox, args ReconcileArgs, at time.Time) error {
	args.Subject = about(args.ShopID).withItem(args.ItemID)
	_, err := out.Add(ctx, TypeReconcile, QueueDefault, args, at)
	return err
}

// run is one reconcile task: it locks the item's ledger (an item's
// reconciles and the marks of its new facts take turns), waits until the
// item has settled by scheduling itself again, then reconciles.
func (r *Reconciler) run(ctx context.Context, tx *store.Tx, out *Outbox, task store.OutboxTask) error {
	var args ReconcileArgs
	if err := json.Unmarshal(task.Payload, &args); err != nil || args.ShopID == 0 || args.ItemID == "" {
		return fmt.Errorf("decode reconcile args %q: %w", task.Payload, asynq.SkipRetry)
	}
	led, err := tx.LockLedger(ctx, args.ShopID, args.ItemID)
	if err != nil {
		return err
	}
	now := r.now()
	if led.FirstFactAt != nil {
		due := r.settle.due(*led.FirstFactAt, *led.LastFactAt)
		if now.Before(due) {
			return scheduleReconcile(ctx, out, ReconcileArgs{ShopID: args.ShopID, ItemID: args.ItemID}, due)
		}
		next, wait, err := r.backlog(ctx, tx, led, due, now)
		if err != nil {
			return err
		}
		if wait {
			return scheduleReconcile(ctx, out, ReconcileArgs{ShopID: args.ShopID, ItemID: args.ItemID}, next)
		}
	} else if !args.Force {
		return nil // another task already reconciled these facts
	}
	cause := led.LastCause
	drift := args.Force && led.FirstFactAt == nil
	if drift {
		cause = "full check"
	}
	return r.reconcile(ctx, tx, out, led, cause, drift)
}

// backlogPoll is the shortest wait of a reconcile for its shop's backlog.
const backlogPoll = 100 * time.Millisecond

// backlog says whether a settled item waits for deliveries of its shop
// that arrived earlier and are not applied yet, and until when.
//
// The quiet counts from when a fact was applied. A delivery queued behind a
// backlog, or in another worker's batch that has not committed, arrived
// earlier but is not in the database's picture yet; an order in it,
// reflected already in a level applied before it, would have its units
// taken from the newest lines of others for as long as it waits (a CI run
// of the fault tests, and sales longer than SETTLE_MAX). So:
//
//   - settled by its quiet, the item waits for the deliveries that arrived
//     before it was due, for as long as that backlog still is, looking again
//     at most SETTLE_QUIET later, until SETTLE_MAX after its first fact;
//   - past SETTLE_MAX, while deliveries keep coming, it waits only for those
//     that arrived before the newest one whose facts marked it, so that it
//     reads a consistent cut: they are in a batch about to commit, and such
//     a cut comes each time the older of two batches commits first. It
//     looks again every backlogPoll, for at most SETTLE_QUIET more.
//
// Deliveries waiting longer than SETTLE_MAX hold nothing up, and neither
// does anything when the window is off (no quiet). An item's own facts
// cannot change meanwhile: their batches mark its ledger row, which the
// reconcile holds locked.
func (r *Reconciler) backlog(ctx context.Context, tx *store.Tx, led store.LedgerRow, due, now time.Time) (time.Time, bool, error) {
	if r.settle.Quiet <= 0 || led.FirstFactAt == nil {
		return time.Time{}, false, nil
	}
	cutoff, until := due, led.FirstFactAt.Add(r.settle.Max)
	forced := !now.Before(until)
	if forced {
		if until = until.Add(r.settle.Quiet); led.LastArrivedAt == nil || !now.Before(until) {
			return time.Time{}, false, nil
		}
		cutoff = *led.LastArrivedAt
	}
	oldest, err := tx.OldestUnapplied(ctx, led.ShopID, now.Add(-r.settle.Max), cutoff)
	if err != nil || oldest == nil {
		return time.Time{}, false, err
	}
	wait := backlogPoll
	if !forced {
		wait = min(max(due.Sub(*oldest), backlogPoll), r.settle.Quiet)
	}
	next := now.Add(wait)
	if next.After(until) {
		next = until
	}
	return next, true, nil
}

// reconcile decides the item's assignment afresh from its facts and writes
// the lines whose assignment changes, with their audit entries, and the
// item's ledger, in the transaction of the task.
func (r *Reconciler) reconcile(ctx context.Context, tx *store.Tx, out *Outbox, led store.LedgerRow, cause string, drift bool) error {
	stock, err := tx.ItemStock(ctx, led.ShopID, led.ItemID)
	if err != nil {
		return err
	}
	lines, err := tx.ItemLines(ctx, led.ShopID, led.ItemID, stock.LevelAt)
	if err != nil {
		return err
	}
	states := make([]backorder.LineState, len(lines))
	for i, l := range lines {
		states[i] = lineState(l)
	}
	// Units received on purchase orders count until the store reports a
	// level newer than their receipt (design.md, "Receiving").
	level := stock.Level
	if stock.Known {
		level += stock.Received
	}
	decision := backorder.Reconcile(backorder.Stock{Level: level, LevelAt: stock.LevelAt, Known: stock.Known}, states)
	writes := backorderWrites(led.ItemID, lines, states, decision)
	if err := tx.WriteBackorders(ctx, led.ShopID, cause, writes); err != nil {
		return err
	}
	for _, w := range writes {
		out.touchOrders(led.ShopID, w.OrderID) // what the store shows of them, decided at the end
	}
	// The ETAs before the order messages that show them are written.
	shop, err := tx.Shop(ctx, led.ShopID)
	if err != nil {
		return err
	}
	if err := recomputeETA(ctx, tx, out, shop, led.ItemID, shopDay(shop, r.now())); err != nil {
		return err
	}
	if err := reorderAfterReconcile(ctx, out, shop, led, decision.Waiting); err != nil {
		return err
	}
	// The customers hear once the orders' items have settled: one message
	// per order, gathered from all its items; the task waits for an order
	// whose other items have not settled yet (settledOrders). A restock can
	// touch a hundred thousand orders: their messages go in tasks of
	// orderMessagesBatch.
	seen := map[string]bool{}
	var orders []string
	for _, w := range writes {
		if !seen[w.OrderID] {
			seen[w.OrderID] = true
			orders = append(orders, w.OrderID)
		}
	}
	// In order id order: an order-messages task writes each order's emails (unique
	// keys) in the order listed, and two tasks sharing orders must not
	// take them in opposite orders.
	slices.Sort(orders)
	for batch := range slices.Chunk(orders, orderMessagesBatch) {
		if err := scheduleOrderMessages(ctx, out, led.ShopID, batch, time.Time{}); err != nil {
			return err
		}
	}
	row := led
	row.Projected, row.Owed, row.Waiting, row.Shortfall = decision.Projected, decision.Owed, decision.Waiting, decision.Shortfall
	if stock.Known {
		level, at := stock.Level, stock.LevelAt
		row.Level, row.LevelAt = &level, &at
	}
	row.AtCap, row.OverCap = false, 0
	if stock.Cap != nil && decision.Waiting >= *stock.Cap {
		// At the cap the merchant is alerted (email issue) and, with
		// credentials, sales stop in the store (write-back issue): both
		// read at_cap. Orders that still arrive wait like any other.
		row.AtCap, row.OverCap = true, decision.Waiting-*stock.Cap
	}
	if row.AtCap && !led.AtCap {
		if err := capReached(ctx, tx, out, led.ShopID, led.ItemID, stock, decision.Waiting, r.now()); err != nil {
			return err
		}
	}
	if row.AtCap != led.AtCap {
		// At the cap the store stops selling the item; below it, it sells
		// again.
		if err := wantSelling(ctx, tx, out, shop, led.ItemID, row.AtCap); err != nil {
			return err
		}
	}
	if drift && len(writes) > 0 {
		row.Drift += len(writes)
	}
	r.countAfterCommit(out, led, stock, decision, len(writes), drift)
	return tx.SaveLedger(ctx, row)
}

// countAfterCommit counts what a reconcile changed, and warns of drift and
// shortfalls, once its transaction has committed: a rolled-back or retried
// reconcile changed nothing.
func (r *Reconciler) countAfterCommit(out *Outbox, led store.LedgerRow, stock store.ItemStock, decision backorder.Decision, writes int, drift bool) {
	now := r.now()
	out.AfterCommit(func() {
		if drift && writes > 0 {
			r.metrics.drift.Add(float64(writes))
			r.log.Warn("full check corrected drift", "shop_id", led.ShopID, "item_id", led.ItemID, "lines", writes)
		}
		if decision.Shortfall > 0 && decision.Shortfall != led.Shortfall {
			r.metrics.shortfall.Inc()
			r.log.Warn("shortfall: the store reports more owed than the orders known", "shop_id", led.ShopID,
				"item_id", led.ItemID, "sku", stock.SKU, "shortfall", decision.Shortfall)
		}
		r.metrics.countChanges(decision, stock.LevelAt, now)
	})
}

// lineState is a line as the domain reads it, with what operators did to
// it: units cancelled and when, and when it was prioritized.
func lineState(l store.ItemLine) backorder.LineState {
	s := backorder.LineState{OrderID: l.OrderID, LineID: l.LineID, PlacedAt: l.PlacedAt,
		Quantity: l.Quantity, Open: l.Open, Waiting: l.Waiting, Committed: l.Committed,
		Allocated: l.Allocated, Backordered: l.Backordered, Withdrawn: l.Withdrawn}
	if l.WithdrawnAt != nil {
		s.WithdrawnAt = *l.WithdrawnAt
	}
	if l.PrioritizedAt != nil {
		s.PrioritizedAt = *l.PrioritizedAt
	}
	return s
}

// backorderWrites turns a reconcile's decisions into the records to write:
// a line that starts waiting gets a record; a line with a record is written
// when its assignment or status changes; lines served from stock have none.
func backorderWrites(itemID string, lines []store.ItemLine, states []backorder.LineState, l backorder.Decision) []store.BackorderWrite {
	changes := make(map[[2]string]backorder.Change, len(l.Changes))
	for _, c := range l.Changes {
		changes[[2]string{c.Before.OrderID, c.Before.LineID}] = c
	}
	var ws []store.BackorderWrite
	for i, ln := range lines {
		c, changed := changes[[2]string{ln.OrderID, ln.LineID}]
		after := states[i]
		if changed {
			after = c.After
		}
		startsWaiting := changed && c.StartedWaiting
		if ln.BackorderID == nil && !startsWaiting {
			continue
		}
		cancelled := ln.OrderStatus == string(backorder.OrderCancelled) || ln.OrderStatus == string(backorder.OrderDeleted)
		status := string(backorder.StatusOf(after, cancelled))
		if ln.BackorderID != nil && !changed && status == ln.Status {
			continue
		}
		w := store.BackorderWrite{OrderID: ln.OrderID, LineID: ln.LineID, ItemID: itemID, Ordered: ln.Quantity,
			Backordered: after.Backordered, Allocated: after.Allocated, Waiting: after.Waiting,
			Committed: after.Committed, Status: status}
		if ln.BackorderID != nil {
			w.ID = *ln.BackorderID
		}
		w.Events = events(ln, c, changed, after, status)
		ws = append(ws, w)
	}
	return ws
}

// events are the audit entries of one line's change.
func events(ln store.ItemLine, c backorder.Change, changed bool, after backorder.LineState, status string) []store.EventWrite {
	var es []store.EventWrite
	if changed && c.StartedWaiting {
		es = append(es, store.EventWrite{Kind: store.EventStartedWaiting, Quantity: after.Waiting})
	}
	if changed && c.NewlyAllocated > 0 {
		es = append(es, store.EventWrite{Kind: store.EventAllocated, Quantity: c.NewlyAllocated})
	}
	if changed && !c.StartedWaiting && after.Waiting != c.Before.Waiting-c.NewlyAllocated {
		es = append(es, store.EventWrite{Kind: store.EventQuantitiesChanged, Quantity: after.Waiting,
			Detail: "waiting " + strconv.Itoa(c.Before.Waiting) + " → " + strconv.Itoa(after.Waiting)})
	}
	if status != ln.Status && (status == string(backorder.StatusCancelled) || status == string(backorder.StatusShipped)) {
		es = append(es, store.EventWrite{Kind: status})
	}
	return es
}

// capReached tells the merchant an item reached its cap on waiting units,
// once a day at most. The key names the item: SKUs may be empty or shared.
func capReached(ctx context.Context, tx *store.Tx, out *Outbox, shopID int64, itemID string, stock store.ItemStock, waiting int, now time.Time) error {
	shop, err := tx.Shop(ctx, shopID)
	if err != nil || shop.MerchantEmail == "" || stock.Cap == nil {
		return err
	}
	data := email.Merchant{Shop: emailShop(shop), Cap: *stock.Cap, Waiting: waiting,
		Items: []email.ItemCount{{SKU: stock.SKU, Title: stock.Title}}}
	key := "cap:item:" + itemID + ":" + now.UTC().Format(time.DateOnly)
	_, _, err = writeEmail(ctx, tx, out, shop, email.CapReached, key, recipient{email: shop.MerchantEmail, name: shop.Name}, data)
	return err
}
