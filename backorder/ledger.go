package backorder

import (
	"cmp"
	"slices"
	"time"
)

// Stock is an item's level as the store last reported it: the available
// quantity summed over its locations (negative: units sold that nobody has
// yet), and the time of that report. Known is false until a report exists.
type Stock struct {
	Level   int
	LevelAt time.Time
	Known   bool
}

// LineState is one open order line of an item and its current assignment.
type LineState struct {
	OrderID  string
	LineID   string
	PlacedAt time.Time
	// Quantity is the line's current quantity (0: removed or refunded).
	Quantity int
	// Open is the line's open units now: its quantity after edits and
	// refunds less what the store fulfilled; 0 for a cancelled or deleted
	// order.
	Open int
	// Waiting, Committed, Allocated and Backordered are the line's
	// assignment as the last reconcile left it (all 0 for a line that never
	// waited). Committed units were covered and acted upon: final.
	Waiting     int
	Committed   int
	Allocated   int
	Backordered int
	// Withdrawn are units an operator cancelled at WithdrawnAt: they wait
	// no more (a line with WithdrawnAt set never waits again) and count as
	// released while the level holds their sale: always for a level older
	// than WithdrawnAt; for a newer one, as many as the store's order still
	// holds open (the store took them back only once it cancels or refunds
	// them, and its level then says whether they were restocked).
	Withdrawn   int
	WithdrawnAt time.Time
	// PrioritizedAt is when an operator moved the line to the front of its
	// item's queue (zero: never): see servePrioritized.
	PrioritizedAt time.Time
}

// open is the line's open units that still count as ordered: its open
// units less those withdrawn, which were waiting (uncommitted) units.
func (s LineState) open() int {
	return s.Open - min(s.Withdrawn, max(0, s.Open-s.Committed))
}

// withdrawn reports whether an operator cancelled the line's waiting units.
func (s LineState) withdrawn() bool { return !s.WithdrawnAt.IsZero() }

// Decision is what an item's reconcile decides.
type Decision struct {
	// Projected is P = level − Σ open units of lines placed after the
	// level's report; Owed is max(0, −P).
	Projected int
	Owed      int
	// Waiting is how many units wait now; Shortfall is owed units that no
	// uncommitted unit can carry (the store reports more owed than the
	// orders backorderd knows): recorded and reported, never invented.
	Waiting   int
	Shortfall int
	// Changes are the lines whose assignment changes, with the effects.
	Changes []Change
}

// Change is one line's new assignment and what it means.
type Change struct {
	Before LineState
	After  LineState
	// StartedWaiting: the line waits for the first time (a backorder
	// record appears; the customer is told).
	StartedWaiting bool
	// NewlyAllocated is how many of its waiting units are now covered: they
	// become committed (the customer is told they are ready).
	NewlyAllocated int
}

// Reconcile assigns an item's waiting units afresh from the facts: newest
// wait, oldest served first. Walking the open lines from newest to oldest
// (placed_at, then order id, then line id), each takes as waiting the
// smaller of the units still owed and its uncommitted units, until the owed
// units wait; every other uncommitted unit is covered. Waiting units that
// become covered are allocated and committed. With no level known nothing is
// decided.
func Reconcile(stock Stock, lines []LineState) Decision {
	if !stock.Known {
		return Decision{}
	}
	var l Decision
	l.Projected = stock.Level
	for _, ln := range lines {
		switch {
		case ln.PlacedAt.After(stock.LevelAt):
			l.Projected -= ln.open()
		case ln.withdrawn() && ln.WithdrawnAt.After(stock.LevelAt):
			// The level holds the sale of the withdrawn units but not
			// their cancellation: released until the store's word is newer.
			l.Projected += ln.Withdrawn
		case ln.withdrawn():
			// A newer level still counts as sold what the store's order
			// still holds open: released until the store cancels or
			// refunds them (then its level says whether they came back).
			l.Projected += min(ln.Withdrawn, ln.Open)
		}
	}
	l.Owed = max(0, -l.Projected)

	order := slices.Clone(lines)
	slices.SortFunc(order, newestFirst)
	waits := make([]int, len(order))
	owed := l.Owed
	for i, ln := range order {
		if ln.withdrawn() {
			continue // cancelled by an operator: it never waits again
		}
		open := ln.open()
		waits[i] = min(owed, open-min(ln.Committed, open))
		owed -= waits[i]
	}
	l.Shortfall = owed
	waits = servePrioritized(order, waits)
	for i, before := range order {
		after := before
		open := before.open()
		after.Committed = min(before.Committed, open) // shipped units leave open, committed first
		wait := waits[i]
		// Units that waited and are still open, uncommitted and not
		// waiting now are covered: allocated, and committed for good.
		allocated := max(0, min(before.Waiting, open-after.Committed)-wait)
		if before.withdrawn() {
			allocated = 0 // what an operator cancelled is not handed out
		}
		after.Waiting = wait
		after.Committed += allocated
		after.Allocated += allocated
		after.Backordered = max(before.Backordered, after.Allocated+wait)
		l.Waiting += wait
		if after != before {
			l.Changes = append(l.Changes, Change{
				Before: before, After: after, NewlyAllocated: allocated,
				StartedWaiting: before.Backordered == 0 && wait > 0,
			})
		}
	}
	return l
}

// newestFirst orders lines newest first: by placed_at, then order id, then
// line id, ids compared as the numbers they are.
func newestFirst(a, b LineState) int {
	if c := b.PlacedAt.Compare(a.PlacedAt); c != 0 {
		return c
	}
	if c := compareIDs(b.OrderID, a.OrderID); c != 0 {
		return c
	}
	return compareIDs(b.LineID, a.LineID)
}

// compareIDs compares decimal ids numerically (a shorter one is smaller),
// and anything else as text.
func compareIDs(a, b string) int {
	if c := cmp.Compare(len(a), len(b)); c != 0 && isDigits(a) && isDigits(b) {
		return c
	}
	return cmp.Compare(a, b)
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// Status is a backorder's status, in the API's spelling.
type Status string

// Backorder statuses.
const (
	StatusWaiting            Status = "waiting"
	StatusPartiallyAllocated Status = "partially_allocated"
	StatusAllocated          Status = "allocated"
	StatusShipped            Status = "shipped"
	StatusCancelled          Status = "cancelled"
)

// StatusOf is the status of a line that has waited; cancelled says its
// order was cancelled or deleted in the store. A line an operator
// cancelled is cancelled.
func StatusOf(s LineState, cancelled bool) Status {
	switch {
	case cancelled || s.Quantity == 0 || s.withdrawn():
		return StatusCancelled
	case s.Open == 0:
		return StatusShipped
	case s.Waiting == 0:
		return StatusAllocated
	case s.Allocated > 0:
		return StatusPartiallyAllocated
	default:
		return StatusWaiting
	}
}
