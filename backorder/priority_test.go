package backorder

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// settled reconciles lines once and returns them as the reconcile left
// them: the state an operator acts on.
func settled(stock Stock, lines []LineState) []LineState {
	return apply(lines, Reconcile(stock, lines))
}

// genActions prioritizes and withdraws some of the lines, as operators
// would: a withdrawal takes the waiting units of a line that waits.
func genActions(t *rapid.T, lines []LineState) []LineState {
	out := slices.Clone(lines)
	for i := range out {
		if rapid.IntRange(0, 3).Draw(t, "prioritize") == 0 {
			out[i].PrioritizedAt = t0.Add(time.Duration(rapid.IntRange(30, 40).Draw(t, "prioritized at")) * time.Minute)
		}
		if out[i].Waiting > 0 && rapid.IntRange(0, 5).Draw(t, "withdraw") == 0 {
			out[i].Withdrawn, out[i].Waiting = out[i].Waiting, 0
			out[i].WithdrawnAt = t0.Add(time.Duration(rapid.IntRange(30, 40).Draw(t, "withdrawn at")) * time.Minute)
		}
	}
	return out
}

func withoutPriority(lines []LineState) []LineState {
	out := slices.Clone(lines)
	for i := range out {
		out[i].PrioritizedAt = time.Time{}
	}
	return out
}

func byKey(lines []LineState) map[[2]string]LineState {
	m := make(map[[2]string]LineState, len(lines))
	for _, l := range lines {
		m[[2]string{l.OrderID, l.LineID}] = l
	}
	return m
}

func TestPriorityKeepsTheAllocationInvariants(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		stock := genStock(t)
		lines := genActions(t, settled(stock, genLines(t)))
		// The facts move on: a new level, later than some actions.
		next := genStock(t)
		next.LevelAt = next.LevelAt.Add(time.Duration(rapid.IntRange(0, 30).Draw(t, "later")) * time.Minute)
		d := Reconcile(next, lines)
		after := apply(lines, d)
		plain := byKey(apply(withoutPriority(lines), Reconcile(next, withoutPriority(lines))))
		plainD := Reconcile(next, withoutPriority(lines))

		// Priority changes who waits, never how many.
		if d.Waiting != plainD.Waiting || d.Shortfall != plainD.Shortfall || d.Owed != plainD.Owed {
			t.Fatalf("waiting/shortfall/owed %d/%d/%d with priority, %d/%d/%d without",
				d.Waiting, d.Shortfall, d.Owed, plainD.Waiting, plainD.Shortfall, plainD.Owed)
		}
		sum := 0
		for i, a := range after {
			b := lines[i]
			sum += a.Waiting
			if a.Waiting < 0 || a.Waiting+a.Committed > a.open() {
				t.Fatalf("line %+v: waiting and committed exceed its open units", a)
			}
			if a.Committed < min(b.Committed, b.open()) {
				t.Fatalf("committed units went back: %+v → %+v", b, a)
			}
			if a.Backordered < b.Backordered || a.Allocated < b.Allocated {
				t.Fatalf("history shrank: %+v → %+v", b, a)
			}
			if b.withdrawn() && (a.Waiting != 0 || a.Allocated != b.Allocated) {
				t.Fatalf("a line an operator cancelled waits or is allocated: %+v → %+v", b, a)
			}
			p := plain[[2]string{a.OrderID, a.LineID}]
			if !a.PrioritizedAt.IsZero() && a.Waiting > p.Waiting {
				t.Fatalf("a prioritized line waits %d, %d without priority", a.Waiting, p.Waiting)
			}
			if a.PrioritizedAt.IsZero() && a.Waiting > max(p.Waiting, b.Waiting) {
				t.Fatalf("priority put %d units of %+v on backorder (%d without, %d before)", a.Waiting, b, p.Waiting, b.Waiting)
			}
		}
		if sum != d.Waiting {
			t.Fatalf("lines wait %d, ledger says %d", sum, d.Waiting)
		}
		// Settled: reconciling the result again changes nothing.
		if again := Reconcile(next, after); len(again.Changes) != 0 {
			t.Fatalf("second reconcile changed %+v", again.Changes)
		}
		// The order lines are given in does not matter.
		shuffled := rapid.Permutation(lines).Draw(t, "shuffled")
		if other := byKey(apply(shuffled, Reconcile(next, shuffled))); len(other) == len(after) {
			for _, a := range after {
				if o := other[[2]string{a.OrderID, a.LineID}]; o.Waiting != a.Waiting {
					t.Fatalf("order of input changed line %s/%s: %d vs %d", a.OrderID, a.LineID, o.Waiting, a.Waiting)
				}
			}
		}
	})
}

func TestTheNextUnitsGoToThePrioritizedLineFirst(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		stock := genStock(t)
		lines := settled(stock, genLines(t))
		waiting := []int{}
		for i, l := range lines {
			if l.Waiting > 0 {
				waiting = append(waiting, i)
			}
		}
		if len(waiting) == 0 {
			t.Skip("nothing waits")
		}
		p := waiting[rapid.IntRange(0, len(waiting)-1).Draw(t, "prioritized")]
		lines[p].PrioritizedAt = t0.Add(time.Hour)
		// Prioritizing alone moves no unit.
		if d := Reconcile(stock, lines); len(d.Changes) != 0 {
			t.Fatalf("prioritizing moved units: %+v", d.Changes)
		}
		// k units arrive (a level after every line).
		k := rapid.IntRange(1, 12).Draw(t, "arriving")
		arrived := Stock{Level: stock.Level + k, LevelAt: stock.LevelAt, Known: true}
		d := Reconcile(arrived, lines)
		after := byKey(apply(lines, d))
		freed := 0
		for _, b := range lines {
			freed += b.Waiting - after[[2]string{b.OrderID, b.LineID}].Waiting
		}
		got := lines[p].Waiting - after[[2]string{lines[p].OrderID, lines[p].LineID}].Waiting
		if want := min(freed, lines[p].Waiting); got != want {
			t.Fatalf("of %d units freed the prioritized line got %d, want %d", freed, got, want)
		}
	})
}

func TestTheLinePrioritizedLastIsServedFirst(t *testing.T) {
	var lines []LineState
	for i := range 3 {
		lines = append(lines, LineState{OrderID: fmt.Sprint(100 + i), LineID: "1", PlacedAt: t0.Add(time.Duration(i) * time.Minute),
			Quantity: 2, Open: 2, Waiting: 2, Backordered: 2})
	}
	stock := Stock{Level: -6, LevelAt: t0.Add(time.Hour), Known: true}
	lines[2].PrioritizedAt = t0.Add(2 * time.Hour) // the newest, prioritized first
	lines[1].PrioritizedAt = t0.Add(3 * time.Hour) // then the middle one: it is the front now
	after := apply(lines, Reconcile(Stock{Level: -3, LevelAt: stock.LevelAt, Known: true}, lines))
	if after[1].Waiting != 0 || after[2].Waiting != 1 || after[0].Waiting != 2 {
		t.Fatalf("waiting %d/%d/%d (oldest, prioritized last, prioritized first), want 2/0/1",
			after[0].Waiting, after[1].Waiting, after[2].Waiting)
	}
	if after[1].Allocated != 2 || after[2].Allocated != 1 {
		t.Fatalf("allocated %d and %d, want 2 and 1", after[1].Allocated, after[2].Allocated)
	}
}

func TestAWithdrawnLineReleasesItsUnitsUntilTheStoreSaysOtherwise(t *testing.T) {
	// -4 reported after both orders: A (older) waits 1, B waits 3.
	a := LineState{OrderID: "1", LineID: "1", PlacedAt: t0, Quantity: 1, Open: 1}
	b := LineState{OrderID: "2", LineID: "1", PlacedAt: t0.Add(time.Minute), Quantity: 3, Open: 3}
	stock := Stock{Level: -4, LevelAt: t0.Add(time.Hour), Known: true}
	lines := settled(stock, []LineState{a, b})
	if lines[0].Waiting != 1 || lines[1].Waiting != 3 {
		t.Fatalf("waiting %d and %d, want 1 and 3", lines[0].Waiting, lines[1].Waiting)
	}
	// An operator cancels B's backorder.
	lines[1].Withdrawn, lines[1].Waiting, lines[1].WithdrawnAt = 3, 0, t0.Add(2*time.Hour)
	d := Reconcile(stock, lines)
	after := apply(lines, d)
	if d.Owed != 1 || d.Shortfall != 0 || after[0].Waiting != 1 || after[1].Waiting != 0 || after[1].Allocated != 0 {
		t.Fatalf("owed %d shortfall %d, waiting %d/%d; want A still waiting its 1, B's 3 released", d.Owed, d.Shortfall,
			after[0].Waiting, after[1].Waiting)
	}
	if StatusOf(after[1], false) != StatusCancelled {
		t.Errorf("status = %s, want cancelled", StatusOf(after[1], false))
	}
	// A unit arrives and goes to A, not to the cancelled line.
	d = Reconcile(Stock{Level: -3, LevelAt: stock.LevelAt, Known: true}, after)
	if got := apply(after, d); got[0].Waiting != 0 || got[0].Allocated != 1 || got[1].Allocated != 0 {
		t.Fatalf("after a unit arrived: %+v", got)
	}
	// A newer level (another item's sale, a count) still counts B's 3 as
	// sold while the store's order holds them open: they stay released.
	d = Reconcile(Stock{Level: -4, LevelAt: t0.Add(3 * time.Hour), Known: true}, after)
	if d.Waiting != 1 || d.Shortfall != 0 {
		t.Fatalf("waiting %d, shortfall %d after a newer level with B still open in the store, want 1 and 0", d.Waiting, d.Shortfall)
	}
	// The store cancels B. Once it has, its word says whether the units came
	// back: restocked (-1), nothing is short; not restocked (-4), what it
	// says is owed and no order can carry is a shortfall.
	cancelled := slices.Clone(after)
	cancelled[1].Open = 0
	if d = Reconcile(Stock{Level: -1, LevelAt: t0.Add(4 * time.Hour), Known: true}, cancelled); d.Waiting != 1 || d.Shortfall != 0 {
		t.Fatalf("waiting %d, shortfall %d after the store restocked, want 1 and 0", d.Waiting, d.Shortfall)
	}
	if d = Reconcile(Stock{Level: -4, LevelAt: t0.Add(4 * time.Hour), Known: true}, cancelled); d.Waiting != 1 || d.Shortfall != 3 {
		t.Fatalf("waiting %d, shortfall %d after the store cancelled without restocking, want 1 and 3", d.Waiting, d.Shortfall)
	}
	// Until its level after the cancellation comes, an older one holds the
	// sale but not the cancellation: still released.
	if d = Reconcile(stock, cancelled); d.Waiting != 1 || d.Shortfall != 0 {
		t.Fatalf("waiting %d, shortfall %d with the cancellation's level not yet in, want 1 and 0", d.Waiting, d.Shortfall)
	}
}

func TestAWithdrawnLineTheStoreStillHoldsPutsNobodyElseOnBackorder(t *testing.T) {
	// W ordered 3, then N 2; the store reports -3 after both: N (newest)
	// waits 2, W waits 1 and its other 2 are covered.
	w := LineState{OrderID: "1", LineID: "1", PlacedAt: t0, Quantity: 3, Open: 3}
	n := LineState{OrderID: "2", LineID: "1", PlacedAt: t0.Add(time.Minute), Quantity: 2, Open: 2}
	level := Stock{Level: -3, LevelAt: t0.Add(time.Hour), Known: true}
	lines := settled(level, []LineState{w, n})
	if lines[0].Waiting != 1 || lines[1].Waiting != 2 {
		t.Fatalf("waiting %d and %d, want 1 and 2", lines[0].Waiting, lines[1].Waiting)
	}
	// An operator cancels N's wait; N's order has other lines, so the store
	// keeps it open and still counts N's 2 as sold.
	lines[1].Withdrawn, lines[1].Waiting, lines[1].WithdrawnAt = 2, 0, t0.Add(2*time.Hour)
	after := apply(lines, Reconcile(level, lines))
	// The store reports the same level again, newer than the cancellation
	// (a count, a sale of another variant): W's covered units stay covered.
	d := Reconcile(Stock{Level: -3, LevelAt: t0.Add(3 * time.Hour), Known: true}, after)
	if d.Waiting != 1 || d.Shortfall != 0 || len(d.Changes) != 0 {
		t.Fatalf("after a newer level: waiting %d, shortfall %d, changes %+v; want W still waiting 1 and nothing else", d.Waiting, d.Shortfall, d.Changes)
	}
}

func TestAPartlyAllocatedLineKeepsItsReadyUnitWhenItsWaitIsCancelled(t *testing.T) {
	// 1 in stock, then X ordered 3 and Y 1: X's first unit came (allocated,
	// committed), X waits 2 and Y 1.
	x := LineState{OrderID: "1", LineID: "1", PlacedAt: t0, Quantity: 3, Open: 3, Committed: 1, Allocated: 1, Waiting: 2, Backordered: 3}
	y := LineState{OrderID: "2", LineID: "1", PlacedAt: t0.Add(time.Minute), Quantity: 1, Open: 1, Waiting: 1, Backordered: 1}
	stock := Stock{Level: 1, LevelAt: t0.Add(-time.Hour), Known: true}
	if d := Reconcile(stock, []LineState{x, y}); len(d.Changes) != 0 {
		t.Fatalf("the starting state is not settled: %+v", d.Changes)
	}
	x.Withdrawn, x.Waiting, x.WithdrawnAt = 2, 0, t0.Add(time.Hour)
	after := apply([]LineState{x, y}, Reconcile(stock, []LineState{x, y}))
	if after[0].Committed != 1 || after[0].Waiting != 0 || after[1].Waiting != 1 {
		t.Fatalf("after X's wait was cancelled: %+v; want X's ready unit kept, Y still waiting", after)
	}
	// The next unit goes to Y: X's cancelled units are not waited for.
	d := Reconcile(Stock{Level: 2, LevelAt: stock.LevelAt, Known: true}, after)
	if got := apply(after, d); got[1].Waiting != 0 || got[1].Allocated != 1 || got[0].Allocated != 1 {
		t.Fatalf("after a unit arrived: %+v", got)
	}
}
