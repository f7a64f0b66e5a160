package shopify

import (
	"cmp"
	"time"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/integrations/payload"
)

// The types below declare only the fields of Shopify's REST payloads (API
// 2024-01 on) that backorderd uses. Money is never decoded: refund lines
// carry it as JSON numbers, everything else as strings. Any field may be
// null or missing — personal fields are absent for apps without
// protected-data access — and then keeps its zero value.

// customerBody is an order's customer, or a privacy request's.
type customerBody struct {
	ID        payload.ID `json:"id"`
	Email     string     `json:"email"`
	FirstName string     `json:"first_name"`
	LastName  string     `json:"last_name"`
	Phone     string     `json:"phone"`
}

// orderBody is the order of the orders/* topics.
type orderBody struct {
	ID                payload.ID   `json:"id"`
	Name              string       `json:"name"`
	Email             string       `json:"email"`
	ContactEmail      string       `json:"contact_email"`
	Phone             string       `json:"phone"`
	CreatedAt         string       `json:"created_at"`
	UpdatedAt         string       `json:"updated_at"`
	CancelledAt       string       `json:"cancelled_at"`
	FinancialStatus   string       `json:"financial_status"`
	FulfillmentStatus string       `json:"fulfillment_status"`
	Customer          customerBody `json:"customer"`
	ShippingLines     []struct {
		Title string `json:"title"`
	} `json:"shipping_lines"`
	LineItems []lineItem `json:"line_items"`
}

// lineItem is one of an order's line_items.
type lineItem struct {
	ID        payload.ID `json:"id"`
	VariantID payload.ID `json:"variant_id"`
	ProductID payload.ID `json:"product_id"`
	SKU       string     `json:"sku"`
	Name      string     `json:"name"`
	Title     string     `json:"title"`
	Quantity  int        `json:"quantity"`
	// Pointers tell a missing count from a zero one.
	CurrentQuantity     *int `json:"current_quantity"`
	FulfillableQuantity *int `json:"fulfillable_quantity"`
}

// decodeOrder is the orders/* topics that carry the whole order.
func decodeOrder(d delivery) (backorder.Facts, error) {
	var in orderBody
	if err := payload.Decode(d.topic, d.body, &in); err != nil {
		return backorder.Facts{}, err
	}
	if in.ID == "" || in.CreatedAt == "" {
		return backorder.Facts{}, payload.Rejectf(d.topic, "order %q lacks its id or created_at", in.ID)
	}
	placed, err := payload.ParseTime(d.topic, "created_at", in.CreatedAt, time.RFC3339)
	if err != nil {
		return backorder.Facts{}, err
	}
	updated, err := payload.ParseTime(d.topic, "updated_at", cmp.Or(in.UpdatedAt, in.CreatedAt), time.RFC3339)
	if err != nil {
		return backorder.Facts{}, err
	}
	if in.LineItems == nil {
		return backorder.Facts{}, payload.Rejectf(d.topic, "order %s lacks its line_items", in.ID)
	}
	status := orderStatus(in)
	lines, err := orderLines(d.topic, in.LineItems, status)
	if err != nil {
		return backorder.Facts{}, err
	}
	order := backorder.Order{
		OrderID: string(in.ID), Name: in.Name, Status: status,
		StoreStatus: in.FinancialStatus + "/" + cmp.Or(in.FulfillmentStatus, "unfulfilled"),
		Customer:    orderCustomer(in),
		PlacedAt:    placed, UpdatedAt: updated, Lines: lines,
		Version: backorder.Version{At: updated, Seq: d.seq},
	}
	if len(in.ShippingLines) > 0 {
		order.ShippingMethod = in.ShippingLines[0].Title
	}
	return backorder.Facts{Orders: []backorder.Order{order}}, nil
}

// orderStatus: a cancelled order counts as cancelled even when partly
// fulfilled, since nothing more will ship.
func orderStatus(in orderBody) backorder.OrderStatus {
	switch {
	case in.CancelledAt != "":
		return backorder.OrderCancelled
	case in.FulfillmentStatus == "fulfilled":
		return backorder.OrderFulfilled
	}
	return backorder.OrderOpen
}

// orderCustomer takes the customer, falling back to the order's own
// contact fields; whatever is missing stays "".
func orderCustomer(in orderBody) backorder.Customer {
	c := in.Customer
	return backorder.Customer{
		ID:        string(c.ID),
		Email:     cmp.Or(c.Email, in.Email, in.ContactEmail),
		FirstName: c.FirstName,
		LastName:  c.LastName,
		Phone:     cmp.Or(c.Phone, in.Phone),
	}
}

// orderLines turns line items into lines. Lines without a variant
// (custom items, deleted variants) touch no stock and are left out.
func orderLines(topic string, items []lineItem, status backorder.OrderStatus) ([]backorder.Line, error) {
	lines := make([]backorder.Line, 0, len(items))
	for i, li := range items {
		if li.ID == "" {
			return nil, payload.Rejectf(topic, "line_items[%d] has no id", i)
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
			OpenUnits: payload.Clamp(open, 0, quantity),
		})
	}
	return lines, nil
}

// editChange is one line of an order edit's additions or removals.
type editChange struct {
	ID    payload.ID `json:"id"`
	Delta int        `json:"delta"`
}

// decodeOrderEdit is orders/edited: the changed lines of an order edit.
// The list says the direction, whatever sign its deltas come with.
func decodeOrderEdit(d delivery) (backorder.Facts, error) {
	var in struct {
		OrderEdit struct {
			ID        payload.ID `json:"id"`
			OrderID   payload.ID `json:"order_id"`
			CreatedAt string     `json:"created_at"`
			LineItems struct {
				Additions []editChange `json:"additions"`
				Removals  []editChange `json:"removals"`
			} `json:"line_items"`
		} `json:"order_edit"`
	}
	if err := payload.Decode(d.topic, d.body, &in); err != nil {
		return backorder.Facts{}, err
	}
	e := in.OrderEdit
	if e.ID == "" || e.OrderID == "" {
		return backorder.Facts{}, payload.Rejectf(d.topic, "order_edit lacks its id or order_id")
	}
	at, err := payload.ParseTime(d.topic, "order_edit.created_at", e.CreatedAt, time.RFC3339)
	if err != nil {
		return backorder.Facts{}, err
	}
	edit := backorder.OrderEdit{EditID: string(e.ID), OrderID: string(e.OrderID), EditedAt: at}
	add := func(list string, changes []editChange, sign int) error {
		for i, c := range changes {
			if c.ID == "" {
				return payload.Rejectf(d.topic, "order_edit.line_items.%s[%d] has no id", list, i)
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

// decodeRefund is refunds/create: the units of each line taken back.
func decodeRefund(d delivery) (backorder.Facts, error) {
	var in struct {
		ID              payload.ID `json:"id"`
		OrderID         payload.ID `json:"order_id"`
		CreatedAt       string     `json:"created_at"`
		RefundLineItems []struct {
			LineItemID  payload.ID `json:"line_item_id"`
			Quantity    int        `json:"quantity"`
			RestockType string     `json:"restock_type"`
		} `json:"refund_line_items"`
	}
	if err := payload.Decode(d.topic, d.body, &in); err != nil {
		return backorder.Facts{}, err
	}
	if in.ID == "" || in.OrderID == "" || in.RefundLineItems == nil {
		return backorder.Facts{}, payload.Rejectf(d.topic, "refund lacks its id, order_id or refund_line_items")
	}
	at, err := payload.ParseTime(d.topic, "created_at", in.CreatedAt, time.RFC3339)
	if err != nil {
		return backorder.Facts{}, err
	}
	refund := backorder.Refund{RefundID: string(in.ID), OrderID: string(in.OrderID), CreatedAt: at}
	for i, rl := range in.RefundLineItems {
		if rl.LineItemID == "" {
			return backorder.Facts{}, payload.Rejectf(d.topic, "refund_line_items[%d] has no line_item_id", i)
		}
		refund.Lines = append(refund.Lines, backorder.RefundLine{
			LineID: string(rl.LineItemID), Quantity: rl.Quantity, RestockType: rl.RestockType,
		})
	}
	return backorder.Facts{Refunds: []backorder.Refund{refund}}, nil
}
