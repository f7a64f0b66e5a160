package simulate

import "math"

// changes cancels, partly refunds and edits shares of the orders, each
// order at most one change, one change a second. The store restocks what a
// cancellation or refund frees and takes what an edit adds, so each change
// is followed by the levels it moved.
func (s *shop) changes() {
	s.phase = phaseChanges
	n := len(s.orders)
	perm := s.rng.Perm(n)
	take := func(share float64) []int {
		k := min(int(math.Round(share*float64(n))), len(perm))
		picked := perm[:k]
		perm = perm[k:]
		return picked
	}
	cancels, refunds, edits := take(s.o.Cancel), take(s.o.Refund), take(s.o.Edit)
	for _, k := range cancels {
		s.cancel(k)
	}
	for _, k := range refunds {
		s.refund(k)
	}
	for _, k := range edits {
		s.edit(k)
	}
	s.finishPhase()
}

// cancel cancels order k with its units restocked.
func (s *shop) cancel(k int) {
	o := &s.orders[k]
	at := s.tick()
	o.cancelled = true
	updated := s.emitOrder(k, "cancelled", at)
	for _, l := range o.lines {
		s.level[l.item] += l.quantity
		s.emitLevel(l.item, at, updated)
	}
}

// refund refunds, and restocks, some units of one line of order k.
func (s *shop) refund(k int) {
	o := &s.orders[k]
	j := s.rng.IntN(len(o.lines))
	units := 1 + s.rng.IntN(o.lines[j].quantity)
	at := s.tick()
	o.lines[j].quantity -= units
	s.level[o.lines[j].item] += units
	s.emitRefund(k, j, units, at)
	updated := s.emitOrder(k, "updated", at)
	s.emitLevel(o.lines[j].item, at, updated)
}

// edit changes the quantity of one line of order k by one or two units,
// up or down (to none: the line removed).
func (s *shop) edit(k int) {
	o := &s.orders[k]
	j := s.rng.IntN(len(o.lines))
	delta := 1 + s.rng.IntN(2)
	if s.rng.IntN(2) == 0 {
		delta = -min(delta, o.lines[j].quantity)
	}
	at := s.tick()
	o.lines[j].quantity += delta
	s.level[o.lines[j].item] -= delta
	s.emitEdit(k, j, delta, at)
	updated := s.emitOrder(k, "updated", at)
	s.emitLevel(o.lines[j].item, at, updated)
}
