package backorder

// Terms are what reordering needs of an item's terms with one supplier: the
// minimum order quantity (0: none), the pack size the supplier ships in
// (below 1 counts as 1), and the safety stock to keep on top of what
// customers wait for.
type Terms struct {
	MOQ         int
	PackSize    int
	SafetyStock int
}

// ReorderQuantity is how many units to order of an item that has waiting
// units waiting and onOrder units still to come on open purchase orders
// (drafts included, so that a second run for the same shortfall orders
// nothing): shortfall = waiting + safety stock − on order; nothing when the
// shortfall is not positive, else max(MOQ, ceil(shortfall / pack) × pack),
// as design.md states it. An MOQ is taken as the supplier states it, whole
// packs or not: the merchant's terms say what the supplier accepts.
func ReorderQuantity(waiting, onOrder int, t Terms) int {
	shortfall := waiting + t.SafetyStock - onOrder
	if shortfall <= 0 {
		return 0
	}
	pack := max(t.PackSize, 1)
	return max(t.MOQ, (shortfall+pack-1)/pack*pack)
}
