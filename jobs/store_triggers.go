package jobs

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/integrations/storeapi"
	"github.com/backorderd/backorderd/store"
)

// The triggers of the store writes: each records, in the transaction that
// changed the facts, what the shop's store should show (wantStoreWrite),
// for shops with credentials and only the writes the shop has on.

// touchOrders notes that the transaction changed the backorder lines or
// ETAs of the shop's orders: their store write is decided once, when the
// transaction's work is done (wantOrderWrites), whatever changed them.
func (o *Outbox) touchOrders(shopID int64, orderIDs ...string) {
	if len(orderIDs) == 0 {
		return
	}
	if o.orders == nil {
		o.orders = map[int64]map[string]bool{}
	}
	if o.orders[shopID] == nil {
		o.orders[shopID] = map[string]bool{}
	}
	for _, id := range orderIDs {
		o.orders[shopID][id] = true
	}
}

// wantOrderWrites records the state wanted of each order the transaction
// touched, in shop and order id order (the order every writer of
// store_writes rows takes them in).
func (o *Outbox) wantOrderWrites(ctx context.Context) error {
	for _, shopID := range slices.Sorted(maps.Keys(o.orders)) {
		ok, err := o.canWrite(ctx, shopID)
		if err != nil || !ok {
			if err != nil {
				return err
			}
			continue
		}
		shop, err := o.tx.Shop(ctx, shopID)
		if err != nil {
			return err
		}
		writes := orderWrites(shop)
		if writes == nil {
			continue
		}
		for _, orderID := range slices.Sorted(maps.Keys(o.orders[shopID])) {
			if err := wantOrderWrite(ctx, o.tx, o, shop, orderID, *writes); err != nil {
				return err
			}
		}
	}
	o.orders = nil
	return nil
}

// orderWrites are the order writes the shop has on; nil when it has none
// its platform makes.
func orderWrites(shop store.Shop) *storeapi.OrderWrites {
	w := storeapi.OrderWrites{Tag: shop.Writes(store.WriteTag), Hold: shop.Writes(store.WriteHold),
		ETA: shop.Writes(store.WriteETA), Status: shop.Writes(store.WriteStatus), CustomerNote: shop.CustomerNote}
	on := w.ETA || (shop.Platform == store.Shopify && (w.Tag || w.Hold)) || (shop.Platform == store.WooCommerce && w.Status)
	if !on {
		return nil
	}
	return &w
}

// wantOrderWrite records what the store should show of one order: its
// lines with a backorder record (cancelled ones aside), each with its
// waiting units and ETA. An order whose every such line is cancelled gets
// no write.
func wantOrderWrite(ctx context.Context, tx *store.Tx, out *Outbox, shop store.Shop, orderID string, writes storeapi.OrderWrites) error {
	// The order's lines may be changed at once by the reconciles of its
	// items: the one that decides last reads what the others committed.
	if err := tx.LockStoreWrite(ctx, shop.ID, store.StoreWriteOrder, orderID); err != nil {
		return err
	}
	bos, err := tx.OrderBackorders(ctx, shop.ID, orderID)
	if err != nil || len(bos) == 0 {
		return err
	}
	o := storeapi.Order{OrderID: orderID, Name: bos[0].OrderName}
	for _, b := range bos {
		if b.Status == string(backorder.StatusCancelled) {
			continue
		}
		l := storeapi.Line{LineID: b.LineID, ItemID: b.ItemID, SKU: b.SKU, Title: b.Title, Ordered: b.Ordered,
			Waiting: b.Waiting, ETAKind: b.ETAKind}
		if b.ETA != nil && b.Waiting > 0 {
			eta := utcDate(*b.ETA)
			l.ETA = &eta
		}
		if b.Waiting == 0 {
			l.ETAKind = "" // an allocated line's ETA is history: it does not change the note
		}
		o.Lines = append(o.Lines, l)
	}
	if len(o.Lines) == 0 {
		// Cancelled: the store cancelled it (or backorderd did). Writing
		// "nothing waits" would move a WooCommerce order back to
		// processing; what was written stays as the store left it.
		return nil
	}
	return wantStoreWrite(ctx, tx, out, shop.ID, store.StoreWriteOrder, orderID, orderWant{Order: o, Writes: writes})
}

// wantSelling records an item's selling state at its cap: stop selling
// when it reaches the cap, sell again when it drops below. An item the
// store never described (no product to write to) gets none.
func wantSelling(ctx context.Context, tx *store.Tx, out *Outbox, shop store.Shop, itemID string, stop bool) error {
	if !shop.Writes(store.WriteSelling) {
		return nil
	}
	if ok, err := out.canWrite(ctx, shop.ID); err != nil || !ok {
		return err
	}
	it, err := tx.Item(ctx, shop.ID, itemID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && it.ProductID == "") {
		return nil
	}
	if err != nil {
		return err
	}
	return wantStoreWrite(ctx, tx, out, shop.ID, store.StoreWriteSelling, itemID,
		storeapi.Item{ItemID: itemID, ProductID: it.ProductID, StopSelling: stop})
}

// wantStock records units of an item received on a purchase order (receipt
// row receiptID), to add to the store's stock once: the key names the
// receipt and the item.
func wantStock(ctx context.Context, tx *store.Tx, out *Outbox, shop store.Shop, receiptID int64, itemID string, units int) error {
	if !shop.Writes(store.WriteStock) {
		return nil
	}
	if ok, err := out.canWrite(ctx, shop.ID); err != nil || !ok {
		return err
	}
	it, err := tx.Item(ctx, shop.ID, itemID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // an item the store never described has no stock there to add to
	}
	if err != nil {
		return err
	}
	key := "receipt:" + strconv.FormatInt(receiptID, 10) + ":" + itemID
	return wantStoreWrite(ctx, tx, out, shop.ID, store.StoreWriteStock, key, storeapi.Receipt{Key: key, ItemID: itemID,
		ProductID: it.ProductID, StockKey: it.StockKey, Units: units})
}

// wantCancel records an order to cancel (and refund) in the store because
// it waited past the shop's maximum wait; it reports whether it will be,
// which is when the shop asks for it and its store can be written to.
func wantCancel(ctx context.Context, tx *store.Tx, out *Outbox, shop store.Shop, orderID string) (bool, error) {
	if !shop.CancelAfterMaxWait || shop.MaxWaitDays == nil {
		return false, nil
	}
	if ok, err := out.canWrite(ctx, shop.ID); err != nil || !ok {
		return false, err
	}
	c := storeapi.Cancel{Key: "cancel:" + orderID, OrderID: orderID,
		Reason: fmt.Sprintf("backorderd: a line waited longer than the shop's maximum wait of %d days", *shop.MaxWaitDays)}
	return true, wantStoreWrite(ctx, tx, out, shop.ID, store.StoreWriteCancel, orderID, c)
}

// resolveWant is the wanted state of a resolve write: the inventory item
// to look up.
type resolveWant struct {
	StockKey string `json:"stock_key"`
}

// wantResolves records a lookup of each inventory item the levels name
// that no item maps (its products/update never came): the product found
// is recorded in the inbox, so it maps through the usual path.
func wantResolves(ctx context.Context, tx *store.Tx, out *Outbox, shop store.Shop, levels []backorder.StockLevel) error {
	if len(levels) == 0 {
		return nil
	}
	if ok, err := out.canWrite(ctx, shop.ID); err != nil || !ok {
		return err
	}
	keys := make([]string, 0, len(levels))
	for _, l := range levels {
		if l.StockKey != "" {
			keys = append(keys, l.StockKey)
		}
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	mapped, err := tx.MappedStockKeys(ctx, shop.ID, keys)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if slices.Contains(mapped, k) {
			continue
		}
		if err := wantStoreWrite(ctx, tx, out, shop.ID, store.StoreWriteResolve, k, resolveWant{StockKey: k}); err != nil {
			return err
		}
	}
	return nil
}
