package simulate

import (
	"math"
	"math/rand/v2"
	"slices"
)

// shuffleWindow is how far, in deliveries, an out-of-order delivery or a
// duplicate moves from its place.
const shuffleWindow = 32

// plan is the sending order of one phase: indexes into the scenario's
// deliveries, a duplicate appearing twice; tails are sent after the rest.
type plan struct {
	order []int
	tails []int
}

// planPhases drops, duplicates and shuffles each phase's deliveries (the
// setup is sent as it is) and fixes what each waits for: a delivery never
// waits for one planned after it.
func planPhases(out []delivery, o Options, rng *rand.Rand) [phaseCount]plan {
	var plans [phaseCount]plan
	for ph := range plans {
		plans[ph] = planPhase(out, 0, ph, o, rng)
	}
	return plans
}

// planPhase plans the deliveries of phase ph from index from on: those
// generated as the run gets there are planned then, by the same rules.
func planPhase(out []delivery, from, ph int, o Options, rng *rand.Rand) plan {
	var p plan
	for i := from; i < len(out); i++ {
		if out[i].phase != ph {
			continue
		}
		if out[i].tail {
			p.tails = append(p.tails, i)
		} else {
			p.order = append(p.order, i)
		}
	}
	if ph != phaseSetup {
		p.order = dropSome(out, p.order, o.Drop, rng)
		p.order = duplicateSome(p.order, o.Duplicates, rng)
		p.order = shuffleSome(p.order, o.OutOfOrder, rng)
	}
	first := map[int]int{}
	for pos, i := range p.order {
		if _, seen := first[i]; !seen {
			first[i] = pos
		}
	}
	for pos, i := range p.order {
		if a := out[i].after; a >= 0 && (out[a].dropped || first[a] >= pos) {
			out[i].after = -1
		}
	}
	return p
}

// pick chooses round(share × n) of n positions.
func pick(n int, share float64, rng *rand.Rand) []int {
	k := min(n, int(math.Round(share*float64(n))))
	if k <= 0 {
		return nil
	}
	return rng.Perm(n)[:k]
}

// dropSome marks a share of the deliveries dropped and leaves them out.
func dropSome(out []delivery, order []int, share float64, rng *rand.Rand) []int {
	for _, pos := range pick(len(order), share, rng) {
		out[order[pos]].dropped = true
	}
	return slices.DeleteFunc(order, func(i int) bool { return out[i].dropped })
}

// duplicateSome sends a share of the deliveries a second time, a little
// later.
func duplicateSome(order []int, share float64, rng *rand.Rand) []int {
	again := make([][]int, len(order)+shuffleWindow+1)
	for _, pos := range pick(len(order), share, rng) {
		at := pos + 1 + rng.IntN(shuffleWindow)
		again[at] = append(again[at], order[pos])
	}
	out := make([]int, 0, len(order)*2)
	for pos := range again {
		out = append(out, again[pos]...)
		if pos < len(order) {
			out = append(out, order[pos])
		}
	}
	return out
}

// shuffleSome moves a share of the deliveries to another place within
// the window around them.
func shuffleSome(order []int, share float64, rng *rand.Rand) []int {
	for _, pos := range pick(len(order), share, rng) {
		to := min(len(order)-1, max(0, pos+rng.IntN(2*shuffleWindow+1)-shuffleWindow))
		order[pos], order[to] = order[to], order[pos]
	}
	return order
}
