package store

import (
	"context"
	"fmt"
	"time"
)

// ItemSupplier is a shop's terms for an item from a supplier. One supplier
// per item is preferred; the others are alternates.
type ItemSupplier struct {
	ShopID      int64  `db:"shop_id"`
	ItemID      string `db:"item_id"`
	SupplierID  int64  `db:"supplier_id"`
	SupplierSKU string `db:"supplier_sku"`
	// UnitCost is a decimal string ("12.50") in the supplier's currency.
	UnitCost string `db:"unit_cost"`
	MOQ      int    `db:"moq"`
	PackSize int    `db:"pack_size"`
	// LeadTimeDays is nil when the supplier's own lead time applies.
	LeadTimeDays *int      `db:"lead_time_days"`
	SafetyStock  int       `db:"safety_stock"`
	Preferred    bool      `db:"preferred"`
	UpdatedAt    time.Time `db:"updated_at"`
}

const itemSupplierColumns = `t.shop_id, t.item_id, t.supplier_id, t.supplier_sku, t.unit_cost, t.moq, t.pack_size,
	t.lead_time_days, t.safety_stock, t.preferred, t.updated_at`

// termsOrder lists an item's terms in the order reordering tries them: the
// preferred supplier, then alternates by lead time (the terms', else the
// supplier's), then supplier id.
const termsOrder = `t.preferred DESC, COALESCE(t.lead_time_days, s.lead_time_days), t.supplier_id`

// SetItemSupplier writes an item's terms from a supplier (pack size 1 and
// unit cost "0" when not given); making them preferred makes the item's
// other terms alternates. ErrNotFound when the supplier does not exist.
func (s *Store) SetItemSupplier(ctx context.Context, is ItemSupplier) (ItemSupplier, error) {
	err := s.InTx(ctx, func(tx *Tx) error {
		var err error
		is, err = tx.SetItemSupplier(ctx, is)
		return err
	})
	return is, err
}

// SetItemSupplier is Store.SetItemSupplier inside the transaction.
func (tx *Tx) SetItemSupplier(ctx context.Context, is ItemSupplier) (ItemSupplier, error) {
	const exists = `SELECT id FROM suppliers WHERE id = ?`
	const demote = `UPDATE item_suppliers SET preferred = FALSE, updated_at = ?
	WHERE shop_id = ? AND item_id = ? AND supplier_id <> ? AND preferred`
	const q = `INSERT INTO item_suppliers (shop_id, item_id, supplier_id, supplier_sku, unit_cost, moq, pack_size,
		lead_time_days, safety_stock, preferred, updated_at)
	VALUES (:shop_id, :item_id, :supplier_id, :supplier_sku, :unit_cost, :moq, :pack_size,
		:lead_time_days, :safety_stock, :preferred, :updated_at)
	ON CONFLICT (shop_id, item_id, supplier_id) DO UPDATE SET supplier_sku = excluded.supplier_sku,
		unit_cost = excluded.unit_cost, moq = excluded.moq, pack_size = excluded.pack_size,
		lead_time_days = excluded.lead_time_days, safety_stock = excluded.safety_stock,
		preferred = excluded.preferred, updated_at = excluded.updated_at`
	var id int64
	if err := tx.tx.GetContext(ctx, &id, tx.tx.Rebind(exists), is.SupplierID); err != nil {
		return ItemSupplier{}, fmt.Errorf("terms of item %s: supplier %d: %w", is.ItemID, is.SupplierID, translate(err))
	}
	if is.UnitCost == "" {
		is.UnitCost = "0"
	}
	if is.PackSize == 0 {
		is.PackSize = 1
	}
	is.UpdatedAt = tx.store.nowUTC()
	if is.Preferred {
		if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(demote), is.UpdatedAt, is.ShopID, is.ItemID, is.SupplierID); err != nil {
			return ItemSupplier{}, fmt.Errorf("demote preferred supplier of %s: %w", is.ItemID, translate(err))
		}
	}
	if _, err := tx.tx.NamedExecContext(ctx, q, is); err != nil {
		return ItemSupplier{}, fmt.Errorf("set terms of item %s from supplier %d: %w", is.ItemID, is.SupplierID, translate(err))
	}
	return is, nil
}

// ImportItemSuppliers writes each of the terms as SetItemSupplier does, in
// the order given: of a file's rows that make two suppliers of an item
// preferred, the later wins.
func (tx *Tx) ImportItemSuppliers(ctx context.Context, iss []ItemSupplier) ([]ItemSupplier, error) {
	out := make([]ItemSupplier, len(iss))
	for i, is := range iss {
		var err error
		if out[i], err = tx.SetItemSupplier(ctx, is); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// DeleteItemSupplier removes an item's terms from a supplier; ErrNotFound
// when there are none.
func (s *Store) DeleteItemSupplier(ctx context.Context, shopID int64, itemID string, supplierID int64) error {
	const q = `DELETE FROM item_suppliers WHERE shop_id = ? AND item_id = ? AND supplier_id = ?`
	res, err := s.db.ExecContext(ctx, s.db.Rebind(q), shopID, itemID, supplierID)
	if err != nil {
		return fmt.Errorf("delete terms of item %s from supplier %d: %w", itemID, supplierID, translate(err))
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return fmt.Errorf("delete terms of item %s from supplier %d: %w", itemID, supplierID, ErrNotFound)
	}
	return nil
}

const itemSuppliersQuery = `SELECT ` + itemSupplierColumns + `
FROM item_suppliers t JOIN suppliers s ON s.id = t.supplier_id
WHERE t.shop_id = ? AND t.item_id = ?
ORDER BY ` + termsOrder

// ItemSuppliers lists an item's terms, the preferred supplier's first,
// then the alternates in the order reordering tries them.
func (s *Store) ItemSuppliers(ctx context.Context, shopID int64, itemID string) ([]ItemSupplier, error) {
	var iss []ItemSupplier
	if err := s.db.SelectContext(ctx, &iss, s.db.Rebind(itemSuppliersQuery), shopID, itemID); err != nil {
		return nil, fmt.Errorf("terms of item %s: %w", itemID, translate(err))
	}
	return iss, nil
}

// ItemSuppliers is Store.ItemSuppliers inside the transaction.
func (tx *Tx) ItemSuppliers(ctx context.Context, shopID int64, itemID string) ([]ItemSupplier, error) {
	var iss []ItemSupplier
	if err := tx.tx.SelectContext(ctx, &iss, tx.tx.Rebind(itemSuppliersQuery), shopID, itemID); err != nil {
		return nil, fmt.Errorf("terms of item %s: %w", itemID, translate(err))
	}
	return iss, nil
}

// ReorderCandidate is an item with terms, as reordering needs it: the
// units its customers wait for (as its last reconcile found), the units
// still to come on its open purchase orders (draft, sent, confirmed,
// partially received) and those received since that reconcile — in hand,
// about to serve the waiting units, so not to be ordered again — and its
// terms.
type ReorderCandidate struct {
	ShopID  int64
	ItemID  string
	SKU     string
	Title   string
	Waiting int
	OnOrder int
	// Terms are all of the item's, the preferred supplier's first, then
	// the alternates in the order to try them (lead time, supplier id).
	Terms []ItemSupplier
	// CancelledSuppliers are the suppliers whose newest line for the item
	// is in a cancelled purchase order.
	CancelledSuppliers map[int64]bool
}

// ReorderCandidates reads, for every item of the shop with terms (or
// those of itemIDs, when not nil), what reordering needs, in item id
// order: five queries, however many items.
func (tx *Tx) ReorderCandidates(ctx context.Context, shopID int64, itemIDs []string) ([]ReorderCandidate, error) {
	const items = `SELECT t.item_id,
		COALESCE(NULLIF(i.sku, ''), (SELECT MAX(l.sku) FROM order_lines l WHERE l.shop_id = :shop_id AND l.item_id = t.item_id), '') AS sku,
		COALESCE(NULLIF(i.title, ''), (SELECT MAX(l.title) FROM order_lines l WHERE l.shop_id = :shop_id AND l.item_id = t.item_id), '') AS title,
		COALESCE(g.waiting, 0) AS waiting
	FROM (SELECT DISTINCT item_id FROM item_suppliers
		WHERE shop_id = :shop_id AND (:all OR item_id IN (:item_ids))) t
	LEFT JOIN items i ON i.shop_id = :shop_id AND i.item_id = t.item_id
	LEFT JOIN item_ledgers g ON g.shop_id = :shop_id AND g.item_id = t.item_id
	ORDER BY t.item_id`
	// Apart from the items: SQLite would scan the aggregate once per item.
	const onOrder = `SELECT l.item_id, SUM(CASE WHEN l.quantity > l.received THEN l.quantity - l.received ELSE 0 END) AS on_order
	FROM purchase_order_lines l JOIN purchase_orders p ON p.id = l.po_id
	WHERE l.shop_id = :shop_id AND (:all OR l.item_id IN (:item_ids))
		AND p.status IN ('draft', 'sent', 'confirmed', 'partially_received')
	GROUP BY l.item_id`
	// Received after the item's last reconcile (or before any): no
	// reconcile has taken them off its waiting units yet.
	const inHand = `SELECT r.item_id, SUM(r.quantity) AS on_order
	FROM receipt_lines r LEFT JOIN item_ledgers g ON g.shop_id = r.shop_id AND g.item_id = r.item_id
	WHERE r.shop_id = :shop_id AND (:all OR r.item_id IN (:item_ids))
		AND (g.reconciled_at IS NULL OR r.received_at > g.reconciled_at)
	GROUP BY r.item_id`
	const terms = `SELECT ` + itemSupplierColumns + `
	FROM item_suppliers t JOIN suppliers s ON s.id = t.supplier_id
	WHERE t.shop_id = :shop_id AND (:all OR t.item_id IN (:item_ids))
	ORDER BY t.item_id, ` + termsOrder
	// A supplier's newest line for an item is its highest id: lines are
	// only ever added to the newest draft.
	const cancelled = `SELECT l.item_id, p.supplier_id
	FROM purchase_order_lines l JOIN purchase_orders p ON p.id = l.po_id
	WHERE p.status = 'cancelled' AND l.id IN (
		SELECT MAX(l2.id) FROM purchase_order_lines l2 JOIN purchase_orders p2 ON p2.id = l2.po_id
		WHERE l2.shop_id = :shop_id AND (:all OR l2.item_id IN (:item_ids))
		GROUP BY l2.item_id, p2.supplier_id)`
	if itemIDs != nil && len(itemIDs) == 0 {
		return nil, nil
	}
	arg := map[string]any{"shop_id": shopID, "all": itemIDs == nil, "item_ids": itemIDs}
	if itemIDs == nil {
		arg["item_ids"] = []string{""} // IN needs one value; :all makes it moot
	}
	var rows []struct {
		ItemID  string `db:"item_id"`
		SKU     string `db:"sku"`
		Title   string `db:"title"`
		Waiting int    `db:"waiting"`
	}
	if err := tx.selectNamed(ctx, &rows, items, arg); err != nil {
		return nil, fmt.Errorf("reorder candidates: %w", err)
	}
	var oo []struct {
		ItemID  string `db:"item_id"`
		OnOrder int    `db:"on_order"`
	}
	if err := tx.selectNamed(ctx, &oo, onOrder, arg); err != nil {
		return nil, fmt.Errorf("units on order of reorder candidates: %w", err)
	}
	var received []struct {
		ItemID  string `db:"item_id"`
		OnOrder int    `db:"on_order"`
	}
	if err := tx.selectNamed(ctx, &received, inHand, arg); err != nil {
		return nil, fmt.Errorf("units received of reorder candidates: %w", err)
	}
	oo = append(oo, received...)
	var iss []ItemSupplier
	if err := tx.selectNamed(ctx, &iss, terms, arg); err != nil {
		return nil, fmt.Errorf("terms of reorder candidates: %w", err)
	}
	var cs []struct {
		ItemID     string `db:"item_id"`
		SupplierID int64  `db:"supplier_id"`
	}
	if err := tx.selectNamed(ctx, &cs, cancelled, arg); err != nil {
		return nil, fmt.Errorf("cancelled suppliers of reorder candidates: %w", err)
	}
	out := make([]ReorderCandidate, len(rows))
	at := make(map[string]*ReorderCandidate, len(rows))
	for i, r := range rows {
		out[i] = ReorderCandidate{ShopID: shopID, ItemID: r.ItemID, SKU: r.SKU, Title: r.Title, Waiting: r.Waiting,
			CancelledSuppliers: map[int64]bool{}}
		at[r.ItemID] = &out[i]
	}
	for _, o := range oo {
		if c := at[o.ItemID]; c != nil {
			c.OnOrder += o.OnOrder
		}
	}
	for _, is := range iss {
		if c := at[is.ItemID]; c != nil {
			c.Terms = append(c.Terms, is)
		}
	}
	for _, c := range cs {
		if rc := at[c.ItemID]; rc != nil {
			rc.CancelledSuppliers[c.SupplierID] = true
		}
	}
	return out, nil
}
