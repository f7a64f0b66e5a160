package backorder

import (
	"testing"

	"pgregory.net/rapid"
)

func TestReorderQuantity(t *testing.T) {
	for _, tt := range []struct {
		name             string
		waiting, onOrder int
		terms            Terms
		want             int
	}{
		{"nothing waiting orders nothing", 0, 0, Terms{}, 0},
		{"the shortfall itself without terms", 7, 0, Terms{}, 7},
		{"a pack size below one counts as one", 7, 0, Terms{PackSize: 0}, 7},
		{"a negative pack size counts as one", 7, 0, Terms{PackSize: -3}, 7},
		{"rounded up to whole packs", 7, 0, Terms{PackSize: 6}, 12},
		{"an exact number of packs stays", 12, 0, Terms{PackSize: 6}, 12},
		{"the MOQ when the shortfall is smaller", 3, 0, Terms{MOQ: 10}, 10},
		{"the shortfall when it exceeds the MOQ", 13, 0, Terms{MOQ: 10}, 13},
		{"MOQ and pack: the packs when they exceed the MOQ", 13, 0, Terms{MOQ: 10, PackSize: 5}, 15},
		{"MOQ and pack: the MOQ when it is whole packs", 3, 0, Terms{MOQ: 10, PackSize: 5}, 10},
		{"an MOQ that is not whole packs is ordered as stated", 3, 0, Terms{MOQ: 10, PackSize: 6}, 10},
		{"packs above an MOQ that is not whole packs", 11, 0, Terms{MOQ: 10, PackSize: 6}, 12},
		{"safety stock is ordered on top of the waiting units", 4, 0, Terms{SafetyStock: 5}, 9},
		{"safety stock alone orders when nothing waits", 0, 0, Terms{SafetyStock: 5}, 5},
		{"units on order are subtracted", 10, 4, Terms{}, 6},
		{"units on order covering all order nothing", 10, 10, Terms{MOQ: 50, PackSize: 12}, 0},
		{"units on order beyond the need order nothing", 3, 40, Terms{SafetyStock: 5}, 0},
		{"on order covers waiting but not the safety stock", 10, 10, Terms{SafetyStock: 2, PackSize: 6}, 6},
		{"a first run's draft on order: MOQ", 3, 10, Terms{MOQ: 10}, 0},
		{"a first run's draft on order: packs and safety", 7, 18, Terms{PackSize: 6, SafetyStock: 5}, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := ReorderQuantity(tt.waiting, tt.onOrder, tt.terms); got != tt.want {
				t.Errorf("ReorderQuantity(%d, %d, %+v) = %d, want %d", tt.waiting, tt.onOrder, tt.terms, got, tt.want)
			}
		})
	}
}

// TestReorderQuantityProperties: the quantity is the MOQ or the smallest
// number of whole packs that covers the shortfall, whichever is larger,
// and a second run with the first run's order on order orders nothing more.
func TestReorderQuantityProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		waiting := rapid.IntRange(0, 500).Draw(t, "waiting")
		onOrder := rapid.IntRange(0, 500).Draw(t, "on order")
		terms := Terms{
			MOQ:         rapid.IntRange(0, 200).Draw(t, "moq"),
			PackSize:    rapid.IntRange(-1, 48).Draw(t, "pack"),
			SafetyStock: rapid.IntRange(0, 50).Draw(t, "safety"),
		}
		q := ReorderQuantity(waiting, onOrder, terms)
		shortfall := waiting + terms.SafetyStock - onOrder
		if shortfall <= 0 {
			if q != 0 {
				t.Fatalf("shortfall %d ordered %d, want 0", shortfall, q)
			}
			return
		}
		pack := max(terms.PackSize, 1)
		fewestPacks := q%pack == 0 && q-pack < shortfall
		if q < shortfall || q < terms.MOQ || (q != terms.MOQ && !fewestPacks) {
			t.Fatalf("ordered %d for shortfall %d, MOQ %d, pack %d: want the MOQ or the fewest whole packs covering the shortfall, whichever is larger",
				q, shortfall, terms.MOQ, pack)
		}
		if again := ReorderQuantity(waiting, onOrder+q, terms); again != 0 {
			t.Fatalf("second run with %d more on order ordered %d, want 0", q, again)
		}
	})
}
