package simulate

import (
	"cmp"
	"slices"
	"time"
)

// The oracle is the simulator's own model of the outcome, written from the
// rules in design.md ("Stock and backorder semantics"), not from the
// engine's code: per item, projected available P = level − the open units
// of lines placed after the level's report, owed U = max(0, −P); walking
// the open lines newest first, each waits as many of its uncommitted units
// as are still owed; units that waited and are now covered are allocated,
// and committed for good. It sees only what was delivered, keeps each
// resource's newest state, and settles once per phase.

// lineState is one order line as the oracle holds it.
type lineState struct {
	orderID, lineID string
	item            int
	placed          time.Time
	quantity, open  int
	cancelled       bool
	// The assignment the last settle left.
	waiting, committed, allocated, backordered int
	// etaKind is the ETA kind a waiting line shows; "" when not modelled
	// (no supplier yet, or nothing waits).
	etaKind string
}

// status is the backorder's status in the API's spelling.
func (l *lineState) status() string {
	switch {
	case l.cancelled || l.quantity == 0:
		return "cancelled"
	case l.open == 0:
		return "shipped"
	case l.waiting == 0:
		return "allocated"
	case l.allocated > 0:
		return "partially_allocated"
	}
	return "waiting"
}

// oracle is the state of the facts delivered so far and of the lines'
// assignments.
type oracle struct {
	orders   map[string]*orderFact
	levels   []*levelFact
	lines    map[string]*lineState
	receipts []receiptFact
	// supply is each item's units still to come on purchase orders and
	// the ETA kind they give; nil until the items have a supplier.
	supply []supplyFact
}

// receiptFact is units of an item received on a purchase order at a time.
type receiptFact struct {
	item, units int
	at          time.Time
}

// supplyFact is what an item has on order: units still to come, and the
// ETA kind of the orders bringing them ("expected" sent, "confirmed").
type supplyFact struct {
	due  int
	kind string
}

func newOracle(items int) *oracle {
	return &oracle{orders: map[string]*orderFact{}, levels: make([]*levelFact, items), lines: map[string]*lineState{}}
}

// receive takes in a receipt of units of item at a time.
func (o *oracle) receive(item, units int, at time.Time) {
	o.receipts = append(o.receipts, receiptFact{item: item, units: units, at: at})
}

// received is the units of item received after the store's report at.
func (o *oracle) received(item int, at time.Time) int {
	n := 0
	for _, r := range o.receipts {
		if r.item == item && r.at.After(at) {
			n += r.units
		}
	}
	return n
}

// deliver takes a delivery's facts in, keeping each resource's newest
// state: a delivery repeated or arriving late changes nothing.
func (o *oracle) deliver(d *delivery) {
	if f := d.order; f != nil {
		if old := o.orders[f.id]; old == nil || f.ver.newer(old.ver) {
			o.orders[f.id] = f
		}
	}
	if f := d.level; f != nil {
		if old := o.levels[f.item]; old == nil || f.ver.newer(old.ver) {
			o.levels[f.item] = f
		}
	}
}

// settle reconciles every item from the facts delivered so far, as the
// engine does once an item's facts have settled.
func (o *oracle) settle() {
	for _, f := range o.orders {
		for _, l := range f.lines {
			ls := o.lines[l.id]
			if ls == nil {
				ls = &lineState{orderID: f.id, lineID: l.id, item: l.item, placed: f.placed}
				o.lines[l.id] = ls
			}
			ls.quantity, ls.cancelled = l.quantity, !f.open
			ls.open = l.quantity
			if !f.open {
				ls.open = 0
			}
		}
	}
	byItem := make([][]*lineState, len(o.levels))
	for _, l := range o.lines {
		byItem[l.item] = append(byItem[l.item], l)
	}
	for i, level := range o.levels {
		if level != nil {
			assign(level, o.received(i, level.reported), byItem[i])
			if o.supply != nil {
				etaKinds(o.supply[i], byItem[i])
			}
		}
	}
}

// assign is one item's reconcile: newest wait, oldest served first; units
// received since the level's report count on top of it.
func assign(level *levelFact, received int, lines []*lineState) {
	owed := -level.available - received
	for _, l := range lines {
		if l.placed.After(level.at) {
			owed += l.open
		}
	}
	owed = max(0, owed)
	slices.SortFunc(lines, func(a, b *lineState) int {
		return cmp.Or(b.placed.Compare(a.placed), compareIDs(b.orderID, a.orderID), compareIDs(b.lineID, a.lineID))
	})
	for _, l := range lines {
		l.committed = min(l.committed, l.open)
		free := l.open - l.committed
		wait := min(owed, free)
		owed -= wait
		covered := max(0, min(l.waiting, free)-wait)
		l.waiting = wait
		l.committed += covered
		l.allocated += covered
		l.backordered = max(l.backordered, l.allocated+wait)
	}
}

// etaKinds sets the ETA kind of each waiting line of an item, its lines
// sorted newest first: its last waiting unit, counted oldest first, is
// covered by the units due on order or not.
func etaKinds(sup supplyFact, newestFirst []*lineState) {
	units := 0
	for _, l := range slices.Backward(newestFirst) {
		l.etaKind = ""
		if l.waiting == 0 {
			continue
		}
		units += l.waiting
		l.etaKind = "estimate"
		if units <= sup.due {
			l.etaKind = sup.kind
		}
	}
}

// compareIDs compares decimal ids as numbers: the longer is larger.
func compareIDs(a, b string) int {
	return cmp.Or(cmp.Compare(len(a), len(b)), cmp.Compare(a, b))
}

// expected is what the oracle expects the admin API to show after a phase.
type expected struct {
	lines   []lineState      // every line, in id order; those never waiting have no backorder
	confirm map[string]bool  // orders that must have a confirmation email
	byItem  map[int][]string // line ids per item
	waiting int              // units waiting in all
}

// snapshot copies the oracle's assignments as the phase's expectation.
func (o *oracle) snapshot() expected {
	e := expected{confirm: map[string]bool{}, byItem: map[int][]string{}}
	for _, l := range o.lines {
		e.lines = append(e.lines, *l)
		if l.backordered > 0 {
			e.confirm[l.orderID] = true
		}
		e.waiting += l.waiting
	}
	slices.SortFunc(e.lines, func(a, b lineState) int { return compareIDs(a.lineID, b.lineID) })
	for _, l := range e.lines {
		e.byItem[l.item] = append(e.byItem[l.item], l.lineID)
	}
	return e
}
