package webhooks

import (
	"cmp"
	"encoding/json"
	"html"
	"reflect"
	"time"

	"github.com/backorderd/backorderd/backorder"
)

// WooCommerce's payload is the REST object as of sending, wp_json_encode'd.
// Its states carry the delivery's arrival as their version (see delivery):
// WooCommerce may not move date_modified_gmt when only stock changes.

// wooTime is the layout of the *_gmt dates: UTC, without a zone designator.
const wooTime = "2006-01-02T15:04:05"

// wooStatuses maps order statuses to the domain's. Plugins add their own
// statuses: those count as open, so that their units are never sold twice.
var wooStatuses = map[string]backorder.OrderStatus{
	"pending":        backorder.OrderPending,
	"checkout-draft": backorder.OrderPending,
	"processing":     backorder.OrderOpen,
	"on-hold":        backorder.OrderOpen,
	"completed":      backorder.OrderFulfilled,
	"cancelled":      backorder.OrderCancelled,
	"refunded":       backorder.OrderCancelled,
	"failed":         backorder.OrderCancelled,
	"trash":          backorder.OrderCancelled,
}

// wooBackorders are the product backorders words: "notify" and "yes" both
// keep selling out of stock.
var wooBackorders = map[string]bool{"notify": true, "yes": true, "no": false}

// wooOrderBody is the order of the order.* topics.
type wooOrderBody struct {
	ID              jsonID   `json:"id"`
	Number          wooText  `json:"number"`
	Status          string   `json:"status"`
	DateCreatedGMT  string   `json:"date_created_gmt"`
	DateModifiedGMT string   `json:"date_modified_gmt"`
	CustomerID      jsonID   `json:"customer_id"`
	Billing         struct { // email may be null
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
		Email     string `json:"email"`
		Phone     string `json:"phone"`
	} `json:"billing"`
	ShippingLines []struct {
		MethodTitle string `json:"method_title"`
	} `json:"shipping_lines"`
	LineItems []struct {
		ID          jsonID `json:"id"`
		Name        string `json:"name"`
		ProductID   jsonID `json:"product_id"`
		VariationID jsonID `json:"variation_id"`
		Quantity    int    `json:"quantity"`
		SKU         string `json:"sku"` // may be null
	} `json:"line_items"`
}

// wooOrder is order.created, order.updated and order.restored.
func wooOrder(d delivery) (backorder.Facts, error) {
	var in wooOrderBody
	if err := decode(d.topic, d.body, &in); err != nil {
		return backorder.Facts{}, err
	}
	if in.ID == "" || in.DateCreatedGMT == "" {
		return backorder.Facts{}, rejectf(d.topic, "order %q lacks its id or date_created_gmt", in.ID)
	}
	placed, err := parseTime(d.topic, "date_created_gmt", in.DateCreatedGMT, wooTime, time.RFC3339)
	if err != nil {
		return backorder.Facts{}, err
	}
	updated, err := parseTime(d.topic, "date_modified_gmt", cmp.Or(in.DateModifiedGMT, in.DateCreatedGMT), wooTime, time.RFC3339)
	if err != nil {
		return backorder.Facts{}, err
	}
	status, known := wooStatuses[in.Status]
	if !known {
		status = backorder.OrderOpen
	}
	order := backorder.Order{
		OrderID: string(in.ID), Name: cmp.Or(string(in.Number), string(in.ID)),
		Status: status, StoreStatus: in.Status,
		Customer: backorder.Customer{
			ID: string(in.CustomerID), Email: in.Billing.Email, Phone: in.Billing.Phone,
			FirstName: in.Billing.FirstName, LastName: in.Billing.LastName,
		},
		PlacedAt: placed, UpdatedAt: updated, Version: d.arrival,
	}
	if len(in.ShippingLines) > 0 {
		order.ShippingMethod = in.ShippingLines[0].MethodTitle
	}
	order.Lines, err = wooLines(d.topic, in, status)
	if err != nil {
		return backorder.Facts{}, err
	}
	return backorder.Facts{Orders: []backorder.Order{order}}, nil
}

// wooLines turns line items into lines. A line whose product was deleted
// (product_id 0) names no item and touches no stock: it is left out.
func wooLines(topic string, in wooOrderBody, status backorder.OrderStatus) ([]backorder.Line, error) {
	lines := make([]backorder.Line, 0, len(in.LineItems))
	for i, li := range in.LineItems {
		if li.ID == "" {
			return nil, rejectf(topic, "line_items[%d] has no id", i)
		}
		item := cmp.Or(li.VariationID, li.ProductID)
		if item == "" {
			continue
		}
		open := 0
		if status == backorder.OrderOpen {
			open = max(li.Quantity, 0)
		}
		lines = append(lines, backorder.Line{
			LineID: string(li.ID), ItemID: string(item), ProductID: string(li.ProductID),
			SKU: li.SKU, Title: html.UnescapeString(li.Name), Quantity: li.Quantity, OpenUnits: open,
		})
	}
	return lines, nil
}

// wooOrderDeleted is order.deleted, whose body is just {"id":N}.
func wooOrderDeleted(d delivery) (backorder.Facts, error) {
	id, err := wooDeletedID(d)
	return backorder.Facts{DeletedOrders: id}, err
}

// wooProductDeleted is product.deleted, whose body is just {"id":N}.
func wooProductDeleted(d delivery) (backorder.Facts, error) {
	id, err := wooDeletedID(d)
	return backorder.Facts{DeletedItems: id}, err
}

// wooDeletedID reads the id of a deleted resource, as a list of one.
func wooDeletedID(d delivery) ([]string, error) {
	var in struct {
		ID jsonID `json:"id"`
	}
	if err := decode(d.topic, d.body, &in); err != nil {
		return nil, err
	}
	if in.ID == "" {
		return nil, rejectf(d.topic, "body has no id")
	}
	return []string{string(in.ID)}, nil
}

// wooProduct is product.created, product.updated and product.restored: a
// simple product, a variable product or one variation (type "variation",
// with its parent_id), and its stock when WooCommerce manages it.
func wooProduct(d delivery) (backorder.Facts, error) {
	var in struct {
		ID            jsonID         `json:"id"`
		ParentID      jsonID         `json:"parent_id"`
		Name          string         `json:"name"`
		SKU           string         `json:"sku"` // may be null
		ManageStock   wooManageStock `json:"manage_stock"`
		StockQuantity *int           `json:"stock_quantity"` // may be negative or null
		Backorders    string         `json:"backorders"`
	}
	if err := decode(d.topic, d.body, &in); err != nil {
		return backorder.Facts{}, err
	}
	if in.ID == "" {
		return backorder.Facts{}, rejectf(d.topic, "product has no id")
	}
	var quantity *int
	if in.ManageStock {
		quantity = in.StockQuantity
	}
	facts := backorder.Facts{Items: []backorder.Item{{
		ItemID: string(in.ID), ProductID: string(cmp.Or(in.ParentID, in.ID)), StockKey: string(in.ID),
		SKU: in.SKU, Title: html.UnescapeString(in.Name), ContinueSelling: knownWord(wooBackorders, in.Backorders),
		Quantity: quantity, Version: d.arrival,
	}}}
	if in.ManageStock {
		facts.Levels = []backorder.StockLevel{{StockKey: string(in.ID), Available: quantity, Version: d.arrival}}
	}
	return facts, nil
}

// wooManageStock is manage_stock: true when the product manages its own
// stock. A variation whose parent manages it says "parent": the stock is
// the parent's, so the variation has no level of its own.
type wooManageStock bool

// UnmarshalJSON takes only JSON true as true.
func (m *wooManageStock) UnmarshalJSON(b []byte) error {
	*m = string(b) == "true"
	return nil
}

// wooText is a string WooCommerce documents as one but a plugin's filter
// may turn into a number (an order's number): either is kept as text.
type wooText string

// UnmarshalJSON takes a JSON string or number.
func (t *wooText) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		return nil
	case b[0] == '"':
		return json.Unmarshal(b, (*string)(t))
	case b[0] == '-' || b[0] >= '0' && b[0] <= '9':
		*t = wooText(b)
		return nil
	}
	kind := map[byte]string{'{': "object", '[': "array", 't': "bool", 'f': "bool"}[b[0]]
	return &json.UnmarshalTypeError{Value: kind, Type: reflect.TypeFor[string]()}
}
