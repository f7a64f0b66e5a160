package simulate

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"time"
)

// The phases of a scenario. Each is sent whole, and its outcome awaited,
// before the next begins: an outcome that depended on when the engine
// happened to reconcile could not be predicted.
const (
	phaseSetup    = iota // items described and their stock reported
	phaseSale            // the orders, and the levels they leave
	phaseChanges         // cancellations, refunds and edits
	phaseReceipts        // purchase orders received, then the levels the store reports after
	phaseRestock         // every item raised to cover what waits
	phaseCount
)

// phaseNames name the phases in logs and mismatches.
var phaseNames = [phaseCount]string{"setup", "sale", "changes", "received stock", "restock"}

// item is one variant (Shopify) or simple product (WooCommerce).
type item struct {
	id, productID, stockKey string
	sku, title              string
	stock                   int // the level before the sale
}

// line is one line of an order as the store holds it now.
type line struct {
	id       string
	item     int
	quantity int
}

// order is one order as the store holds it now.
type order struct {
	id, name, email string
	placed          time.Time
	lines           []line
	cancelled       bool
}

// shop is the store's side of the scenario: its state, which each event
// changes, and the deliveries it sends about each change.
type shop struct {
	o        Options
	rng      *rand.Rand
	ns       string // the run's digits in every id
	clock    time.Time
	serial   int64 // makes ids and Shopify's trigger times unique
	items    []item
	level    []int // each item's available quantity in the store now
	orders   []order
	firstQty map[string]int // each line's quantity as ordered
	out      []delivery
	phase    int
	lastSent []int // per item, the index in out of its latest level delivery
}

// newShop starts the store at o.Start with its random source.
func newShop(o Options) *shop {
	h := fnv.New64a()
	_, _ = h.Write([]byte(o.RunID))
	sum := h.Sum64()
	return &shop{
		o:     o,
		rng:   rand.New(rand.NewPCG(o.Seed, sum)), //nolint:gosec // a reproducible scenario, not a secret
		ns:    fmt.Sprintf("%06d", 100000+sum%900000),
		clock: o.Start,
	}
}

// id is a fresh numeric id: a kind digit, the run's digits, a serial.
// Both stores' ids are decimal numbers, and the engine orders lines by id.
func (s *shop) id(kind int) string {
	s.serial++
	return fmt.Sprintf("%d%s%07d", kind, s.ns, s.serial)
}

// tick moves the store's clock to the next whole second: Shopify's
// timestamps have whole seconds, and each order is placed in its own, so
// that a level reported in an order's second reflects exactly the orders
// placed up to it.
func (s *shop) tick() time.Time {
	s.clock = s.clock.Add(time.Second)
	return s.clock
}

// generate builds the scenario up front: the store's events in order and
// the deliveries each sends. With purchase-order receipts, the receipts'
// levels and the restock after them are built as the run gets there
// (receivedLevels, restock): their quantities come from the purchase
// orders the instance makes, and their times must follow the receipts.
func (s *shop) generate() {
	s.setup()
	s.sale()
	if s.o.Cancel > 0 || s.o.Refund > 0 || s.o.Edit > 0 {
		s.changes()
	}
	if s.o.Restock && !s.o.POReceipts {
		s.restock()
	}
}

// setup describes each item and reports its stock. Stock is demand less
// the short share, so the orders are drawn first.
func (s *shop) setup() {
	s.phase = phaseSetup
	s.items = make([]item, s.o.Items)
	s.level = make([]int, s.o.Items)
	s.lastSent = make([]int, s.o.Items)
	demand := make([]int, s.o.Items)
	s.drawOrders(demand)
	for i := range s.items {
		id := s.id(2)
		s.items[i] = item{
			id: id, productID: s.id(3), stockKey: id, sku: fmt.Sprintf("SIM-%s-%03d", s.ns, i+1),
			title: fmt.Sprintf("Flash sale item %d", i+1),
			stock: int(math.Round(float64(demand[i]) * (1 - s.o.Short))),
		}
		if s.o.Platform == Shopify {
			s.items[i].stockKey = s.id(4) // the variant's inventory item
		}
		s.level[i] = s.items[i].stock
	}
	at := s.tick()
	for i := range s.items {
		s.emitProduct(i, at)
	}
	at = s.tick()
	for i := range s.items {
		s.emitLevel(i, at, -1)
	}
}

// drawOrders draws the sale's orders (1–3 lines of distinct items, 1–3
// units each) and adds their units to demand. Their times are set by sale.
func (s *shop) drawOrders(demand []int) {
	s.orders = make([]order, s.o.Orders)
	s.firstQty = make(map[string]int)
	for k := range s.orders {
		n := 1 + s.rng.IntN(min(3, s.o.Items))
		picked := s.rng.Perm(s.o.Items)[:n]
		o := order{id: s.id(5), name: fmt.Sprintf("#S%s-%d", s.ns, k+1),
			email: fmt.Sprintf("buyer%d.%s@example.com", k+1, s.ns)}
		for _, it := range picked {
			q := 1 + s.rng.IntN(3)
			o.lines = append(o.lines, line{id: s.id(6), item: it, quantity: q})
			s.firstQty[o.lines[len(o.lines)-1].id] = q
			demand[it] += q
		}
		s.orders[k] = o
	}
}

// sale places the orders, one a second, each followed by the level of
// each of its items, sent only once the order is answered.
func (s *shop) sale() {
	s.phase = phaseSale
	for k := range s.orders {
		o := &s.orders[k]
		o.placed = s.tick()
		created := s.emitOrder(k, "create", o.placed)
		for _, l := range o.lines {
			s.level[l.item] -= l.quantity
			s.emitLevel(l.item, o.placed, created)
		}
	}
	s.finishPhase()
}

// restock raises every item's level to cover every unit owed.
func (s *shop) restock() {
	s.phase = phaseRestock
	at := s.tick()
	for i := range s.items {
		if s.level[i] < 0 {
			s.level[i] = 0
		}
		s.level[i] += 1 + s.rng.IntN(3) // a little spare: covering is not an exact fit
		s.emitLevel(i, at, -1)
	}
	s.finishPhase()
}

// finishPhase adds what a phase needs at its end: WooCommerce stamps a
// product's state with its arrival, so concurrent updates of one product
// could land in either order; each item's final level is sent again once
// everything else of the phase was answered.
func (s *shop) finishPhase() {
	if s.o.Platform != WooCommerce {
		return
	}
	at := s.tick()
	for i := range s.items {
		s.emitLevel(i, at, -1)
		s.out[len(s.out)-1].tail = true
	}
}
