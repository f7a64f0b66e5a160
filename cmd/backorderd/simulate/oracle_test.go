package simulate

import (
	"fmt"
	"strconv"
	"testing"
	"time"
)

// t0 is the oracle tests' clock: a second per step.
var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func sec(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }

// ord is an order of one line of item 0 placed at second n, in the
// store's state of second at.
func ord(n, quantity int, open bool, at int) *delivery {
	id := fmt.Sprintf("%d", 1000+n)
	return &delivery{order: &orderFact{id: id, placed: sec(n), open: open,
		lines: []line{{id: fmt.Sprintf("%d", 5000+n), item: 0, quantity: quantity}}, ver: version{at: sec(at)}}}
}

// lvl is item 0's level reported at second at.
func lvl(available, at int) *delivery {
	return &delivery{level: &levelFact{item: 0, available: available, at: sec(at), ver: version{at: sec(at)}}}
}

// want is one line's expected assignment: waiting, allocated, status.
type want struct {
	waiting, allocated int
	status             string // "" for a line with no backorder
}

func TestOracleNewestWaitOldestServedFirst(t *testing.T) {
	tests := []struct {
		name   string
		phases [][]*delivery // settled after each
		want   map[int]want  // by order number
	}{{
		name: "stock 5, orders of 2, 2, 2: the newest waits 1",
		phases: [][]*delivery{
			{lvl(5, 0), ord(1, 2, true, 1), lvl(3, 1), ord(2, 2, true, 2), lvl(1, 2), ord(3, 2, true, 3), lvl(-1, 3)},
		},
		want: map[int]want{1: {}, 2: {}, 3: {1, 0, "waiting"}},
	}, {
		name: "a level older than the orders: lines placed after it count against it",
		phases: [][]*delivery{
			{lvl(2, 0), ord(1, 2, true, 1), ord(2, 3, true, 2)},
		},
		want: map[int]want{1: {}, 2: {3, 0, "waiting"}},
	}, {
		name: "delivered in reverse, duplicated: the same outcome",
		phases: [][]*delivery{
			{lvl(-4, 3), ord(3, 2, true, 3), lvl(-4, 3), lvl(1, 2), ord(2, 3, true, 2), ord(1, 2, true, 1), lvl(5, 0), ord(3, 2, true, 3)},
		},
		want: map[int]want{1: {}, 2: {2, 0, "waiting"}, 3: {2, 0, "waiting"}},
	}, {
		name: "a cancellation that restocks frees units for the oldest waiting line",
		phases: [][]*delivery{
			{lvl(0, 0), ord(1, 2, true, 1), ord(2, 2, true, 2), ord(3, 2, true, 3), lvl(-6, 3)},
			{ord(3, 2, false, 10), lvl(-4, 10)},
		},
		// Order 3 cancelled: its backorder is cancelled, nothing allocated
		// to others since 4 are still owed by 1 and 2.
		want: map[int]want{1: {2, 0, "waiting"}, 2: {2, 0, "waiting"}, 3: {0, 0, "cancelled"}},
	}, {
		name: "a refund of a covered line's units, restocked, goes to the oldest waiting line",
		phases: [][]*delivery{
			{lvl(2, 0), ord(1, 2, true, 1), ord(2, 2, true, 2), ord(3, 2, true, 3), lvl(-4, 3)},
			{ord(1, 1, true, 10), lvl(-3, 10)},
		},
		want: map[int]want{1: {}, 2: {1, 1, "partially_allocated"}, 3: {2, 0, "waiting"}},
	}, {
		name: "an edit adding units to the oldest line makes one more unit wait, on the newest line first",
		phases: [][]*delivery{
			{lvl(4, 0), ord(1, 2, true, 1), ord(2, 2, true, 2), ord(3, 2, true, 3), lvl(-2, 3)},
			{ord(1, 4, true, 10), lvl(-4, 10)},
		},
		want: map[int]want{1: {}, 2: {2, 0, "waiting"}, 3: {2, 0, "waiting"}},
	}, {
		name: "an edit removing a waiting line's units: it waits less, nothing allocated",
		phases: [][]*delivery{
			{lvl(1, 0), ord(1, 2, true, 1), ord(2, 3, true, 2), lvl(-4, 2)},
			{ord(2, 1, true, 10), lvl(-2, 10)},
		},
		want: map[int]want{1: {1, 0, "waiting"}, 2: {1, 0, "waiting"}},
	}, {
		name: "a restock covering every waiting unit allocates them all, committed for good",
		phases: [][]*delivery{
			{lvl(1, 0), ord(1, 2, true, 1), ord(2, 3, true, 2), lvl(-4, 2)},
			{lvl(2, 20)},
			// The store sells a unit again: committed units stay allocated,
			// and the one unit of order 1 served from stock at the sale waits.
			{lvl(-1, 30)},
		},
		want: map[int]want{1: {1, 1, "partially_allocated"}, 2: {0, 3, "allocated"}},
	}, {
		name: "a partial restock serves the oldest waiting units first",
		phases: [][]*delivery{
			{lvl(0, 0), ord(1, 2, true, 1), ord(2, 2, true, 2), lvl(-4, 2)},
			{lvl(-1, 20)},
		},
		want: map[int]want{1: {0, 2, "allocated"}, 2: {1, 1, "partially_allocated"}},
	}, {
		name: "an order never delivered: its owed units are a shortfall, not invented",
		phases: [][]*delivery{
			{lvl(0, 0), ord(1, 2, true, 1), lvl(-5, 2)},
		},
		want: map[int]want{1: {2, 0, "waiting"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOracle(1)
			var e expected
			for _, phase := range tt.phases {
				for _, d := range phase {
					o.deliver(d)
				}
				o.settle()
				e = o.snapshot()
			}
			if len(e.lines) != len(tt.want) {
				t.Fatalf("got %d lines, want %d", len(e.lines), len(tt.want))
			}
			for _, l := range e.lines {
				n, err := strconv.Atoi(l.orderID)
				if err != nil {
					t.Fatal(err)
				}
				w := tt.want[n-1000]
				got := want{l.waiting, l.allocated, ""}
				if l.backordered > 0 {
					got.status = l.status()
				}
				if got != w {
					t.Errorf("order %d: got %+v, want %+v", n-1000, got, w)
				}
				if e.confirm[l.orderID] != (w.status != "") {
					t.Errorf("order %d: confirmation expected %v, want %v", n-1000, e.confirm[l.orderID], w.status != "")
				}
			}
		})
	}
}

// lvlReported is item 0's level reported at second at, as a store that
// reports the time it made the report.
func lvlReported(available, at int) *delivery {
	d := lvl(available, at)
	d.level.reported = sec(at)
	return d
}

func TestOracleCountsAReceiptUntilALevelNewerThanItAndNeverTwice(t *testing.T) {
	// Stock 0; orders 1, 2, 3 of 2 units each all wait (level −6).
	sale := []*delivery{lvlReported(0, 0), ord(1, 2, true, 1), ord(2, 2, true, 2), ord(3, 2, true, 3), lvlReported(-6, 3)}
	tests := []struct {
		name     string
		receipts []int        // units received at second 10
		after    []*delivery  // delivered after the receipts
		want     map[int]want // by order number
	}{{
		name:     "3 units received: the oldest line, then one unit of the next",
		receipts: []int{3},
		want:     map[int]want{1: {0, 2, "allocated"}, 2: {1, 1, "partially_allocated"}, 3: {2, 0, "waiting"}},
	}, {
		name:     "the store's newer level holds the 3 units: counted once, the same outcome",
		receipts: []int{3},
		after:    []*delivery{lvlReported(-3, 11)},
		want:     map[int]want{1: {0, 2, "allocated"}, 2: {1, 1, "partially_allocated"}, 3: {2, 0, "waiting"}},
	}, {
		name:     "a level older than the receipt, delivered late, does not replace it",
		receipts: []int{3},
		after:    []*delivery{lvlReported(-6, 4)},
		want:     map[int]want{1: {0, 2, "allocated"}, 2: {1, 1, "partially_allocated"}, 3: {2, 0, "waiting"}},
	}, {
		name:     "the store's newer level says fewer units are there: its word wins, committed units stay",
		receipts: []int{3},
		after:    []*delivery{lvlReported(-5, 11)},
		want:     map[int]want{1: {0, 2, "allocated"}, 2: {1, 1, "partially_allocated"}, 3: {2, 0, "waiting"}},
	}, {
		name:     "two receipts cover every line",
		receipts: []int{4, 2},
		after:    []*delivery{lvlReported(0, 11)},
		want:     map[int]want{1: {0, 2, "allocated"}, 2: {0, 2, "allocated"}, 3: {0, 2, "allocated"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOracle(1)
			for _, d := range sale {
				o.deliver(d)
			}
			o.settle()
			for _, n := range tt.receipts {
				o.receive(0, n, sec(10))
			}
			o.settle()
			for _, d := range tt.after {
				o.deliver(d)
			}
			o.settle()
			for _, l := range o.snapshot().lines {
				n, _ := strconv.Atoi(l.orderID)
				got := want{l.waiting, l.allocated, l.status()}
				if got != tt.want[n-1000] {
					t.Errorf("order %d: got %+v, want %+v", n-1000, got, tt.want[n-1000])
				}
			}
		})
	}
}

func TestOracleETAKindIsThatOfTheLastWaitingUnitOldestFirst(t *testing.T) {
	o := newOracle(1)
	for _, d := range []*delivery{lvlReported(0, 0), ord(1, 2, true, 1), ord(2, 2, true, 2), ord(3, 2, true, 3), lvlReported(-6, 3)} {
		o.deliver(d)
	}
	o.settle()
	if l := o.lines["5001"]; l.etaKind != "" {
		t.Errorf("no supplier yet: got ETA kind %q, want none modelled", l.etaKind)
	}
	// 3 units due on a confirmed order: order 1's two, one of order 2's.
	o.supply = []supplyFact{{due: 3, kind: "confirmed"}}
	o.settle()
	for n, kind := range map[int]string{1: "confirmed", 2: "estimate", 3: "estimate"} {
		if got := o.lines[strconv.Itoa(5000+n)].etaKind; got != kind {
			t.Errorf("order %d: got ETA kind %q, want %s", n, got, kind)
		}
	}
	o.supply = []supplyFact{{due: 6, kind: "confirmed"}}
	o.settle()
	if got := o.lines["5003"].etaKind; got != "confirmed" {
		t.Errorf("every unit covered: order 3 got ETA kind %q, want confirmed", got)
	}
}
