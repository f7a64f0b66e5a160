package main

import (
	"testing"
	"time"
)

// TestPurchaseOrderReceiptsOnPostgresAndRedisMatchTheOracle runs the
// simulator's purchase-order receipts against serve and work on their own
// PostgreSQL and Redis (the embedded default's test covers SQLite): the
// reorder run's orders, the receipts, the store's levels at once and later,
// then a restock, each matched against the oracle; nothing left unfinished
// and every email (the supplier's order too) accepted once.
func TestPurchaseOrderReceiptsOnPostgresAndRedisMatchTheOracle(t *testing.T) {
	t.Parallel()
	c := newCluster(t, clusterOptions{serves: 1, works: 1, reorderEvery: time.Second})
	o := faultSale("po-receipts")
	o.Orders, o.Duplicates, o.OutOfOrder, o.POReceipts, o.Restock = 150, 0.1, 0.1, true, true
	out := c.sale(t, o, 0.3, 2*time.Minute, func() {}) // no fault: the checks after a sale are wanted
	r := out.report
	if r.PurchaseOrders < 1 || r.ReceivedUnits == 0 || r.ReceiptsSettled <= 0 || r.ReceiptLevelsSettled <= 0 || r.RestockSettled <= 0 {
		t.Errorf("got %d purchase orders, %d units received, receipts settled %s, their levels %s, restock %s; "+
			"want orders made, units received, every step settled", r.PurchaseOrders, r.ReceivedUnits, r.ReceiptsSettled,
			r.ReceiptLevelsSettled, r.RestockSettled)
	}
}
