package jobs

import (
	"cmp"
	"slices"

	"github.com/backorderd/backorderd/backorder"
)

// inLockOrder returns the facts sorted as every transaction takes their
// rows (see "Lock order" in docs/architecture.md): orders by id, refunds by
// id, items by id, stock levels by key and location. Two deliveries that
// name the same rows in other orders would otherwise wait on each other.
// The store sorts an order's lines by line id and the ledger rows by item
// id itself.
func inLockOrder(f backorder.Facts) backorder.Facts {
	f.Orders = slices.SortedStableFunc(slices.Values(f.Orders), func(a, b backorder.Order) int {
		return cmp.Compare(a.OrderID, b.OrderID)
	})
	f.DeletedOrders = slices.Sorted(slices.Values(f.DeletedOrders))
	f.Refunds = slices.SortedStableFunc(slices.Values(f.Refunds), func(a, b backorder.Refund) int {
		return cmp.Compare(a.RefundID, b.RefundID)
	})
	f.Items = slices.SortedStableFunc(slices.Values(f.Items), func(a, b backorder.Item) int {
		return cmp.Compare(a.ItemID, b.ItemID)
	})
	f.DeletedItems = slices.Sorted(slices.Values(f.DeletedItems))
	f.Levels = slices.SortedStableFunc(slices.Values(f.Levels), func(a, b backorder.StockLevel) int {
		return cmp.Or(cmp.Compare(a.StockKey, b.StockKey), cmp.Compare(a.LocationID, b.LocationID))
	})
	return f
}
