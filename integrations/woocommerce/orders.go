package woocommerce

import (
	"cmp"
	"encoding/json"
	"html"
	"reflect"
	"time"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/integrations/payload"
)

// WooCommerce's payload is the REST object as of sending, wp_json_encode'd.
// Its states carry the delivery's arrival as their version (see delivery):
// WooCommerce may not move date_modified_gmt when only stock changes.

// gmtLayout is the layout of the *_gmt dates: UTC, without a zone designator.
const gmtLayout = "2006-01-02T15:04:05"

// statuses maps order statuses to the domain's. Plugins add their own
// statuses: those count as open, so that their units are never sold twice.
var statuses = map[string]backorder.OrderStatus{
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

// orderBody is the order of the order.* topics.
type orderBody struct {
	ID              payload.ID `json:"id"`
	Number          text       `json:"number"`
	Status          string     `json:"status"`
	DateCreatedGMT  string     `json:"date_created_gmt"`
	DateModifiedGMT string     `json:"date_modified_gmt"`
	CustomerID      payload.ID `json:"customer_id"`
	Billing         struct {   // email may be null
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
		Email     string `json:"email"`
		Phone     string `json:"phone"`
	} `json:"billing"`
	ShippingLines []struct {
		MethodTitle string `json:"method_title"`
	} `json:"shipping_lines"`
	LineItems []struct {
		ID          payload.ID `json:"id"`
		Name        string     `json:"name"`
		ProductID   payload.ID `json:"product_id"`
		VariationID payload.ID `json:"variation_id"`
		Quantity    int        `json:"quantity"`
		SKU         string     `json:"sku"` // may be null
	} `json:"line_items"`
}

// decodeOrder is order.created, order.updated and order.restored.
func decodeOrder(d delivery) (backorder.Facts, error) {
	var in orderBody
	if err := payload.Decode(d.topic, d.body, &in); err != nil {
		return backorder.Facts{}, err
	}
	if in.ID == "" || in.DateCreatedGMT == "" {
		return backorder.Facts{}, payload.Rejectf(d.topic, "order %q lacks its id or date_created_gmt", in.ID)
	}
	placed, err := payload.ParseTime(d.topic, "date_created_gmt", in.DateCreatedGMT, gmtLayout, time.RFC3339)
	if err != nil {
		return backorder.Facts{}, err
	}
	updated, err := payload.ParseTime(d.topic, "date_modified_gmt", cmp.Or(in.DateModifiedGMT, in.DateCreatedGMT), gmtLayout, time.RFC3339)
	if err != nil {
		return backorder.Facts{}, err
	}
	if in.LineItems == nil {
		return backorder.Facts{}, payload.Rejectf(d.topic, "order %s lacks its line_items", in.ID)
	}
	status, known := statuses[in.Status]
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
	order.Lines, err = orderLines(d.topic, in, status)
	if err != nil {
		return backorder.Facts{}, err
	}
	return backorder.Facts{Orders: []backorder.Order{order}}, nil
}

// orderLines turns line items into lines. A line whose product was deleted
// (product_id 0) names no item and touches no stock: it is left out.
func orderLines(topic string, in orderBody, status backorder.OrderStatus) ([]backorder.Line, error) {
	lines := make([]backorder.Line, 0, len(in.LineItems))
	for i, li := range in.LineItems {
		if li.ID == "" {
			return nil, payload.Rejectf(topic, "line_items[%d] has no id", i)
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

// decodeOrderDeleted is order.deleted, whose body is exactly {"id":N}.
func decodeOrderDeleted(d delivery) (backorder.Facts, error) {
	id, err := deletedID(d)
	return backorder.Facts{DeletedOrders: id}, err
}

// decodeProductDeleted is product.deleted, whose body is exactly {"id":N}.
func decodeProductDeleted(d delivery) (backorder.Facts, error) {
	id, err := deletedID(d)
	return backorder.Facts{DeletedItems: id}, err
}

// deletedID reads the id of a deleted resource, as a list of one. The body
// must be {"id":N} and nothing else: any other body (a whole order, say)
// is another topic's, resent under this one.
func deletedID(d delivery) ([]string, error) {
	var keys map[string]json.RawMessage
	if err := payload.Decode(d.topic, d.body, &keys); err != nil {
		return nil, err
	}
	var in struct {
		ID payload.ID `json:"id"`
	}
	if err := payload.Decode(d.topic, d.body, &in); err != nil {
		return nil, err
	}
	if in.ID == "" {
		return nil, payload.Rejectf(d.topic, "body has no id")
	}
	if len(keys) != 1 {
		return nil, payload.Rejectf(d.topic, "body has %d fields, want only id", len(keys))
	}
	return []string{string(in.ID)}, nil
}

// text is a string WooCommerce documents as one but a plugin's filter
// may turn into a number (an order's number): either is kept as text.
type text string

// UnmarshalJSON takes a JSON string or number.
func (t *text) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		return nil
	case b[0] == '"':
		return json.Unmarshal(b, (*string)(t))
	case b[0] == '-' || b[0] >= '0' && b[0] <= '9':
		*t = text(b)
		return nil
	}
	kind := map[byte]string{'{': "object", '[': "array", 't': "bool", 'f': "bool"}[b[0]]
	return &json.UnmarshalTypeError{Value: kind, Type: reflect.TypeFor[string]()}
}
