package backorder

import (
	"slices"
)

// servePrioritized moves prioritized lines to the front of the item's
// queue: the next units for the item go to them first, the line an
// operator prioritized last first of all. It redistributes the waiting
// units that first come, first served gave (waits, one per line of order,
// newest first) without changing how many wait.
//
// A line that is not prioritized may be made to wait for up to what it
// waited before or what first come, first served gives it, whichever is
// more, and never more: a prioritized line is served from units arriving,
// not from units already covering other customers (a line served from
// stock is not put on backorder for it). A prioritized line so never waits
// more than first come, first served would have it wait, and while one
// waits, every line behind it waits as much as it may.
func servePrioritized(order []LineState, waits []int) []int {
	if !slices.ContainsFunc(order, func(l LineState) bool { return !l.PrioritizedAt.IsZero() && !l.withdrawn() }) {
		return waits
	}
	total := 0
	for _, w := range waits {
		total += w
	}
	out := make([]int, len(order))
	var front []int // prioritized lines, served last to first below
	for i, ln := range order {
		if ln.withdrawn() {
			continue
		}
		if !ln.PrioritizedAt.IsZero() {
			front = append(front, i)
			continue
		}
		open := ln.open()
		room := min(open-min(ln.Committed, open), max(waits[i], ln.Waiting))
		out[i] = min(total, room)
		total -= out[i]
	}
	// The queue's front is the line prioritized last; of lines prioritized
	// at once, the oldest. The units left wait from the back of the front.
	slices.SortStableFunc(front, func(a, b int) int {
		if c := order[a].PrioritizedAt.Compare(order[b].PrioritizedAt); c != 0 {
			return c
		}
		return newestFirst(order[a], order[b])
	})
	// A prioritized line waits at most what first come, first served has it
	// wait: a line the store's level already counts as sold from stock is
	// not put on backorder by being put first. Every line may wait at least
	// that much, so the units always find room.
	for _, i := range front {
		open := order[i].open()
		out[i] = min(total, open-min(order[i].Committed, open), waits[i])
		total -= out[i]
	}
	return out
}
