package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/email"
	"github.com/backorderd/backorderd/store"
)

// TypeReorderItem reorders one item right after a reconcile raised its
// waiting units, for a shop that reorders immediately.
const TypeReorderItem = "supply:reorder-item"

// TypeSupply is the periodic supply run (RunSupply).
const TypeSupply = "periodic:supply"

// ReorderItemArgs name the item to reorder.
type ReorderItemArgs struct {
	ShopID  int64    `json:"shop_id"`
	ItemID  string   `json:"item_id"`
	Subject *Subject `json:"subject,omitempty"` // for people: handlers ignore it
}

func (a ReorderItemArgs) subject() *Subject { return a.Subject }

// activeShops lists the shops the supply run works for.
func (p *Purchasing) activeShops(ctx context.Context) ([]store.Shop, error) {
	var shops []store.Shop
	err := p.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		shops, err = tx.ActiveShops(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list shops: %w", err)
	}
	return shops, nil
}

// RunSupply is the periodic supply run: it reorders the items of every
// active shop, each shop as of its own calendar day at `today` (an
// instant: the period's end), then tells of what is late: overdue
// purchase orders (lateSupply) and orders past the maximum wait
// (pastMaxWait).
func (p *Purchasing) RunSupply(ctx context.Context, today time.Time) error {
	shops, err := p.activeShops(ctx)
	if err != nil {
		return fmt.Errorf("run supply: %w", err)
	}
	for _, shop := range shops {
		err := p.dispatcher.InTx(ctx, p.store, func(tx *store.Tx, out *Outbox) error {
			return p.reorder(ctx, tx, out, shop, nil, today)
		})
		if err != nil {
			return fmt.Errorf("reorder shop %d: %w", shop.ID, err)
		}
	}
	if err := p.lateSupply(ctx, today); err != nil {
		return err
	}
	return p.pastMaxWait(ctx, today)
}

// ReorderItems reorders some items of a shop now.
func (p *Purchasing) ReorderItems(ctx context.Context, shopID int64, itemIDs []string) error {
	return p.dispatcher.InTx(ctx, p.store, func(tx *store.Tx, out *Outbox) error {
		shop, err := tx.Shop(ctx, shopID)
		if err != nil {
			return err
		}
		return p.reorder(ctx, tx, out, shop, itemIDs, p.now())
	})
}

// ReorderItemHandler is the asynq handler of TypeReorderItem.
func (p *Purchasing) ReorderItemHandler() asynq.Handler {
	return p.dispatcher.OutboxHandler(p.store, func(ctx context.Context, tx *store.Tx, out *Outbox, task store.OutboxTask) error {
		var args ReorderItemArgs
		if err := json.Unmarshal(task.Payload, &args); err != nil || args.ShopID == 0 || args.ItemID == "" {
			return fmt.Errorf("decode reorder args %q: %w", task.Payload, asynq.SkipRetry)
		}
		shop, err := tx.Shop(ctx, args.ShopID)
		if err != nil || shop.Status != store.ShopActive {
			return err
		}
		return p.reorder(ctx, tx, out, shop, []string{args.ItemID}, p.now())
	})
}

// SupplyHandler is the asynq handler of TypeSupply: the run of its period.
func (p *Purchasing) SupplyHandler() asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		return p.RunSupply(ctx, periodOf(t, p.now()))
	})
}

// reorderLine is what one item is ordered of one supplier.
type reorderLine struct {
	candidate store.ReorderCandidate
	terms     store.ItemSupplier
	quantity  int
}

// reorder orders, for each of the shop's items with terms (those of
// itemIDs; nil: all), its shortfall from the first supplier whose last
// order of it was not cancelled, on that supplier's open draft; an item
// with customers waiting and no such supplier has its merchant told, once
// a day. A shop with automatic approval sends the drafts it added to.
//
// The drafts are locked (in supplier id order) before the quantities are
// read again: two reorders of an item at once take turns on its draft,
// and the second finds the first's units on order.
func (p *Purchasing) reorder(ctx context.Context, tx *store.Tx, out *Outbox, shop store.Shop, itemIDs []string, at time.Time) error {
	cs, err := tx.ReorderCandidates(ctx, shop.ID, itemIDs)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if _, ok := supplierOf(c); !ok {
			if err := supplyNeeded(ctx, tx, out, shop, c, shopDay(shop, at)); err != nil {
				return err
			}
		}
	}
	planned := plan(cs)
	if len(planned) == 0 {
		return nil
	}
	suppliers := slices.Sorted(maps.Keys(planned))
	drafts := make(map[int64]store.PurchaseOrder, len(suppliers))
	var items []string
	for _, id := range suppliers {
		sp, err := tx.Supplier(ctx, id)
		if err != nil {
			return err
		}
		if drafts[id], err = tx.DraftPO(ctx, shop.ID, id, sp.Currency); err != nil {
			return err
		}
		for _, l := range planned[id] {
			items = append(items, l.candidate.ItemID)
		}
	}
	if cs, err = tx.ReorderCandidates(ctx, shop.ID, items); err != nil {
		return err
	}
	planned = plan(cs)
	var sent []store.POLine
	for _, id := range suppliers {
		lines, err := p.order(ctx, tx, out, shop, drafts[id], planned[id])
		if err != nil {
			return err
		}
		sent = append(sent, lines...)
	}
	// After every draft: the ledgers are taken in item id order.
	if len(sent) == 0 {
		return nil
	}
	return p.recomputeItems(ctx, tx, out, shop.ID, sent, nil)
}

// plan is what to order of each supplier: per item, the reorder quantity
// on the terms of the supplier it is reordered from.
func plan(cs []store.ReorderCandidate) map[int64][]reorderLine {
	bySupplier := map[int64][]reorderLine{}
	for _, c := range cs {
		terms, ok := supplierOf(c)
		if !ok {
			continue
		}
		q := backorder.ReorderQuantity(c.Waiting, c.OnOrder, backorder.Terms{MOQ: terms.MOQ, PackSize: terms.PackSize, SafetyStock: terms.SafetyStock})
		if q > 0 {
			bySupplier[terms.SupplierID] = append(bySupplier[terms.SupplierID], reorderLine{candidate: c, terms: terms, quantity: q})
		}
	}
	return bySupplier
}

// order adds lines to a locked draft and, when the shop approves
// automatically, sends it: then it returns the lines sent, whose items'
// ETAs the caller recomputes.
func (p *Purchasing) order(ctx context.Context, tx *store.Tx, out *Outbox, shop store.Shop, draft store.PurchaseOrder, lines []reorderLine) ([]store.POLine, error) {
	for _, l := range lines {
		c := l.candidate
		pl := store.POLine{ItemID: c.ItemID, SKU: c.SKU, Title: c.Title, SupplierSKU: l.terms.SupplierSKU,
			Quantity: l.quantity, UnitCost: l.terms.UnitCost}
		if err := tx.AddToPOLine(ctx, draft.ID, pl); err != nil {
			return nil, err
		}
	}
	if shop.POApproval != store.POApprovalAuto {
		return nil, nil
	}
	_, all, err := tx.LockPO(ctx, draft.ID)
	if err != nil || len(all) == 0 {
		return nil, err
	}
	return all, p.send(ctx, tx, out, &draft)
}

// supplierOf is the terms an item is reordered on: the first (the
// preferred supplier's, then the alternates') whose supplier's last order
// of the item was not cancelled.
func supplierOf(c store.ReorderCandidate) (store.ItemSupplier, bool) {
	for _, t := range c.Terms {
		if !c.CancelledSuppliers[t.SupplierID] {
			return t, true
		}
	}
	return store.ItemSupplier{}, false
}

// supplyNeeded tells the merchant an item that customers wait for cannot
// be reordered, once per item and shop day.
func supplyNeeded(ctx context.Context, tx *store.Tx, out *Outbox, shop store.Shop, c store.ReorderCandidate, today time.Time) error {
	if c.Waiting <= 0 || shop.MerchantEmail == "" {
		return nil
	}
	reason := email.ReasonNoAlternate
	if len(c.Terms) == 0 {
		reason = email.ReasonNoSupplier
	}
	data := email.Merchant{Shop: emailShop(shop), Waiting: c.Waiting, Reason: reason,
		Items: []email.ItemCount{{SKU: c.SKU, Title: c.Title, Units: c.Waiting}}}
	key := "supply-needed:item:" + c.ItemID + ":" + today.Format(time.DateOnly)
	_, _, err := writeEmail(ctx, tx, out, shop, email.MerchantSupplyNeeded, key, recipient{email: shop.MerchantEmail, name: shop.Name}, data)
	return err
}

// reorderAfterReconcile schedules an item's immediate reorder when its
// shop reorders immediately and the reconcile raised its waiting units.
func reorderAfterReconcile(ctx context.Context, out *Outbox, shop store.Shop, led store.LedgerRow, waiting int) error {
	if shop.Reorder != store.ReorderImmediate || waiting <= led.Waiting {
		return nil
	}
	_, err := out.Add(ctx, TypeReorderItem, QueueDefault, ReorderItemArgs{ShopID: shop.ID, ItemID: led.ItemID,
		Subject: (&Subject{Shop: shop.Domain, shopID: shop.ID}).withItem(led.ItemID)}, time.Time{})
	return err
}
