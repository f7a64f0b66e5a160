package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/integrations/storeapi"
	"github.com/backorderd/backorderd/store"
)

// The triggers of the store writes: each records, in the transaction that
// changed the facts, what the shop's store should show (wantStoreWrite),
// for shops with credentials and only the writes the shop has on.

// touchOrders notes that the transaction changed the backorder lines or
// ETAs of the shop's orders. What the store should show of them is decided
// after the transaction, by a store:orders task (wantOrderWrites adds it):
// deciding it here would read and write a row per order inside the
// reconcile — a restock allocating 100,000 lines would hold its item for
// all of them — and two items' reconciles that change the same order would
// each read the other's lines as they were.
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

// TypeStoreOrders decides what the store should show of some of a shop's
// orders (after the transaction that changed them), and queues the writes
// of those that changed.
const TypeStoreOrders = "store:orders"

// storeOrdersChunk is how many orders one store:orders task decides, in
// one transaction.
const storeOrdersChunk = 500

// StoreOrdersArgs name the orders of a shop to decide.
type StoreOrdersArgs struct {
	ShopID   int64    `json:"shop_id"`
	OrderIDs []string `json:"order_ids"`
}

// wantOrderWrites adds, for the orders the transaction touched in shops
// whose store may be written to, the store:orders tasks that decide them
// once it has committed.
func (o *Outbox) wantOrderWrites(ctx context.Context) error {
	for _, shopID := range slices.Sorted(maps.Keys(o.orders)) {
		ok, err := o.canWrite(ctx, shopID)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		ids := slices.Sorted(maps.Keys(o.orders[shopID]))
		for chunk := range slices.Chunk(ids, storeOrdersChunk) {
			if _, err := o.Add(ctx, TypeStoreOrders, QueueStore, StoreOrdersArgs{ShopID: shopID, OrderIDs: chunk}, time.Time{}); err != nil {
				return err
			}
		}
	}
	o.orders = nil
	return nil
}

// StoreOrdersHandler is the handler of TypeStoreOrders: it records the
// state wanted of each order it names, as committed now, in order id order
// (the order every writer of store_writes rows takes them in), and queues
// the writes of the states that changed.
func (d *Dispatcher) StoreOrdersHandler(st TxStore) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		id, err := decodeRow(t)
		if err != nil {
			return err
		}
		err = d.InTx(ctx, st, func(tx *store.Tx, out *Outbox) error {
			row, err := tx.ClaimOutbox(ctx, id)
			if err != nil || row.Status == store.OutboxDone {
				return err
			}
			var args StoreOrdersArgs
			if err := json.Unmarshal(row.Payload, &args); err != nil || args.ShopID == 0 {
				return fmt.Errorf("decode store orders args %q: %w", row.Payload, asynq.SkipRetry)
			}
			if err := decideOrderWrites(ctx, tx, out, args); err != nil {
				return err
			}
			return tx.FinishOutbox(ctx, id)
		})
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("outbox row %d is gone: %w", id, asynq.SkipRetry)
		}
		return err
	})
}

// decideOrderWrites records the state wanted of each order of args, for a
// shop that may be written to and has order writes on.
func decideOrderWrites(ctx context.Context, tx *store.Tx, out *Outbox, args StoreOrdersArgs) error {
	if ok, err := out.canWrite(ctx, args.ShopID); err != nil || !ok {
		return err
	}
	shop, err := tx.Shop(ctx, args.ShopID)
	if err != nil {
		return err
	}
	writes := orderWrites(shop)
	if writes == nil {
		return nil
	}
	for _, orderID := range slices.Sorted(slices.Values(args.OrderIDs)) {
		if err := wantOrderWrite(ctx, tx, out, shop, orderID, *writes); err != nil {
			return err
		}
	}
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
	bos, err := tx.OrderBackorders(ctx, shop.ID, orderID)
	if err != nil || len(bos) == 0 {
		return err
	}
	o := storeapi.Order{OrderID: orderID, Name: bos[0].OrderName}
	var withdrawn []storeapi.Line // lines whose wait an operator cancelled: nothing of them waits
	for _, b := range bos {
		l := storeapi.Line{LineID: b.LineID, ItemID: b.ItemID, SKU: b.SKU, Title: b.Title, Ordered: b.Ordered,
			Waiting: b.Waiting, ETAKind: b.ETAKind}
		if b.ETA != nil && b.Waiting > 0 {
			eta := utcDate(*b.ETA)
			l.ETA = &eta
		}
		if b.Waiting == 0 {
			l.ETAKind = "" // an allocated line's ETA is history: it does not change the note
		}
		switch {
		case b.Status == string(backorder.StatusCancelled) && b.WithdrawnAt != nil:
			withdrawn = append(withdrawn, l)
		case b.Status != string(backorder.StatusCancelled):
			o.Lines = append(o.Lines, l)
		}
	}
	if len(o.Lines) == 0 && len(withdrawn) > 0 {
		// Only lines an operator cancelled: the order still shipping the
		// rest is shown with nothing waiting (its hold released); one with
		// nothing left is cancelled in the store (cancelInStore).
		left, err := tx.OrderUnitsToShip(ctx, shop.ID, orderID)
		if err != nil || left == 0 {
			return err
		}
	}
	o.Lines = append(o.Lines, withdrawn...)
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
