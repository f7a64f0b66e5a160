package webhooks

import (
	"cmp"
	"time"

	"github.com/backorderd/backorderd/backorder"
)

// The types below declare only the fields of Shopify's REST payloads (API
// 2024-01 on) that backorderd uses. Money is never decoded: refund lines
// carry it as JSON numbers, everything else as strings. Any field may be
// null or missing — personal fields are absent for apps without
// protected-data access — and then keeps its zero value.

// shopifyCustomerBody is an order's customer, or a privacy request's.
type shopifyCustomerBody struct {
	ID        jsonID `json:"id"`
	Email     string `json:"email"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Phone     string `json:"phone"`
}

// shopifyOrderBody is the order of the orders/* topics.
type shopifyOrderBody struct {
	ID                jsonID              `json:"id"`
	Name              string              `json:"name"`
	Email             string              `json:"email"`
	ContactEmail      string              `json:"contact_email"`
	Phone             string              `json:"phone"`
	CreatedAt         string              `json:"created_at"`
	UpdatedAt         string              `json:"updated_at"`
	CancelledAt       string              `json:"cancelled_at"`
	FinancialStatus   string              `json:"financial_status"`
	FulfillmentStatus string              `json:"fulfillment_status"`
	Customer          shopifyCustomerBody `json:"customer"`
	ShippingLines     []struct {
		Title string `json:"title"`
	} `json:"shipping_lines"`
	LineItems []shopifyLineItem `json:"line_items"`
}

// shopifyLineItem is one of an order's line_items.
type shopifyLineItem struct {
	ID        jsonID `json:"id"`
	VariantID jsonID `json:"variant_id"`
	ProductID jsonID `json:"product_id"`
	SKU       string `json:"sku"`
	Name      string `json:"name"`
	Title     string `json:"title"`
	Quantity  int    `json:"quantity"`
	// Pointers tell a missing count from a zero one.
	CurrentQuantity     *int `json:"current_quantity"`
	FulfillableQuantity *int `json:"fulfillable_quantity"`
}

// shopifyOrder is the orders/* topics that carry the whole order.
func shopifyOrder(d delivery) (backorder.Facts, error) {
	var in shopifyOrderBody
	if err := decode(d.topic, d.body, &in); err != nil {
		return backorder.Facts{}, err
	}
	if in.ID == "" || in.CreatedAt == "" {
		return backorder.Facts{}, rejectf(d.topic, "order %q lacks its id or created_at", in.ID)
	}
	placed, err := parseTime(d.topic, "created_at", in.CreatedAt, time.RFC3339)
	if err != nil {
		return backorder.Facts{}, err
	}
	updated, err := parseTime(d.topic, "updated_at", cmp.Or(in.UpdatedAt, in.CreatedAt), time.RFC3339)
	if err != nil {
		return backorder.Facts{}, err
	}
	status := shopifyStatus(in)
	lines, err := shopifyLines(d.topic, in.LineItems, status)
	if err != nil {
		return backorder.Facts{}, err
	}
	order := backorder.Order{
		OrderID: string(in.ID), Name: in.Name, Status: status,
		StoreStatus: in.FinancialStatus + "/" + cmp.Or(in.FulfillmentStatus, "unfulfilled"),
		Customer:    shopifyCustomer(in),
		PlacedAt:    placed, UpdatedAt: updated, Lines: lines,
		Version: backorder.Version{At: updated, Seq: d.seq},
	}
	if len(in.ShippingLines) > 0 {
		order.ShippingMethod = in.ShippingLines[0].Title
	}
	return backorder.Facts{Orders: []backorder.Order{order}}, nil
}

// shopifyStatus: a cancelled order counts as cancelled even when partly
// fulfilled, since nothing more will ship.
func shopifyStatus(in shopifyOrderBody) backorder.OrderStatus {
	switch {
	case in.CancelledAt != "":
		return backorder.OrderCancelled
	case in.FulfillmentStatus == "fulfilled":
		return backorder.OrderFulfilled
	}
	return backorder.OrderOpen
}

// shopifyCustomer takes the customer, falling back to the order's own
// contact fields; whatever is missing stays "".
func shopifyCustomer(in shopifyOrderBody) backorder.Customer {
	c := in.Customer
	return backorder.Customer{
		ID:        string(c.ID),
		Email:     cmp.Or(c.Email, in.Email, in.ContactEmail),
		FirstName: c.FirstName,
		LastName:  c.LastName,
		Phone:     cmp.Or(c.Phone, in.Phone),
	}
}

// shopifyLines turns line items into lines. Lines without a variant
// (custom items, deleted variants) touch no stock and are left out.
func shopifyLines(topic string, items []shopifyLineItem, status backorder.OrderStatus) ([]backorder.Line, error) {
	lines := make([]backorder.Line, 0, len(items))
	for i, li := range items {
		if li.ID == "" {
			return nil, rejectf(topic, "line_items[%d] has no id", i)
		}
		if li.VariantID == "" {
			continue
		}
		quantity := li.Quantity
		if li.CurrentQuantity != nil {
			// current_quantity is after edits and refunds; quantity is as ordered.
			quantity = *li.CurrentQuantity
		}
		open := quantity
		if li.FulfillableQuantity != nil {
			open = *li.FulfillableQuantity
		}
		if status != backorder.OrderOpen {
			open = 0
		}
		lines = append(lines, backorder.Line{
			LineID: string(li.ID), ItemID: string(li.VariantID), ProductID: string(li.ProductID),
			SKU: li.SKU, Title: cmp.Or(li.Name, li.Title), Quantity: quantity,
			OpenUnits: clamp(open, 0, quantity),
		})
	}
	return lines, nil
}

// shopifyEditChange is one line of an order edit's additions or removals.
type shopifyEditChange struct {
	ID    jsonID `json:"id"`
	Delta int    `json:"delta"`
}

// shopifyOrderEdit is orders/edited: the changed lines of an order edit.
// The list says the direction, whatever sign its deltas come with.
func shopifyOrderEdit(d delivery) (backorder.Facts, error) {
	var in struct {
		OrderEdit struct {
			ID        jsonID `json:"id"`
			OrderID   jsonID `json:"order_id"`
			CreatedAt string `json:"created_at"`
			LineItems struct {
				Additions []shopifyEditChange `json:"additions"`
				Removals  []shopifyEditChange `json:"removals"`
			} `json:"line_items"`
		} `json:"order_edit"`
	}
	if err := decode(d.topic, d.body, &in); err != nil {
		return backorder.Facts{}, err
	}
	e := in.OrderEdit
	if e.ID == "" || e.OrderID == "" {
		return backorder.Facts{}, rejectf(d.topic, "order_edit lacks its id or order_id")
	}
	at, err := parseTime(d.topic, "order_edit.created_at", e.CreatedAt, time.RFC3339)
	if err != nil {
		return backorder.Facts{}, err
	}
	edit := backorder.OrderEdit{EditID: string(e.ID), OrderID: string(e.OrderID), EditedAt: at}
	add := func(list string, changes []shopifyEditChange, sign int) error {
		for i, c := range changes {
			if c.ID == "" {
				return rejectf(d.topic, "order_edit.line_items.%s[%d] has no id", list, i)
			}
			// The edit names lines only: items come with the order's next state.
			edit.Changes = append(edit.Changes, backorder.LineDelta{LineID: string(c.ID), Delta: sign * max(c.Delta, -c.Delta)})
		}
		return nil
	}
	if err := add("additions", e.LineItems.Additions, 1); err != nil {
		return backorder.Facts{}, err
	}
	if err := add("removals", e.LineItems.Removals, -1); err != nil {
		return backorder.Facts{}, err
	}
	return backorder.Facts{Edits: []backorder.OrderEdit{edit}}, nil
}

// shopifyRefund is refunds/create: the units of each line taken back.
func shopifyRefund(d delivery) (backorder.Facts, error) {
	var in struct {
		ID              jsonID `json:"id"`
		OrderID         jsonID `json:"order_id"`
		CreatedAt       string `json:"created_at"`
		RefundLineItems []struct {
			LineItemID  jsonID `json:"line_item_id"`
			Quantity    int    `json:"quantity"`
			RestockType string `json:"restock_type"`
		} `json:"refund_line_items"`
	}
	if err := decode(d.topic, d.body, &in); err != nil {
		return backorder.Facts{}, err
	}
	if in.ID == "" || in.OrderID == "" {
		return backorder.Facts{}, rejectf(d.topic, "refund lacks its id or order_id")
	}
	at, err := parseTime(d.topic, "created_at", in.CreatedAt, time.RFC3339)
	if err != nil {
		return backorder.Facts{}, err
	}
	refund := backorder.Refund{RefundID: string(in.ID), OrderID: string(in.OrderID), CreatedAt: at}
	for i, rl := range in.RefundLineItems {
		if rl.LineItemID == "" {
			return backorder.Facts{}, rejectf(d.topic, "refund_line_items[%d] has no line_item_id", i)
		}
		refund.Lines = append(refund.Lines, backorder.RefundLine{
			LineID: string(rl.LineItemID), Quantity: rl.Quantity, RestockType: rl.RestockType,
		})
	}
	return backorder.Facts{Refunds: []backorder.Refund{refund}}, nil
}

// shopifyLevel is inventory_levels/update: one item's level at one location.
func shopifyLevel(d delivery) (backorder.Facts, error) {
	var in struct {
		InventoryItemID jsonID `json:"inventory_item_id"`
		LocationID      jsonID `json:"location_id"`
		Available       *int   `json:"available"` // null: Shopify no longer tracks it
		UpdatedAt       string `json:"updated_at"`
	}
	if err := decode(d.topic, d.body, &in); err != nil {
		return backorder.Facts{}, err
	}
	if in.InventoryItemID == "" || in.LocationID == "" || in.UpdatedAt == "" {
		return backorder.Facts{}, rejectf(d.topic, "level lacks its inventory_item_id, location_id or updated_at")
	}
	at, err := parseTime(d.topic, "updated_at", in.UpdatedAt, time.RFC3339)
	if err != nil {
		return backorder.Facts{}, err
	}
	return backorder.Facts{Levels: []backorder.StockLevel{{
		StockKey: string(in.InventoryItemID), LocationID: string(in.LocationID),
		Available: in.Available, Version: backorder.Version{At: at, Seq: d.seq},
	}}}, nil
}

// shopifyProduct is products/create|update: one item per variant, keyed to
// its stock levels by the variant's inventory item.
func shopifyProduct(d delivery) (backorder.Facts, error) {
	var in struct {
		ID        jsonID `json:"id"`
		Title     string `json:"title"`
		UpdatedAt string `json:"updated_at"`
		Variants  []struct {
			ID                jsonID `json:"id"`
			Title             string `json:"title"`
			SKU               string `json:"sku"`
			InventoryItemID   jsonID `json:"inventory_item_id"`
			InventoryPolicy   string `json:"inventory_policy"`
			InventoryQuantity *int   `json:"inventory_quantity"`
			UpdatedAt         string `json:"updated_at"`
		} `json:"variants"`
	}
	if err := decode(d.topic, d.body, &in); err != nil {
		return backorder.Facts{}, err
	}
	if in.ID == "" {
		return backorder.Facts{}, rejectf(d.topic, "product has no id")
	}
	var facts backorder.Facts
	for i, v := range in.Variants {
		if v.ID == "" {
			return backorder.Facts{}, rejectf(d.topic, "variants[%d] of product %s has no id", i, in.ID)
		}
		at, err := parseTime(d.topic, "updated_at", cmp.Or(v.UpdatedAt, in.UpdatedAt), time.RFC3339)
		if err != nil {
			return backorder.Facts{}, err
		}
		title := in.Title
		if v.Title != "" && v.Title != "Default Title" { // Shopify's title for a product without options
			title += " - " + v.Title
		}
		facts.Items = append(facts.Items, backorder.Item{
			ItemID: string(v.ID), ProductID: string(in.ID), StockKey: string(v.InventoryItemID),
			SKU: v.SKU, Title: title, ContinueSelling: knownWord(shopifyPolicies, v.InventoryPolicy),
			Quantity: v.InventoryQuantity, Version: backorder.Version{At: at, Seq: d.seq},
		})
	}
	return facts, nil
}

// shopifyPolicies are the inventory_policy words: "continue" sells on out
// of stock.
var shopifyPolicies = map[string]bool{"continue": true, "deny": false}

// shopifyCustomerPrivacy is customers/data_request and customers/redact. A
// request that names no customer cannot be served: it is rejected, for an
// operator to answer by hand.
func shopifyCustomerPrivacy(d delivery) (backorder.Facts, error) {
	var in struct {
		Customer        shopifyCustomerBody `json:"customer"`
		OrdersRequested []jsonID            `json:"orders_requested"`
		OrdersToRedact  []jsonID            `json:"orders_to_redact"`
		DataRequest     struct {
			ID jsonID `json:"id"`
		} `json:"data_request"`
	}
	if err := decode(d.topic, d.body, &in); err != nil {
		return backorder.Facts{}, err
	}
	c := in.Customer
	if c.ID == "" && c.Email == "" {
		return backorder.Facts{}, rejectf(d.topic, "customer has neither id nor email")
	}
	req := &backorder.PrivacyRequest{Kind: backorder.CustomerRedact, Customer: backorder.Customer{ID: string(c.ID), Email: c.Email, Phone: c.Phone}}
	orders := in.OrdersToRedact
	if d.topic == "customers/data_request" {
		req.Kind, req.RequestID, orders = backorder.CustomerDataRequest, string(in.DataRequest.ID), in.OrdersRequested
	}
	for _, id := range orders {
		if id != "" {
			req.OrderIDs = append(req.OrderIDs, string(id))
		}
	}
	return backorder.Facts{Privacy: req}, nil
}

// shopifyShopRedact is shop/redact: the topic is the whole request, to
// erase every personal datum of the shop.
func shopifyShopRedact(delivery) (backorder.Facts, error) {
	return backorder.Facts{Privacy: &backorder.PrivacyRequest{Kind: backorder.ShopRedact}}, nil
}

// shopifyUninstalled is app/uninstalled. Its body (the shop) adds nothing,
// and an uninstall must never be lost to the body's shape.
func shopifyUninstalled(delivery) (backorder.Facts, error) {
	return backorder.Facts{Uninstalled: true}, nil
}
