package simulate

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// How an item's purchase-order lines are received.
const (
	receivePart  = iota // some of the units, the rest left due
	receiveAll          // every unit, in one receipt
	receiveTwice        // every unit, in two receipts
	receiveNone         // nothing yet
	receiveModes
)

// receiptLine is units of an item in one receipt.
type receiptLine struct {
	ItemID   string `json:"item_id"`
	Quantity int    `json:"quantity"`
}

// receipt is one delivery of a purchase order's units.
type receipt struct {
	po    int64
	ID    string        `json:"receipt_id"`
	Lines []receiptLine `json:"lines"`
}

// planReceipts decides what arrives: the items ordered, shuffled, take the
// modes in turn (so two items already give a partial and a full receipt),
// and each order's receipts gather its lines' first, then second, amounts.
func (p *purchasing) planReceipts() []receipt {
	sh := p.s.sh
	mode := make([]int, len(p.s.items))
	k := 0
	for _, i := range sh.rng.Perm(len(p.s.items)) {
		if p.want[i] > 0 {
			mode[i] = k % receiveModes
			k++
		}
	}
	var out []receipt
	for _, po := range p.pos {
		var rs [2]receipt
		for _, l := range po.Lines {
			i, ok := p.itemIndex[l.ItemID]
			if !ok || l.Quantity < 1 {
				continue
			}
			var amounts []int
			part := l.Quantity
			if l.Quantity > 1 {
				part = 1 + sh.rng.IntN(l.Quantity-1)
			}
			switch mode[i] {
			case receivePart:
				amounts = []int{part}
			case receiveAll:
				amounts = []int{l.Quantity}
			case receiveTwice:
				amounts = []int{part, l.Quantity - part}
			}
			for n, q := range amounts {
				if q > 0 {
					rs[n].Lines = append(rs[n].Lines, receiptLine{ItemID: l.ItemID, Quantity: q})
				}
			}
		}
		for n, r := range rs {
			if len(r.Lines) > 0 {
				r.po, r.ID = po.ID, fmt.Sprintf("sim-%s-po%d-%d", sh.ns, po.ID, n+1)
				out = append(out, r)
			}
		}
	}
	return out
}

// receive posts the receipts, each taken in by the oracle once answered
// 201, then the first again, which must add nothing. It returns the units
// received of each item and when the last receipt was answered.
func (p *purchasing) receive(ctx context.Context, o *oracle, rs []receipt) ([]int, time.Time, error) {
	received := make([]int, len(p.s.items))
	var last time.Time
	for _, r := range rs {
		var ans poAnswer
		path := "/api/v1/purchase-orders/" + strconv.FormatInt(r.po, 10) + "/receipts"
		if _, err := p.a.do(ctx, http.MethodPost, path, nil, r, &ans, http.StatusCreated); err != nil {
			return received, last, fmt.Errorf("receipt %s: %w", r.ID, err)
		}
		last = time.Now()
		for _, l := range r.Lines {
			i := p.itemIndex[l.ItemID]
			received[i] += l.Quantity
			o.receive(i, l.Quantity, last)
		}
	}
	if len(rs) > 0 {
		var ans poAnswer
		path := "/api/v1/purchase-orders/" + strconv.FormatInt(rs[0].po, 10) + "/receipts"
		if _, err := p.a.do(ctx, http.MethodPost, path, nil, rs[0], &ans, http.StatusOK); err != nil {
			return received, last, fmt.Errorf("receipt %s sent again, want 200 duplicate: %w", rs[0].ID, err)
		}
		if !ans.Duplicate {
			return received, last, fmt.Errorf("receipt %s sent again: want 200 duplicate, got duplicate false", rs[0].ID)
		}
	}
	return received, last, nil
}

// checkOrders reads the supplier's orders again and lists how they differ
// from the receipts: each line's received units, and the order's status
// (received when every line is, partially_received when some unit is).
func (p *purchasing) checkOrders(ctx context.Context, rs []receipt) []string {
	byLine := map[string]int{}
	for _, r := range rs {
		for _, l := range r.Lines {
			byLine[fmt.Sprint(r.po, "/", l.ItemID)] += l.Quantity
		}
	}
	if err := p.read(ctx); err != nil {
		return []string{err.Error()}
	}
	var mm []string
	for _, po := range p.pos {
		status, all, some := "confirmed", true, false
		for _, l := range po.Lines {
			want := byLine[fmt.Sprint(po.ID, "/", l.ItemID)]
			all, some = all && want == l.Quantity, some || want > 0
			if l.Received != want {
				mm = append(mm, fmt.Sprintf("purchase order %d item %s: want %d of %d received, got %d", po.ID, l.ItemID,
					want, l.Quantity, l.Received))
			}
		}
		switch {
		case all:
			status = "received"
		case some:
			status = "partially_received"
		}
		if po.Status != status {
			mm = append(mm, fmt.Sprintf("purchase order %d: want status %s, got %s", po.ID, status, po.Status))
		}
	}
	return mm
}

// due is what each item still has to come, from what was ordered and
// received: the confirmed orders' units, partly received or not, give a
// "confirmed" ETA (design.md, "ETA").
func (p *purchasing) due(received []int) []supplyFact {
	sup := make([]supplyFact, len(p.s.items))
	for i := range sup {
		sup[i] = supplyFact{due: p.want[i], kind: "confirmed"}
		if received != nil {
			sup[i].due -= received[i]
		}
	}
	return sup
}

// reportReceived is the store's side of a receipt: the stock of each item
// raised by units (the merchant entered them, or backorderd's own write
// did), each reported at once at time at — a report newer than the
// receipts, whose units it now holds.
func (s *shop) reportReceived(units []int, at time.Time) {
	s.phase = phaseReceipts
	s.clock = laterOf(s.clock, at)
	for i, n := range units {
		if n > 0 {
			s.level[i] += n
			s.emitLevel(i, s.clock, -1)
		}
	}
}

// splitByWriter splits the units received of each item between those the
// store reports at once, as after backorderd's own stock write, and those
// it reports later, as after the merchant's entry: the items received
// take turns.
func splitByWriter(received []int) (atOnce, later []int) {
	atOnce, later = make([]int, len(received)), make([]int, len(received))
	turn := 0
	for i, n := range received {
		if n == 0 {
			continue
		}
		if turn%2 == 0 {
			atOnce[i] = n
		} else {
			later[i] = n
		}
		turn++
	}
	return atOnce, later
}

// laterOf is the later of two times.
func laterOf(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
