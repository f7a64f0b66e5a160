package jobs

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/store"
)

// applyFacts writes the facts of the deliveries applied together, each
// only if it is newer than what is applied, and marks stale the deliveries
// some of whose facts were. It returns the items whose ledger the facts
// may move and the delivery that caused the marks: the newest with facts.
func applyFacts(ctx context.Context, tx *store.Tx, out *Outbox, shop store.Shop, ds []decoded) (items []string, cause int64, err error) {
	var fs []backorder.Facts
	var of []int // the decoded delivery of each of fs
	for i, d := range ds {
		if d.outcome == outcomeProcessed {
			fs = append(fs, d.facts)
			of = append(of, i)
			cause = max(cause, d.row.ID)
		}
	}
	if len(fs) == 0 {
		return nil, 0, nil
	}
	m := mergeFacts(fs)
	// The items of the orders' lines as stored: a line the new state no
	// longer has frees its item's units too.
	before, err := storedItems(ctx, tx, shop.ID, m.Facts)
	if err != nil {
		return nil, 0, err
	}
	stale, err := writeFacts(ctx, tx, shop.ID, m)
	if err != nil {
		return nil, 0, err
	}
	// Stock of an inventory item no item maps is looked up in the store.
	if err := wantResolves(ctx, tx, out, shop, m.Levels); err != nil {
		return nil, 0, err
	}
	items, err = touchedItems(ctx, tx, shop.ID, m.Facts, before)
	if err != nil {
		return nil, 0, err
	}
	// The levels last of the facts: every batch of a sale reports the
	// levels of the same items, so these rows are held, like the ledger
	// rows after them, until the commit.
	if err := writeLevels(ctx, tx, shop.ID, m, stale); err != nil {
		return nil, 0, err
	}
	for i, n := range stale {
		if n > 0 {
			d := &ds[of[i]]
			d.outcome, d.reason = outcomeStale, fmt.Sprintf("stale: a newer state was already applied (%d of its facts)", n)
		}
	}
	// Only a delivery applied alone uninstalls or asks for privacy
	// (batchable).
	if m.Uninstalled {
		if err := tx.UninstallShop(ctx, shop.ID); err != nil {
			return nil, 0, err
		}
	}
	if m.Privacy != nil {
		if err := carryOutPrivacy(ctx, tx, out, shop, ds[of[0]].row.ID, *m.Privacy); err != nil {
			return nil, 0, err
		}
	}
	return items, cause, nil
}

// batchFacts are the facts of deliveries applied together, each kind in
// lock order across them, with the delivery each versioned fact came from.
type batchFacts struct {
	backorder.Facts
	orderFrom, itemFrom, levelFrom []int
	deliveries                     int
}

// mergeFacts puts the facts of fs together in lock order (see
// inLockOrder); facts of the same row keep the order of fs.
func mergeFacts(fs []backorder.Facts) batchFacts {
	var all backorder.Facts
	m := batchFacts{deliveries: len(fs)}
	type tagged[T any] struct {
		fact T
		from int
	}
	var orders []tagged[backorder.Order]
	var items []tagged[backorder.Item]
	var levels []tagged[backorder.StockLevel]
	for i, f := range fs {
		for _, o := range f.Orders {
			orders = append(orders, tagged[backorder.Order]{o, i})
		}
		for _, it := range f.Items {
			items = append(items, tagged[backorder.Item]{it, i})
		}
		for _, l := range f.Levels {
			levels = append(levels, tagged[backorder.StockLevel]{l, i})
		}
		all.DeletedOrders = append(all.DeletedOrders, f.DeletedOrders...)
		all.Refunds = append(all.Refunds, f.Refunds...)
		all.DeletedItems = append(all.DeletedItems, f.DeletedItems...)
		all.Privacy = cmp.Or(all.Privacy, f.Privacy)
		all.Uninstalled = all.Uninstalled || f.Uninstalled
	}
	slices.SortStableFunc(orders, func(a, b tagged[backorder.Order]) int { return cmp.Compare(a.fact.OrderID, b.fact.OrderID) })
	slices.SortStableFunc(items, func(a, b tagged[backorder.Item]) int { return cmp.Compare(a.fact.ItemID, b.fact.ItemID) })
	slices.SortStableFunc(levels, func(a, b tagged[backorder.StockLevel]) int {
		return cmp.Or(cmp.Compare(a.fact.StockKey, b.fact.StockKey), cmp.Compare(a.fact.LocationID, b.fact.LocationID))
	})
	m.Facts = inLockOrder(all)
	for _, o := range orders {
		m.Orders, m.orderFrom = append(m.Orders, o.fact), append(m.orderFrom, o.from)
	}
	for _, it := range items {
		m.Items, m.itemFrom = append(m.Items, it.fact), append(m.itemFrom, it.from)
	}
	for _, l := range levels {
		m.Levels, m.levelFrom = append(m.Levels, l.fact), append(m.levelFrom, l.from)
	}
	return m
}

// storedItems are the items of the stored lines of the orders the facts
// change, read before the facts are applied.
func storedItems(ctx context.Context, tx *store.Tx, shopID int64, f backorder.Facts) ([]string, error) {
	orders := slices.Clone(f.DeletedOrders)
	for _, o := range f.Orders {
		orders = append(orders, o.OrderID)
	}
	for _, r := range f.Refunds {
		orders = append(orders, r.OrderID)
	}
	slices.Sort(orders)
	return tx.ItemsOfOrders(ctx, shopID, slices.Compact(orders))
}

// touchedItems are the items whose ledger a delivery's facts may move:
// before, the items of the orders' lines as they were, and the items the
// applied facts name.
func touchedItems(ctx context.Context, tx *store.Tx, shopID int64, f backorder.Facts, before []string) ([]string, error) {
	items := slices.Clone(before)
	for _, o := range f.Orders {
		for _, l := range o.Lines {
			items = append(items, l.ItemID)
		}
	}
	for _, it := range f.Items {
		items = append(items, it.ItemID)
	}
	items = append(items, f.DeletedItems...)
	keys := make([]string, 0, len(f.Levels))
	for _, l := range f.Levels {
		keys = append(keys, l.StockKey)
	}
	ids, err := tx.ItemsByStockKeys(ctx, shopID, keys)
	if err != nil {
		return nil, err
	}
	items = append(items, ids...)
	items = slices.DeleteFunc(items, func(id string) bool { return id == "" })
	slices.Sort(items)
	return slices.Compact(items), nil
}

// writeFacts writes the facts but the levels (writeLevels), each only if
// it is newer than what is applied, and returns how many of each
// delivery's were stale. Order edits
// are not written: Shopify follows each with an orders/updated delivery
// carrying the new quantities, which is the state applied.
func writeFacts(ctx context.Context, tx *store.Tx, shopID int64, f batchFacts) (stale []int, err error) {
	stale = make([]int, f.deliveries)
	count := func(from int, applied bool, err error) error {
		if err == nil && !applied {
			stale[from]++
		}
		return err
	}
	for i, o := range f.Orders {
		applied, err := tx.ApplyOrder(ctx, shopID, o)
		if err := count(f.orderFrom[i], applied, err); err != nil {
			return nil, err
		}
	}
	for _, id := range f.DeletedOrders {
		if err := tx.DeleteOrder(ctx, shopID, id); err != nil {
			return nil, err
		}
	}
	for _, r := range f.Refunds {
		if err := tx.ApplyRefund(ctx, shopID, r); err != nil {
			return nil, err
		}
	}
	for i, it := range f.Items {
		applied, err := tx.ApplyItem(ctx, shopID, it)
		if err := count(f.itemFrom[i], applied, err); err != nil {
			return nil, err
		}
	}
	for _, id := range f.DeletedItems {
		if err := tx.DeleteItem(ctx, shopID, id); err != nil {
			return nil, err
		}
	}
	return stale, nil
}

// writeLevels writes the newest of the batch's reports of each stock level,
// if it is newer than the one applied, and counts the others stale: a
// newer state of theirs is in the batch.
func writeLevels(ctx context.Context, tx *store.Tx, shopID int64, f batchFacts, stale []int) error {
	for i := 0; i < len(f.Levels); {
		newest, j := i, i+1
		for ; j < len(f.Levels) && f.Levels[j].StockKey == f.Levels[i].StockKey && f.Levels[j].LocationID == f.Levels[i].LocationID; j++ {
			if f.Levels[j].Version.After(f.Levels[newest].Version) {
				newest = j
			}
		}
		for k := i; k < j; k++ {
			if k != newest {
				stale[f.levelFrom[k]]++
			}
		}
		applied, err := tx.ApplyLevel(ctx, shopID, f.Levels[newest])
		if err != nil {
			return err
		}
		if !applied {
			stale[f.levelFrom[newest]]++
		}
		i = j
	}
	return nil
}
