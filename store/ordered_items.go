package store

import (
	"context"
	"fmt"
)

// Items exist in the items table only once a product or inventory delivery
// described them; an item that so far only orders name is known from its
// order lines. The admin API looks items up in both.

// OrderedItemsByID finds the items with itemID that order lines name but no
// product or inventory delivery has described (shopID 0: in any shop), each
// with the product, SKU and title its lines give.
func (s *Store) OrderedItemsByID(ctx context.Context, shopID int64, itemID string) ([]ItemRecord, error) {
	return s.orderedItems(ctx, `l.item_id = ?`, shopID, itemID)
}

// OrderedItemsBySKU is OrderedItemsByID for the items order lines label sku.
func (s *Store) OrderedItemsBySKU(ctx context.Context, shopID int64, sku string) ([]ItemRecord, error) {
	return s.orderedItems(ctx, `l.sku = ?`, shopID, sku)
}

func (s *Store) orderedItems(ctx context.Context, match string, shopID int64, value string) ([]ItemRecord, error) {
	q := `SELECT l.shop_id, l.item_id, MAX(l.product_id) AS product_id, MAX(l.sku) AS sku, MAX(l.title) AS title
	FROM order_lines l
	WHERE (? = 0 OR l.shop_id = ?) AND ` + match + `
		AND NOT EXISTS (SELECT 1 FROM items i WHERE i.shop_id = l.shop_id AND i.item_id = l.item_id)
	GROUP BY l.shop_id, l.item_id
	ORDER BY l.shop_id, l.item_id`
	var its []ItemRecord
	if err := s.db.SelectContext(ctx, &its, s.db.Rebind(q), shopID, shopID, value); err != nil {
		return nil, fmt.Errorf("find ordered items: %w", translate(err))
	}
	return its, nil
}
