package woocommerce

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"strings"

	"github.com/backorderd/backorderd/integrations/storeapi"
)

// Each write reads first and writes only what differs, or leaves a marker
// in the store (a meta key, a refund reason) that the next attempt reads:
// a retried job changes the store once.

// holdMeta marks an order backorderd put on hold, so that only those are
// released: a merchant's own hold is never lifted.
const holdMeta = "_backorderd_hold"

// receiptMeta prefixes the meta key that records a receipt added to a
// product's stock.
const receiptMeta = "_backorderd_receipt_"

// orderState is what the writes read of an order.
type orderState struct {
	Status      string      `json:"status"`
	Total       string      `json:"total"`
	DatePaidGMT *string     `json:"date_paid_gmt"` // null until paid
	MetaData    []metaEntry `json:"meta_data"`
	Refunds     []struct {
		Reason string `json:"reason"`
		Total  string `json:"total"` // negative: "-10.00"
	} `json:"refunds"`
}

// note is an order note.
type note struct {
	ID   int64  `json:"id"`
	Note string `json:"note"`
}

// SyncOrder makes the store show what o says, as w asks: an order note
// with each waiting line's ETA (w.ETA, visible to the customer when
// w.CustomerNote), and the status on-hold while a line waits, processing
// again once none does (w.Status). Only processing and on-hold orders
// change status, and only orders backorderd put on hold are released.
func (c *Client) SyncOrder(ctx context.Context, o storeapi.Order, w storeapi.OrderWrites) error {
	if w.ETA {
		if err := c.syncNote(ctx, o, w.CustomerNote); err != nil {
			return fmt.Errorf("sync note of order %s: %w", o.OrderID, err)
		}
	}
	if w.Status {
		if err := c.syncStatus(ctx, o); err != nil {
			return fmt.Errorf("sync status of order %s: %w", o.OrderID, err)
		}
	}
	return nil
}

// syncNote adds o.Note() unless the latest note backorderd wrote says the
// same.
func (c *Client) syncNote(ctx context.Context, o storeapi.Order, customer bool) error {
	path := "orders/" + o.OrderID + "/notes"
	var notes []note
	if _, err := c.call(ctx, http.MethodGet, path, nil, nil, &notes); err != nil {
		return err
	}
	text := o.Note()
	var latest *note
	for i, n := range notes {
		if strings.Contains(n.Note, "(backorderd)") && (latest == nil || n.ID > latest.ID) {
			latest = &notes[i]
		}
	}
	if latest == nil && !o.Waiting() {
		// The order never showed a backorder: "allocated" would puzzle.
		return nil
	}
	if latest != nil && sameText(latest.Note, text) {
		return nil
	}
	_, err := c.call(ctx, http.MethodPost, path, nil, map[string]any{"note": text, "customer_note": customer}, nil)
	return err
}

// sameText compares note texts as WordPress may have stored them:
// entities decoded, runs of white space as one space.
func sameText(stored, text string) bool {
	norm := func(s string) string { return strings.Join(strings.Fields(html.UnescapeString(s)), " ") }
	return norm(stored) == norm(text)
}

// syncStatus moves a processing order to on-hold while o waits (marking
// it as backorderd's hold, in the same PUT) and releases backorderd's hold
// once nothing waits.
func (c *Client) syncStatus(ctx context.Context, o storeapi.Order) error {
	path := "orders/" + o.OrderID
	var st orderState
	if _, err := c.call(ctx, http.MethodGet, path, nil, nil, &st); err != nil {
		return err
	}
	hold, _ := metaValue(st.MetaData, holdMeta)
	var update map[string]any
	switch {
	case o.Waiting() && st.Status == "processing":
		update = map[string]any{"status": "on-hold", "meta_data": []metaEntry{{Key: holdMeta, Value: "yes"}}}
	case !o.Waiting() && st.Status == "on-hold" && hold == "yes":
		update = map[string]any{"status": "processing", "meta_data": []metaEntry{{Key: holdMeta, Value: nil}}}
	case st.Status != "on-hold" && hold != "":
		// The merchant moved the order on: forget the hold, or a later hold
		// of theirs would be taken for ours.
		update = map[string]any{"meta_data": []metaEntry{{Key: holdMeta, Value: nil}}}
	default:
		return nil
	}
	_, err := c.call(ctx, http.MethodPut, path, nil, update, nil)
	return err
}

// itemPath is a product's path, or a variation's below its parent.
func itemPath(itemID, productID string) string {
	if productID == "" || productID == itemID {
		return "products/" + itemID
	}
	return "products/" + productID + "/variations/" + itemID
}

// stockState is what the writes read of a product or variation.
type stockState struct {
	Backorders    string          `json:"backorders"`
	ManageStock   json.RawMessage `json:"manage_stock"` // true, false, or "parent" on a variation
	StockQuantity *int            `json:"stock_quantity"`
	MetaData      []metaEntry     `json:"meta_data"`
}

// SetSelling sets the item's backorders to "no" when it.StopSelling, and
// back to "notify" when it may sell out of stock again (an item the
// merchant set to "yes" already does and is left so).
func (c *Client) SetSelling(ctx context.Context, it storeapi.Item) error {
	path := itemPath(it.ItemID, it.ProductID)
	var st stockState
	if _, err := c.call(ctx, http.MethodGet, path, nil, nil, &st); err != nil {
		return fmt.Errorf("set selling of item %s: %w", it.ItemID, err)
	}
	want := "notify"
	if it.StopSelling {
		want = "no"
	}
	if st.Backorders == want || !it.StopSelling && st.Backorders == "yes" {
		return nil
	}
	if _, err := c.call(ctx, http.MethodPut, path, nil, map[string]string{"backorders": want}, nil); err != nil {
		return fmt.Errorf("set selling of item %s: %w", it.ItemID, err)
	}
	return nil
}

// AddStock adds r.Units to the item's stock_quantity once per r.Key: the
// PUT that adds them also records the key in the item's meta_data. A
// variation whose stock its parent manages ("parent") has the units added
// to the parent.
//
// WooCommerce's REST API cannot add to stock, only set it: a sale between
// the GET and the PUT is overwritten. The window is one round trip.
func (c *Client) AddStock(ctx context.Context, r storeapi.Receipt) error {
	path := itemPath(r.ItemID, r.ProductID)
	st, err := c.stock(ctx, path)
	if err == nil && string(st.ManageStock) == `"parent"` && path != itemPath(r.ProductID, "") {
		path = itemPath(r.ProductID, "")
		st, err = c.stock(ctx, path)
	}
	if err != nil {
		return fmt.Errorf("add stock of receipt %s: %w", r.Key, err)
	}
	key := receiptMeta + r.Key
	if _, done := metaValue(st.MetaData, key); done {
		return nil
	}
	current := 0
	if string(st.ManageStock) == "true" && st.StockQuantity != nil {
		current = *st.StockQuantity
	}
	update := map[string]any{
		"stock_quantity": current + r.Units, "manage_stock": true,
		"meta_data": []metaEntry{{Key: key, Value: r.Units}},
	}
	if _, err := c.call(ctx, http.MethodPut, path, nil, update, nil); err != nil {
		return fmt.Errorf("add stock of receipt %s: %w", r.Key, err)
	}
	return nil
}

func (c *Client) stock(ctx context.Context, path string) (stockState, error) {
	var st stockState
	_, err := c.call(ctx, http.MethodGet, path, nil, nil, &st)
	return st, err
}

// CancelOrder refunds what a paid order has not had refunded (a manual
// refund: api_refund false, the merchant returns the money through the
// gateway) and cancels it, once: the refund's reason carries cn.Key, and a
// cancelled order is left alone. An order already completed or failed is
// not cancelled: that is a permanent error.
func (c *Client) CancelOrder(ctx context.Context, cn storeapi.Cancel) error {
	path := "orders/" + cn.OrderID
	var st orderState
	if _, err := c.call(ctx, http.MethodGet, path, nil, nil, &st); err != nil {
		return fmt.Errorf("cancel order %s: %w", cn.OrderID, err)
	}
	if st.Status == "cancelled" {
		return nil
	}
	marker := "[backorderd " + cn.Key + "]"
	refunded, due, err := refundState(st, marker)
	if err != nil {
		return &storeapi.Error{Op: "GET " + path, StatusCode: http.StatusOK, Message: err.Error()}
	}
	switch st.Status {
	case "pending", "processing", "on-hold":
	case "refunded":
		if !refunded {
			return &storeapi.Error{Op: "cancel order " + cn.OrderID, Message: "order was refunded in the store: not cancelled"}
		}
	default:
		return &storeapi.Error{Op: "cancel order " + cn.OrderID, Message: "order is " + st.Status + " in the store: not cancelled"}
	}
	// Only money taken is refunded: an order awaiting payment (pending,
	// or on-hold for a bank transfer) has no date_paid.
	paid := st.DatePaidGMT != nil && *st.DatePaidGMT != "" || st.Status == "processing"
	if paid && !refunded && due.positive() {
		refund := map[string]any{"amount": due.String(), "reason": strings.TrimSpace(cn.Reason + " " + marker), "api_refund": false}
		if _, err := c.call(ctx, http.MethodPost, path+"/refunds", nil, refund, nil); err != nil {
			return fmt.Errorf("refund order %s: %w", cn.OrderID, err)
		}
	}
	if _, err := c.call(ctx, http.MethodPut, path, nil, map[string]string{"status": "cancelled"}, nil); err != nil {
		return fmt.Errorf("cancel order %s: %w", cn.OrderID, err)
	}
	return nil
}

// refundState says whether a refund with marker exists, and what is left
// to refund: the total less the refunds (whose totals are negative).
func refundState(st orderState, marker string) (bool, amount, error) {
	due, err := parseAmount(st.Total)
	if err != nil {
		return false, amount{}, err
	}
	ours := false
	for _, r := range st.Refunds {
		ours = ours || strings.Contains(r.Reason, marker)
		t, err := parseAmount(r.Total)
		if err != nil {
			return false, amount{}, err
		}
		if t.positive() { // some plugins show refunds as positive sums
			t.units = -t.units
		}
		due = due.add(t)
	}
	return ours, due, nil
}

// metaEntry is one meta_data entry; a nil Value deletes the key.
type metaEntry struct {
	Key   string `json:"key"`
	Value any    `json:"value"`
}

// metaValue is the value of key in a resource's meta_data, as text.
func metaValue(meta []metaEntry, key string) (string, bool) {
	for _, m := range meta {
		if m.Key == key {
			switch v := m.Value.(type) {
			case string:
				return v, true
			case nil:
				return "", true
			default:
				b, _ := json.Marshal(v)
				return string(b), true
			}
		}
	}
	return "", false
}
