package jobs

// The harness's supply helpers: suppliers, terms and purchase orders
// written straight to the store, for the tests of reordering, purchasing
// and ETAs.

import (
	"context"
	"time"

	"github.com/backorderd/backorderd/store"
)

// Supplier adds a supplier reached by email with a lead time of leadDays.
func (h *Harness) Supplier(name string, leadDays int) store.Supplier {
	h.T.Helper()
	sp, err := h.Store.AddSupplier(context.Background(), store.Supplier{Name: name, Email: "orders@" + name + ".example",
		Channel: store.ChannelEmail, LeadTimeDays: leadDays, Currency: "USD"})
	if err != nil {
		h.T.Fatal(err)
	}
	return sp
}

// Terms sets an item's terms from a supplier.
func (h *Harness) Terms(is store.ItemSupplier) {
	h.T.Helper()
	if _, err := h.Store.SetItemSupplier(context.Background(), is); err != nil {
		h.T.Fatal(err)
	}
}

// DraftPO writes the shop's draft to the supplier with the lines.
func (h *Harness) DraftPO(shopID, supplierID int64, lines ...store.POLine) store.PurchaseOrder {
	h.T.Helper()
	var po store.PurchaseOrder
	err := h.Store.InTx(context.Background(), func(tx *store.Tx) error {
		ctx := context.Background()
		var err error
		if po, err = tx.DraftPO(ctx, shopID, supplierID, "USD"); err != nil {
			return err
		}
		for _, l := range lines {
			if err := tx.AddToPOLine(ctx, po.ID, l); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		h.T.Fatal(err)
	}
	return po
}

// SentPO writes a purchase order of quantity units of an item to the
// supplier, sent at sentAt, as approving it would, without its send task.
func (h *Harness) SentPO(shopID, supplierID int64, itemID string, quantity int, sentAt time.Time) store.PurchaseOrder {
	h.T.Helper()
	po := h.DraftPO(shopID, supplierID, store.POLine{ItemID: itemID, Quantity: quantity})
	h.SetPO(po.ID, func(p *store.PurchaseOrder) { p.Status, p.SentAt = store.POSent, &sentAt })
	po.Status, po.SentAt = store.POSent, &sentAt
	return po
}

// SetPO changes a purchase order as fn says, and saves it.
func (h *Harness) SetPO(id int64, fn func(*store.PurchaseOrder)) {
	h.T.Helper()
	err := h.Store.InTx(context.Background(), func(tx *store.Tx) error {
		po, _, err := tx.LockPO(context.Background(), id)
		if err != nil {
			return err
		}
		fn(&po)
		return tx.SavePO(context.Background(), po)
	})
	if err != nil {
		h.T.Fatal(err)
	}
}

// Today is the calendar day of a shop in UTC now, as ETAs are dated.
func Today() time.Time {
	y, m, d := time.Now().UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Waiting sets the units an item's customers wait for, as its last
// reconcile found them.
func (h *Harness) Waiting(shopID int64, itemID string, units int) {
	h.T.Helper()
	err := h.Store.InTx(context.Background(), func(tx *store.Tx) error {
		led, err := tx.LockLedger(context.Background(), shopID, itemID)
		if err != nil {
			return err
		}
		led.Waiting = units
		return tx.SaveLedger(context.Background(), led)
	})
	if err != nil {
		h.T.Fatal(err)
	}
}

// POs lists the lines of the shop's purchase orders of a status ("":
// any), by supplier.
func (h *Harness) POs(shopID int64, status string) map[int64][]store.POLine {
	h.T.Helper()
	ctx := context.Background()
	pos, err := h.Store.ListPurchaseOrders(ctx, store.POFilter{ShopID: shopID, Status: status, Limit: 100})
	if err != nil {
		h.T.Fatal(err)
	}
	out := map[int64][]store.POLine{}
	for _, po := range pos {
		_, lines, _, err := h.Store.PurchaseOrder(ctx, po.ID)
		if err != nil {
			h.T.Fatal(err)
		}
		out[po.SupplierID] = append(out[po.SupplierID], lines...)
	}
	return out
}
