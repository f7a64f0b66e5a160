package simulate

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// The purchase-order side of a run (Options.POReceipts), worked through
// the admin API as a merchant works it (docs/api.md): a supplier, every
// item's terms, the purchase orders the instance's reorder run makes
// awaited, then approved, confirmed and received. The simulator never
// makes an order itself: which items are ordered, and how many units, is
// the instance's to decide and the oracle's to predict (design.md,
// "Reordering").

// supplyTerms are an item's terms from the run's supplier. Safety stock is
// left at 0: with it, a full receipt would leave an item short of its
// safety stock and the reorder run would order again mid-phase.
type supplyTerms struct {
	moq, pack int
}

// reorderQuantity is what the reorder run orders of an item with waiting
// units and nothing on order: max(MOQ, the shortfall rounded up to whole
// packs), nothing for no shortfall.
func reorderQuantity(waiting int, t supplyTerms) int {
	if waiting <= 0 {
		return 0
	}
	pack := max(t.pack, 1)
	return max(t.moq, (waiting+pack-1)/pack*pack)
}

// poView is a purchase order as GET /api/v1/purchase-orders/{id} shows it.
type poView struct {
	ID     int64        `json:"id"`
	Status string       `json:"status"`
	Lines  []poLineView `json:"lines"`
}

// poLineView is one line of a purchase order.
type poLineView struct {
	ItemID   string `json:"item_id"`
	Quantity int    `json:"quantity"`
	Received int    `json:"received"`
}

// poAnswer is the answer of a purchase order's action or receipt.
type poAnswer struct {
	Duplicate     bool   `json:"duplicate"`
	PurchaseOrder poView `json:"purchase_order"`
}

// purchasing is one run's supplier and its purchase orders.
type purchasing struct {
	s          *Scenario
	a          *admin
	supplierID int64
	terms      []supplyTerms
	want       []int    // per item, the units the reorder run should order
	pos        []poView // the supplier's orders, oldest first, with their lines
	itemIndex  map[string]int
}

// supply adds the run's supplier and gives every item terms from it; want
// is what the reorder run should then order, from each item's waiting
// units.
func (s *Scenario) supply(ctx context.Context, a *admin, waiting []int) (*purchasing, error) {
	p := &purchasing{s: s, a: a, itemIndex: map[string]int{}}
	var sp struct {
		ID int64 `json:"id"`
	}
	body := map[string]any{"name": "Simulated supplier " + s.opts.RunID, "channel": "email",
		"email": "po-" + s.sh.ns + "@supplier.example", "lead_time_days": 14}
	if _, err := a.do(ctx, http.MethodPost, "/api/v1/suppliers", nil, body, &sp, http.StatusCreated); err != nil {
		return nil, fmt.Errorf("add the supplier: %w", err)
	}
	p.supplierID = sp.ID
	packs, moqs := []int{1, 2, 5}, []int{0, 0, 8}
	for i, it := range s.items {
		t := supplyTerms{pack: packs[s.sh.rng.IntN(len(packs))], moq: moqs[s.sh.rng.IntN(len(moqs))]}
		p.terms = append(p.terms, t)
		p.want = append(p.want, reorderQuantity(waiting[i], t))
		p.itemIndex[it.id] = i
		path := "/api/v1/items/" + url.PathEscape(it.id) + "/suppliers/" + strconv.FormatInt(sp.ID, 10)
		terms := map[string]any{"supplier_sku": "SUP-" + it.sku, "unit_cost": "4.20", "moq": t.moq,
			"pack_size": t.pack, "preferred": true}
		if _, err := a.do(ctx, http.MethodPut, path, url.Values{"shop": {a.shop}}, terms, &struct{}{}, http.StatusOK); err != nil {
			return nil, fmt.Errorf("give %s terms: %w", it.sku, err)
		}
	}
	return p, nil
}

// read reads the supplier's purchase orders with their lines.
func (p *purchasing) read(ctx context.Context) error {
	q := url.Values{"shop": {p.a.shop}, "supplier_id": {strconv.FormatInt(p.supplierID, 10)}, "limit": {"100"}}
	var ids []int64
	for {
		var pg page[poView]
		if err := p.a.get(ctx, "/api/v1/purchase-orders", q, &pg); err != nil {
			return err
		}
		for _, po := range pg.Items {
			ids = append(ids, po.ID)
		}
		if pg.NextCursor == nil {
			break
		}
		q.Set("cursor", *pg.NextCursor)
	}
	slices.Sort(ids)
	p.pos = p.pos[:0]
	for _, id := range ids {
		var one struct {
			PurchaseOrder poView `json:"purchase_order"`
		}
		if err := p.a.get(ctx, "/api/v1/purchase-orders/"+strconv.FormatInt(id, 10), url.Values{}, &one); err != nil {
			return err
		}
		p.pos = append(p.pos, one.PurchaseOrder)
	}
	return nil
}

// ordered sums the units on order of each item over the supplier's
// orders, and lists the lines naming an item not of the run.
func (p *purchasing) ordered() ([]int, []string) {
	got := make([]int, len(p.s.items))
	var stray []string
	for _, po := range p.pos {
		for _, l := range po.Lines {
			i, ok := p.itemIndex[l.ItemID]
			if !ok {
				stray = append(stray, fmt.Sprintf("purchase order %d orders item %s, not of this run", po.ID, l.ItemID))
				continue
			}
			got[i] += l.Quantity
		}
	}
	return got, stray
}

// awaitOrders waits until the reorder run has ordered what want says of
// every item, and nothing else; the differences when it has not in time.
func (p *purchasing) awaitOrders(ctx context.Context, timeout time.Duration) []string {
	deadline := time.Now().Add(timeout)
	for {
		var mm []string
		if err := p.read(ctx); err != nil {
			mm = []string{err.Error()}
		} else {
			got, stray := p.ordered()
			mm = stray
			for i, it := range p.s.items {
				if got[i] != p.want[i] {
					t := p.terms[i]
					mm = append(mm, fmt.Sprintf("item %s: want %d units ordered (moq %d, pack %d), got %d",
						it.sku, p.want[i], t.moq, t.pack, got[i]))
				}
			}
		}
		if len(mm) == 0 {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return mm
		}
		sleep(ctx, pollEvery)
	}
}

// approveAndConfirm approves every draft (a shop sending automatically has
// none) and confirms every order for expected, as the merchant would
// enter the supplier's confirmation. It returns when the last answer came.
func (p *purchasing) approveAndConfirm(ctx context.Context, expected time.Time) (time.Time, error) {
	for k, po := range p.pos {
		base := "/api/v1/purchase-orders/" + strconv.FormatInt(po.ID, 10)
		if po.Status == "draft" {
			var ans poAnswer
			if _, err := p.a.do(ctx, http.MethodPost, base+"/approve", nil, nil, &ans, http.StatusOK); err != nil {
				return time.Time{}, fmt.Errorf("approve purchase order %d: %w", po.ID, err)
			}
			if ans.PurchaseOrder.Status != "sent" {
				return time.Time{}, fmt.Errorf("purchase order %d approved: want sent, got %s", po.ID, ans.PurchaseOrder.Status)
			}
		}
		var ans poAnswer
		body := map[string]any{"expected_at": expected.Format(time.DateOnly)}
		if _, err := p.a.do(ctx, http.MethodPost, base+"/confirm", nil, body, &ans, http.StatusOK); err != nil {
			return time.Time{}, fmt.Errorf("confirm purchase order %d: %w", po.ID, err)
		}
		if ans.PurchaseOrder.Status != "confirmed" {
			return time.Time{}, fmt.Errorf("purchase order %d confirmed: want confirmed, got %s", po.ID, ans.PurchaseOrder.Status)
		}
		p.pos[k].Status = ans.PurchaseOrder.Status
	}
	return time.Now(), nil
}

// receipts runs the admin side of the receipts phase — supplier and terms,
// the orders awaited, approved and confirmed, then received — checking
// each step's outcome. The store reports half the items' levels at once,
// in the receipts' second, as after backorderd's own stock write; it
// returns the units of the others, whose levels the store reports later
// (nil: nothing received).
func (s *Scenario) receipts(ctx context.Context, sd *sender, a *admin, o *oracle, r RunOptions, rep *Report,
	logf func(string, ...any)) []int {
	const ordering, receiving = "purchase orders", "receipts"
	waiting := make([]int, len(s.items))
	for _, l := range o.snapshot().lines {
		waiting[l.item] += l.waiting
	}
	p, err := s.supply(ctx, a, waiting)
	if err != nil {
		rep.addMismatches(ordering, []string{err.Error()})
		return nil
	}
	if mm := p.awaitOrders(ctx, r.SettleTimeout); len(mm) > 0 {
		rep.addMismatches(ordering, mm)
		return nil
	}
	confirmed, err := p.approveAndConfirm(ctx, time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, 21))
	if err != nil {
		rep.addMismatches(ordering, []string{err.Error()})
		return nil
	}
	rep.PurchaseOrders = len(p.pos)
	o.supply = p.due(nil)
	o.settle()
	res := s.await(ctx, a, o.snapshot(), false, confirmed, r.SettleTimeout)
	rep.ETAConfirmed = res.settled
	rep.addMismatches(ordering, res.mismatches)
	logf("%s: %d made and confirmed; ETAs confirmed %s, %d mismatches", ordering, len(p.pos), show(res.settled), len(res.mismatches))

	rs := p.planReceipts()
	received, last, err := p.receive(ctx, o, rs)
	if err != nil {
		rep.addMismatches(receiving, []string{err.Error()})
	}
	if last.IsZero() {
		return nil
	}
	for _, n := range received {
		rep.ReceivedUnits += n
	}
	atOnce, later := splitByWriter(received)
	sent := s.sendAtOnce(ctx, sd, o, atOnce)
	o.supply = p.due(received)
	o.settle()
	e := o.snapshot()
	res = s.awaitQuiet(ctx, a, e, false, true, last, r.SettleTimeout)
	rep.ReceiptsSettled = res.settled
	rep.addMismatches(receiving, res.mismatches)
	mm := p.checkOrders(ctx, rs)
	rep.addMismatches(receiving, mm)
	logf("%s: %d units in %d receipts, %d levels reported at once; settled %s, expecting %d units waiting; %d mismatches",
		receiving, rep.ReceivedUnits, len(rs), sent, show(res.settled), e.waiting, len(res.mismatches)+len(mm))
	return later
}

// sendAtOnce has the store report the levels of units at once, before the
// receipts' reconcile, and gives them to the oracle; it returns how many
// deliveries were sent.
func (s *Scenario) sendAtOnce(ctx context.Context, sd *sender, o *oracle, units []int) int {
	from := len(s.sh.out)
	s.sh.reportReceived(units, time.Now().UTC())
	s.out = s.sh.out
	p := planPhase(s.out, from, phaseReceipts, s.opts, s.sh.rng)
	s.early = append(s.early, p)
	sd.grow(p)
	sd.sendPhase(ctx, p)
	for _, i := range p.order {
		o.deliver(&s.out[i])
	}
	return len(p.order)
}
