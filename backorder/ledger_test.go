package backorder

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// apply writes a reconcile's changes back onto the lines.
func apply(lines []LineState, l Decision) []LineState {
	out := slices.Clone(lines)
	for _, c := range l.Changes {
		for i := range out {
			if out[i].OrderID == c.Before.OrderID && out[i].LineID == c.Before.LineID {
				out[i] = c.After
			}
		}
	}
	return out
}

func TestSplitLineThenAllocation(t *testing.T) {
	// 1 in stock; an order of 3 takes it and goes to -2 (reported after).
	line := LineState{OrderID: "1", LineID: "1", PlacedAt: t0, Quantity: 3, Open: 3}
	l := Reconcile(Stock{Level: -2, LevelAt: t0.Add(time.Second), Known: true}, []LineState{line})
	if l.Owed != 2 || l.Waiting != 2 || len(l.Changes) != 1 || !l.Changes[0].StartedWaiting {
		t.Fatalf("ledger = %+v, want 2 owed, 2 waiting, started", l)
	}
	line = l.Changes[0].After
	if line.Backordered != 2 || StatusOf(line, false) != StatusWaiting {
		t.Fatalf("line = %+v, want 2 backordered, waiting", line)
	}
	// One unit arrives: -1.
	l = Reconcile(Stock{Level: -1, LevelAt: t0.Add(time.Hour), Known: true}, []LineState{line})
	c := l.Changes[0]
	if c.NewlyAllocated != 1 || c.After.Waiting != 1 || c.After.Committed != 1 || c.After.Backordered != 2 {
		t.Fatalf("change = %+v, want 1 allocated, 1 waiting", c)
	}
	if StatusOf(c.After, false) != StatusPartiallyAllocated {
		t.Errorf("status = %s, want partially_allocated", StatusOf(c.After, false))
	}
	// A recount lowers the level again: the committed unit stays committed.
	l = Reconcile(Stock{Level: -3, LevelAt: t0.Add(2 * time.Hour), Known: true}, []LineState{c.After})
	if got := l.Changes[0].After; got.Committed != 1 || got.Waiting != 2 || l.Shortfall != 1 {
		t.Fatalf("after recount = %+v, shortfall %d; want 1 committed, 2 waiting, 1 short", got, l.Shortfall)
	}
}

func TestFiftyOrdersForOneUnitThenARestockOfTen(t *testing.T) {
	var lines []LineState
	for i := 0; i < 50; i++ {
		lines = append(lines, LineState{OrderID: fmt.Sprint(100 + i), LineID: "1", PlacedAt: t0.Add(time.Duration(i) * time.Second), Quantity: 1, Open: 1})
	}
	// 1 in stock before all of them; 50 sold: -49 reported after the last.
	l := Reconcile(Stock{Level: -49, LevelAt: t0.Add(time.Hour), Known: true}, lines)
	if l.Waiting != 49 || l.Shortfall != 0 {
		t.Fatalf("ledger = waiting %d shortfall %d, want 49, 0", l.Waiting, l.Shortfall)
	}
	lines = apply(lines, l)
	if lines[0].Waiting != 0 || lines[1].Waiting != 1 {
		t.Fatalf("the oldest order must be the one served from stock: %+v %+v", lines[0], lines[1])
	}
	l = Reconcile(Stock{Level: -39, LevelAt: t0.Add(2 * time.Hour), Known: true}, lines)
	allocated := map[string]bool{}
	for _, c := range l.Changes {
		if c.NewlyAllocated == 1 {
			allocated[c.Before.OrderID] = true
		}
	}
	for i := 1; i <= 10; i++ {
		if !allocated[fmt.Sprint(100+i)] {
			t.Errorf("order %d (one of the 10 oldest waiting) was not allocated", 100+i)
		}
	}
	if len(allocated) != 10 || l.Waiting != 39 {
		t.Errorf("allocated %d, waiting %d; want 10 and 39", len(allocated), l.Waiting)
	}
}

func TestLinesPlacedBeforeTheReportAreInTheLevel(t *testing.T) {
	before := LineState{OrderID: "1", LineID: "1", PlacedAt: t0, Quantity: 2, Open: 2}
	after := LineState{OrderID: "2", LineID: "1", PlacedAt: t0.Add(2 * time.Second), Quantity: 3, Open: 3}
	// Reported 1 after the first order: the second, placed later, takes 3.
	l := Reconcile(Stock{Level: 1, LevelAt: t0.Add(time.Second), Known: true}, []LineState{before, after})
	if l.Projected != -2 || l.Owed != 2 || l.Waiting != 2 {
		t.Fatalf("ledger = %+v, want P -2, 2 waiting", l)
	}
	if l.Changes[0].Before.OrderID != "2" {
		t.Errorf("the newest order must wait: %+v", l.Changes)
	}
}

func TestUnknownLevelDecidesNothing(t *testing.T) {
	l := Reconcile(Stock{}, []LineState{{OrderID: "1", LineID: "1", PlacedAt: t0, Quantity: 1, Open: 1, Waiting: 1, Backordered: 1}})
	if len(l.Changes) != 0 {
		t.Fatalf("changes with no level known: %+v", l.Changes)
	}
}

func TestCancelledWaitingLineIsNotAllocated(t *testing.T) {
	line := LineState{OrderID: "1", LineID: "1", PlacedAt: t0, Quantity: 2, Open: 2, Waiting: 2, Backordered: 2}
	line.Open, line.Quantity = 0, 0
	l := Reconcile(Stock{Level: 0, LevelAt: t0.Add(time.Hour), Known: true}, []LineState{line})
	c := l.Changes[0]
	if c.NewlyAllocated != 0 || c.After.Waiting != 0 || StatusOf(c.After, true) != StatusCancelled {
		t.Fatalf("change = %+v, want nothing allocated, cancelled", c)
	}
}

func TestCompareIDs(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want int
	}{{"9", "10", -1}, {"10", "9", 1}, {"10", "10", 0}, {"abc", "abd", -1}, {"9", "a", -1}} {
		if got := compareIDs(tt.a, tt.b); got != tt.want {
			t.Errorf("compareIDs(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

// genLines draws the open lines of one item, some with a past assignment.
func genLines(t *rapid.T) []LineState {
	n := rapid.IntRange(0, 12).Draw(t, "lines")
	lines := make([]LineState, n)
	for i := range lines {
		q := rapid.IntRange(0, 5).Draw(t, "quantity")
		open := rapid.IntRange(0, q).Draw(t, "open")
		committed := rapid.IntRange(0, open).Draw(t, "committed")
		waiting := rapid.IntRange(0, open-committed).Draw(t, "waiting")
		allocated := committed + rapid.IntRange(0, 2).Draw(t, "shipped allocated")
		lines[i] = LineState{
			OrderID:  fmt.Sprint(rapid.IntRange(1, 400).Draw(t, "order")),
			LineID:   fmt.Sprint(i),
			PlacedAt: t0.Add(time.Duration(rapid.IntRange(0, 20).Draw(t, "placed")) * time.Minute),
			Quantity: q, Open: open, Committed: committed, Waiting: waiting, Allocated: allocated,
			Backordered: allocated + waiting,
		}
	}
	return lines
}

func genStock(t *rapid.T) Stock {
	return Stock{Level: rapid.IntRange(-40, 10).Draw(t, "level"), LevelAt: t0.Add(time.Duration(rapid.IntRange(-1, 21).Draw(t, "level at")) * time.Minute), Known: true}
}

func TestReconcileProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		lines, stock := genLines(t), genStock(t)
		l := Reconcile(stock, lines)
		after := apply(lines, l)

		uncommitted := 0
		for _, ln := range lines {
			uncommitted += ln.Open - min(ln.Committed, ln.Open)
		}
		if l.Waiting != min(l.Owed, uncommitted) || l.Shortfall != l.Owed-l.Waiting {
			t.Fatalf("waiting %d, shortfall %d, owed %d, uncommitted %d", l.Waiting, l.Shortfall, l.Owed, uncommitted)
		}
		sum := 0
		for i, a := range after {
			b := lines[i]
			if a.Waiting < 0 || a.Waiting+a.Committed > a.Open {
				t.Fatalf("line %+v: waiting and committed exceed open", a)
			}
			if a.Committed < min(b.Committed, b.Open) {
				t.Fatalf("committed units went back: %+v → %+v", b, a)
			}
			if a.Backordered < b.Backordered || a.Allocated < b.Allocated {
				t.Fatalf("history shrank: %+v → %+v", b, a)
			}
			sum += a.Waiting
		}
		if sum != l.Waiting {
			t.Fatalf("lines wait %d, ledger says %d", sum, l.Waiting)
		}
		// Newest wait: once a line waits less than it could, no older line waits.
		sorted := slices.Clone(after)
		slices.SortFunc(sorted, newestFirst)
		full := true
		for _, a := range sorted {
			if !full && a.Waiting > 0 {
				t.Fatalf("an older line waits while a newer one is covered: %+v", sorted)
			}
			if a.Waiting < a.Open-a.Committed {
				full = false
			}
		}
		// Settled: reconciling the result again changes nothing.
		if again := Reconcile(stock, after); len(again.Changes) != 0 {
			t.Fatalf("second reconcile changed %+v", again.Changes)
		}
		// The order lines are given in does not matter.
		shuffled := rapid.Permutation(lines).Draw(t, "shuffled")
		if other := Reconcile(stock, shuffled); other.Waiting != l.Waiting || len(other.Changes) != len(l.Changes) {
			t.Fatalf("order of input changed the outcome: %d/%d vs %d/%d", other.Waiting, len(other.Changes), l.Waiting, len(l.Changes))
		}
	})
}
