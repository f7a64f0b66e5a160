package simulate

import (
	"encoding/json"
	"time"
)

// WooCommerce's payloads (REST API v3 shapes, as its webhooks send them),
// with the fields backorderd reads and a few it ignores. WooCommerce builds
// a body when it sends it, so each carries the store's state of the moment.

// wooTime is WooCommerce's *_gmt timestamp: no zone, UTC.
func wooTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05") }

// wooProduct is a simple product managing its stock: product.created in
// the setup's first step, product.updated after.
func wooProduct(s *shop, i int, at time.Time) (string, []byte) {
	it := s.items[i]
	topic := "product.updated"
	if s.phase == phaseSetup && at.Equal(s.o.Start.Add(time.Second)) {
		topic = "product.created"
	}
	return topic, mustJSON(map[string]any{
		"id": json.Number(it.id), "parent_id": 0, "name": it.title, "type": "simple", "status": "publish",
		"sku": it.sku, "price": "24.00", "manage_stock": true, "stock_quantity": s.level[i],
		"backorders": "notify", "backorders_allowed": true, "backordered": s.level[i] < 0,
		"date_created_gmt": wooTime(s.o.Start), "date_modified_gmt": wooTime(at),
	})
}

// wooOrder is the whole order as order.created and order.updated carry
// it; a cancelled order says so in its status.
func wooOrder(s *shop, k int, event string, at time.Time) (string, []byte) {
	o := s.orders[k]
	lines := make([]map[string]any, 0, len(o.lines))
	for _, l := range o.lines {
		if l.quantity == 0 {
			continue // an edit that removes a line removes it from the order
		}
		it := s.items[l.item]
		lines = append(lines, map[string]any{
			"id": json.Number(l.id), "name": it.title, "product_id": json.Number(it.id), "variation_id": 0,
			"quantity": l.quantity, "sku": it.sku, "price": 24,
		})
	}
	status := "processing"
	if o.cancelled {
		status = "cancelled"
	}
	topic := "order.updated"
	if event == "create" {
		topic = "order.created"
	}
	return topic, mustJSON(map[string]any{
		"id": json.Number(o.id), "parent_id": 0, "number": o.name[1:], "status": status, "currency": "USD",
		"date_created_gmt": wooTime(o.placed), "date_modified_gmt": wooTime(at),
		"customer_id":    json.Number("7" + o.id[1:]),
		"billing":        map[string]any{"first_name": "Sim", "last_name": "Buyer " + o.name, "email": o.email},
		"shipping_lines": []map[string]any{{"method_title": "Flat rate"}},
		"line_items":     lines,
	})
}
