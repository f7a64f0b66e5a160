package supplier

import (
	"encoding/json"
	"fmt"
	"time"
)

// PODocument is the purchase order a supplier on the http channel is sent,
// as JSON. A changed order is sent again with a higher Revision.
type PODocument struct {
	PurchaseOrderID int64       `json:"purchase_order_id"`
	Revision        int         `json:"revision"`
	Shop            string      `json:"shop"` // the ordering shop's name
	Currency        string      `json:"currency"`
	CreatedAt       time.Time   `json:"created_at"`
	Lines           []PODocLine `json:"lines"`
}

// PODocLine is one item ordered. UnitCost is a decimal string ("12.50"),
// never a float.
type PODocLine struct {
	ItemID      string `json:"item_id"`
	SKU         string `json:"sku"`
	SupplierSKU string `json:"supplier_sku"`
	Title       string `json:"title"`
	Quantity    int    `json:"quantity"`
	UnitCost    string `json:"unit_cost"`
}

// The statuses a supplier's callback may report.
const (
	StatusConfirmed = "confirmed"
	StatusCancelled = "cancelled"
)

// dateLayout is a calendar date as callbacks and documents write it.
const dateLayout = "2006-01-02"

// Callback is a supplier's answer to a purchase order, POSTed to
// /webhooks/suppliers/{id} and signed like the order. Only what it names
// changes: an empty ExpectedAt keeps the order's date, a line without
// Quantity keeps its quantity.
type Callback struct {
	PurchaseOrderID int64          `json:"purchase_order_id"`
	Status          string         `json:"status"`      // StatusConfirmed or StatusCancelled
	ExpectedAt      string         `json:"expected_at"` // YYYY-MM-DD, or ""
	Reason          string         `json:"reason"`      // why, for a cancellation
	Lines           []CallbackLine `json:"lines"`
}

// CallbackLine changes one line of the order, named by ItemID or by the
// supplier's own SKU.
type CallbackLine struct {
	ItemID      string `json:"item_id"`
	SupplierSKU string `json:"supplier_sku"`
	Quantity    *int   `json:"quantity"`
	ExpectedAt  string `json:"expected_at"` // YYYY-MM-DD, or ""
}

// Expected is the order's expected date at 00:00 UTC, nil when the
// callback gives none.
func (c Callback) Expected() *time.Time { return date(c.ExpectedAt) }

// Expected is the line's expected date at 00:00 UTC, nil when the line
// gives none.
func (l CallbackLine) Expected() *time.Time { return date(l.ExpectedAt) }

// CallbackError is a callback that cannot be used, and the field at fault.
type CallbackError struct {
	Field  string // "purchase_order_id", "lines[1].quantity", or "body"
	Reason string
}

func (e *CallbackError) Error() string {
	return "supplier callback: " + e.Field + ": " + e.Reason
}

// ParseCallback decodes and checks a callback's body. Its errors are
// *CallbackError.
func ParseCallback(body []byte) (Callback, error) {
	var c Callback
	if err := json.Unmarshal(body, &c); err != nil {
		return Callback{}, &CallbackError{Field: "body", Reason: "not a JSON callback: " + err.Error()}
	}
	if c.PurchaseOrderID <= 0 {
		return Callback{}, &CallbackError{Field: "purchase_order_id", Reason: "must be a purchase order id (> 0)"}
	}
	if c.Status != StatusConfirmed && c.Status != StatusCancelled {
		return Callback{}, &CallbackError{Field: "status", Reason: fmt.Sprintf("is %q, must be %q or %q", c.Status, StatusConfirmed, StatusCancelled)}
	}
	if err := checkDate("expected_at", c.ExpectedAt); err != nil {
		return Callback{}, err
	}
	for i, l := range c.Lines {
		field := fmt.Sprintf("lines[%d]", i)
		if l.ItemID == "" && l.SupplierSKU == "" {
			return Callback{}, &CallbackError{Field: field, Reason: "needs item_id or supplier_sku"}
		}
		if l.Quantity != nil && *l.Quantity < 0 {
			return Callback{}, &CallbackError{Field: field + ".quantity", Reason: "must be 0 or more"}
		}
		if err := checkDate(field+".expected_at", l.ExpectedAt); err != nil {
			return Callback{}, err
		}
	}
	return c, nil
}

func checkDate(field, s string) error {
	if s == "" {
		return nil
	}
	if _, err := time.Parse(dateLayout, s); err != nil {
		return &CallbackError{Field: field, Reason: fmt.Sprintf("is %q, must be a date YYYY-MM-DD", s)}
	}
	return nil
}

// date is s (YYYY-MM-DD) at 00:00 UTC, nil when empty or not a date.
func date(s string) *time.Time {
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return nil
	}
	return &t
}
