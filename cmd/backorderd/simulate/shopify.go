package simulate

import (
	"encoding/json"
	"fmt"
	"time"
)

// Shopify's payloads, with the fields of its REST webhook bodies (API
// 2025-10) that a store sends and backorderd reads, and a few it ignores;
// money, addresses and the rest are left out.

// shopifyTime is Shopify's timestamp: whole seconds with an offset.
func shopifyTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// mustJSON encodes a payload built from maps and slices, which cannot fail.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("encode payload: %v", err))
	}
	return b
}

// shopifyLocation is the shop's one location.
const shopifyLocation = 81264410913

func shopifyProduct(s *shop, i int, at time.Time) (string, []byte) {
	it := s.items[i]
	return "products/create", mustJSON(map[string]any{
		"id": json.Number(it.productID), "title": it.title, "status": "active",
		"created_at": shopifyTime(at), "updated_at": shopifyTime(at),
		"admin_graphql_api_id": "gid://shopify/Product/" + it.productID,
		"variants": []map[string]any{{
			"id": json.Number(it.id), "product_id": json.Number(it.productID), "title": "Default Title",
			"sku": it.sku, "inventory_item_id": json.Number(it.stockKey), "inventory_management": "shopify",
			"inventory_policy": "continue", "inventory_quantity": s.level[i], "price": "24.00",
			"created_at": shopifyTime(at), "updated_at": shopifyTime(at),
		}},
	})
}

func shopifyLevel(s *shop, i int, at time.Time) (string, []byte) {
	it := s.items[i]
	return "inventory_levels/update", mustJSON(map[string]any{
		"inventory_item_id": json.Number(it.stockKey), "location_id": shopifyLocation,
		"available": s.level[i], "updated_at": shopifyTime(at),
		"admin_graphql_api_id": fmt.Sprintf("gid://shopify/InventoryLevel/%d?inventory_item_id=%s", shopifyLocation, it.stockKey),
	})
}

// shopifyOrder is the whole order as orders/create, orders/updated and
// orders/cancelled carry it: current_quantity after refunds and edits,
// fulfillable_quantity what is still to ship.
func shopifyOrder(s *shop, k int, event string, at time.Time) (string, []byte) {
	o := s.orders[k]
	lines := make([]map[string]any, len(o.lines))
	for j, l := range o.lines {
		it := s.items[l.item]
		open := l.quantity
		if o.cancelled {
			open = 0
		}
		lines[j] = map[string]any{
			"id": json.Number(l.id), "variant_id": json.Number(it.id), "product_id": json.Number(it.productID),
			"sku": it.sku, "name": it.title, "title": it.title, "quantity": s.ordered(k, j),
			"current_quantity": open, "fulfillable_quantity": open, "fulfillment_status": nil,
			"price": "24.00", "requires_shipping": true,
		}
	}
	body := map[string]any{
		"id": json.Number(o.id), "admin_graphql_api_id": "gid://shopify/Order/" + o.id, "name": o.name,
		"email": o.email, "contact_email": o.email, "created_at": shopifyTime(o.placed),
		"updated_at": shopifyTime(at), "processed_at": shopifyTime(o.placed), "cancelled_at": nil,
		"financial_status": "paid", "fulfillment_status": nil, "currency": "USD",
		"customer": map[string]any{"id": json.Number("7" + o.id[1:]), "email": o.email, "first_name": "Sim",
			"last_name": "Buyer " + o.name},
		"line_items": lines, "shipping_lines": []map[string]any{{"title": "Standard"}},
	}
	topic := "orders/" + event
	if event == "cancelled" {
		body["cancelled_at"], body["cancel_reason"] = shopifyTime(at), "customer"
		body["financial_status"] = "refunded"
	}
	return topic, mustJSON(body)
}

// ordered is the quantity line j of order k was ordered with: what
// Shopify keeps in quantity while current_quantity moves.
func (s *shop) ordered(k, j int) int {
	return s.firstQty[s.orders[k].lines[j].id]
}

func shopifyRefund(s *shop, k, j, units int, at time.Time) (string, []byte) {
	o := s.orders[k]
	return "refunds/create", mustJSON(map[string]any{
		"id": json.Number(s.id(8)), "order_id": json.Number(o.id), "created_at": shopifyTime(at),
		"processed_at": shopifyTime(at), "restock": true, "note": "Partial refund",
		"refund_line_items": []map[string]any{{
			"id": json.Number(s.id(8)), "line_item_id": json.Number(o.lines[j].id), "quantity": units,
			"restock_type": "cancel", "location_id": shopifyLocation,
		}},
	})
}

func shopifyEdit(s *shop, k, j, delta int, at time.Time) (string, []byte) {
	o := s.orders[k]
	change := []map[string]any{{"id": json.Number(o.lines[j].id), "delta": max(delta, -delta)}}
	additions, removals := change, []map[string]any{}
	if delta < 0 {
		additions, removals = removals, change
	}
	return "orders/edited", mustJSON(map[string]any{"order_edit": map[string]any{
		"id": json.Number(s.id(9)), "order_id": json.Number(o.id), "created_at": shopifyTime(at),
		"committed_at": shopifyTime(at), "notify_customer": false, "staff_note": "",
		"line_items": map[string]any{"additions": additions, "removals": removals},
	}})
}
