package simulate

import (
	"fmt"
	"testing"
)

func TestReorderQuantityIsTheShortfallInWholePacksAtLeastTheMOQ(t *testing.T) {
	tests := []struct {
		waiting int
		terms   supplyTerms
		want    int
	}{
		{0, supplyTerms{moq: 8, pack: 5}, 0},
		{7, supplyTerms{pack: 1}, 7},
		{7, supplyTerms{pack: 5}, 10},
		{7, supplyTerms{moq: 8, pack: 2}, 8},
		{9, supplyTerms{moq: 8, pack: 2}, 10},
	}
	for _, tt := range tests {
		if got := reorderQuantity(tt.waiting, tt.terms); got != tt.want {
			t.Errorf("reorderQuantity(%d, %+v) = %d, want %d", tt.waiting, tt.terms, got, tt.want)
		}
	}
}

func TestReceiptsArePartialWholeAndInTwoNeverBeyondTheLine(t *testing.T) {
	s, err := New(Options{Orders: 50, Items: 8, Short: 0.3, Seed: 3, RunID: "receipts"})
	if err != nil {
		t.Fatal(err)
	}
	p := &purchasing{s: s, itemIndex: map[string]int{}, want: make([]int, len(s.items))}
	po := poView{ID: 7, Status: "confirmed"}
	for i, it := range s.items {
		p.itemIndex[it.id] = i
		if i < 6 {
			p.want[i] = 5
			po.Lines = append(po.Lines, poLineView{ItemID: it.id, Quantity: 5})
		}
	}
	p.pos = []poView{po}
	rs := p.planReceipts()
	if len(rs) != 2 || rs[0].ID == rs[1].ID || rs[0].po != 7 {
		t.Fatalf("got receipts %+v, want two of order 7, named apart", rs)
	}
	got := map[string]int{}
	parts := map[string]int{}
	for _, r := range rs {
		for _, l := range r.Lines {
			got[l.ItemID] += l.Quantity
			parts[l.ItemID]++
		}
	}
	var none, part, whole, twice int
	for _, l := range po.Lines {
		switch n := got[l.ItemID]; {
		case n > l.Quantity:
			t.Errorf("item %s: %d received of %d ordered", l.ItemID, n, l.Quantity)
		case n == 0:
			none++
		case n < l.Quantity:
			part++
		case parts[l.ItemID] == 2:
			twice++
		default:
			whole++
		}
	}
	if none == 0 || part == 0 || whole == 0 || twice == 0 {
		t.Errorf("got %d lines not received, %d partly, %d wholly, %d in two receipts; want some of each", none, part, whole, twice)
	}
	for _, id := range []string{s.items[6].id, s.items[7].id} {
		if got[id] != 0 {
			t.Errorf("item %s, not ordered, got %d received", id, got[id])
		}
	}
}

func TestTheStoreReportsHalfTheItemsReceivedAtOnceAndTheRestLater(t *testing.T) {
	atOnce, later := splitByWriter([]int{3, 0, 5, 2, 0, 7})
	if fmt.Sprint(atOnce) != "[3 0 0 2 0 0]" || fmt.Sprint(later) != "[0 0 5 0 0 7]" {
		t.Errorf("got at once %v, later %v; want the items received taking turns, each once", atOnce, later)
	}
}
