package supplier

import (
	"errors"
	"testing"
	"time"
)

func TestACallbackThatConfirmsGivesItsDates(t *testing.T) {
	c, err := ParseCallback([]byte(`{"purchase_order_id": 42, "status": "confirmed", "expected_at": "2026-12-15",
		"lines": [{"item_id": "4471", "quantity": 20, "expected_at": "2026-12-20"}, {"supplier_sku": "CU-2000", "quantity": 0}, {"item_id": "9"}],
		"extra": "ignored"}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.PurchaseOrderID != 42 || c.Status != StatusConfirmed || len(c.Lines) != 3 {
		t.Fatalf("callback = %+v", c)
	}
	if got := c.Expected(); got == nil || !got.Equal(time.Date(2026, 12, 15, 0, 0, 0, 0, time.UTC)) || got.Location() != time.UTC {
		t.Errorf("expected = %v, want 2026-12-15 00:00 UTC", got)
	}
	if got := c.Lines[0].Expected(); got == nil || !got.Equal(time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("line expected = %v, want 2026-12-20", got)
	}
	if c.Lines[1].Expected() != nil || c.Lines[1].Quantity == nil || *c.Lines[1].Quantity != 0 {
		t.Errorf("second line = %+v, want quantity 0 and no date", c.Lines[1])
	}
	if c.Lines[2].Quantity != nil {
		t.Errorf("a line without a quantity has quantity %d", *c.Lines[2].Quantity)
	}
}

func TestACallbackThatCancelsNeedsNoDate(t *testing.T) {
	c, err := ParseCallback([]byte(`{"purchase_order_id": 42, "status": "cancelled", "reason": "discontinued"}`))
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != StatusCancelled || c.Reason != "discontinued" || c.Expected() != nil {
		t.Errorf("callback = %+v", c)
	}
}

func TestABadCallbackSaysWhichField(t *testing.T) {
	tests := []struct {
		name, body, field string
	}{
		{"not JSON", `{"purchase_order_id": 42,`, "body"},
		{"an array", `[]`, "body"},
		{"id as a string", `{"purchase_order_id": "42", "status": "confirmed"}`, "body"},
		{"no id", `{"status": "confirmed"}`, "purchase_order_id"},
		{"id zero", `{"purchase_order_id": 0, "status": "confirmed"}`, "purchase_order_id"},
		{"id negative", `{"purchase_order_id": -3, "status": "confirmed"}`, "purchase_order_id"},
		{"no status", `{"purchase_order_id": 42}`, "status"},
		{"another status", `{"purchase_order_id": 42, "status": "shipped"}`, "status"},
		{"status in capitals", `{"purchase_order_id": 42, "status": "Confirmed"}`, "status"},
		{"date with a time", `{"purchase_order_id": 42, "status": "confirmed", "expected_at": "2026-12-15T00:00:00Z"}`, "expected_at"},
		{"date unpadded", `{"purchase_order_id": 42, "status": "confirmed", "expected_at": "2026-12-5"}`, "expected_at"},
		{"no such date", `{"purchase_order_id": 42, "status": "confirmed", "expected_at": "2026-02-30"}`, "expected_at"},
		{"day first", `{"purchase_order_id": 42, "status": "confirmed", "expected_at": "15/12/2026"}`, "expected_at"},
		{"line naming nothing", `{"purchase_order_id": 42, "status": "confirmed", "lines": [{"item_id": "1"}, {"quantity": 3}]}`, "lines[1]"},
		{"line quantity negative", `{"purchase_order_id": 42, "status": "confirmed", "lines": [{"item_id": "1", "quantity": -1}]}`, "lines[0].quantity"},
		{"line date bad", `{"purchase_order_id": 42, "status": "confirmed", "lines": [{"supplier_sku": "X", "expected_at": "soon"}]}`, "lines[0].expected_at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseCallback([]byte(tt.body))
			var e *CallbackError
			if !errors.As(err, &e) {
				t.Fatalf("ParseCallback = %v, want a *CallbackError", err)
			}
			if e.Field != tt.field {
				t.Errorf("error names %q (%v), want %q", e.Field, err, tt.field)
			}
		})
	}
}
