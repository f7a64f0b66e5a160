package webhooks_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/backorderd/backorderd/integrations/supplier"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

const supplierSecret = "supplier-secret-0123456789abcdef"

// sentPO registers an http supplier named name and sends it a purchase
// order of the WooCommerce shop for 10 of item 1517.
func (h *harness) sentPO(t *testing.T, name string) (store.Supplier, int64) {
	t.Helper()
	ctx := context.Background()
	sp, err := h.store.AddSupplier(ctx, store.Supplier{Name: name, Channel: store.ChannelHTTP,
		URL: "https://" + name + ".example/po", Secret: supplierSecret + name, LeadTimeDays: 10, Currency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	var poID int64
	err = h.store.InTx(ctx, func(tx *store.Tx) error {
		po, err := tx.DraftPO(ctx, h.woo.ID, sp.ID, "USD")
		if err != nil {
			return err
		}
		poID = po.ID
		return tx.AddToPOLine(ctx, po.ID, store.POLine{ItemID: "1517", SKU: "LW-APRON-CHR", SupplierSKU: name + "-9",
			Quantity: 10, UnitCost: "12.50"})
	})
	if err == nil {
		_, err = h.purchasing.Approve(ctx, poID)
	}
	if err != nil {
		t.Fatal(err)
	}
	return sp, poID
}

// callback posts body to supplier id's callback, signed with secret.
func (h *harness) callback(id any, secret, body string) int {
	headers := http.Header{}
	headers.Set(supplier.HeaderSignature, supplier.Sign(secret, []byte(body)))
	headers.Set("Content-Type", "application/json")
	return h.postTo(fmt.Sprintf("/webhooks/suppliers/%v", id), headers, []byte(body)).Code
}

func TestASuppliersSignedCallbackConfirmsOrCancelsOnlyItsOwnOrders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		h := newHarness(t, s, offline())
		a, poA := h.sentPO(t, "copperworks")
		b, poB := h.sentPO(t, "tinsmiths")
		confirm := fmt.Sprintf(`{"purchase_order_id":%d,"status":"confirmed","expected_at":"2026-12-15",`+
			`"lines":[{"supplier_sku":"copperworks-9","quantity":12}]}`, poA)
		tests := []struct {
			name   string
			id     any
			secret string
			body   string
			want   int
		}{
			{"forged", a.ID, "not-the-secret-at-all-000000", confirm, http.StatusUnauthorized},
			{"unknown supplier", 999, a.Secret, confirm, http.StatusUnauthorized},
			{"no supplier id", "x", a.Secret, confirm, http.StatusUnauthorized},
			{"another supplier's order", a.ID, a.Secret, fmt.Sprintf(`{"purchase_order_id":%d,"status":"cancelled"}`, poB), http.StatusNotFound},
			{"unknown order", a.ID, a.Secret, `{"purchase_order_id":4242,"status":"confirmed"}`, http.StatusNotFound},
			{"bad status", a.ID, a.Secret, fmt.Sprintf(`{"purchase_order_id":%d,"status":"maybe"}`, poA), http.StatusBadRequest},
			{"an item the order lacks", a.ID, a.Secret, fmt.Sprintf(`{"purchase_order_id":%d,"status":"confirmed","lines":[{"item_id":"77","quantity":1}]}`, poA), http.StatusUnprocessableEntity},
		}
		for _, tt := range tests {
			if code := h.callback(tt.id, tt.secret, tt.body); code != tt.want {
				t.Errorf("%s = %d, want %d", tt.name, code, tt.want)
			}
		}
		for _, id := range []int64{poA, poB} {
			if po, _, _, _ := s.PurchaseOrder(ctx, id); po.Status != store.POSent {
				t.Fatalf("after refused callbacks order %d is %s, want sent", id, po.Status)
			}
		}
		if code := h.callback(a.ID, a.Secret, confirm); code != http.StatusOK {
			t.Fatalf("valid confirmation = %d, want 200", code)
		}
		po, lines, _, _ := s.PurchaseOrder(ctx, poA)
		if po.Status != store.POConfirmed || po.ExpectedAt == nil || po.ExpectedAt.Format("2006-01-02") != "2026-12-15" ||
			lines[0].Quantity != 12 {
			t.Errorf("confirmed order = %+v %+v, want confirmed for 2026-12-15 with 12 units", po, lines)
		}
		cancel := fmt.Sprintf(`{"purchase_order_id":%d,"status":"cancelled","reason":"out of tin"}`, poB)
		if code := h.callback(b.ID, b.Secret, cancel); code != http.StatusOK {
			t.Fatalf("valid cancellation = %d, want 200", code)
		}
		if po, _, _, _ := s.PurchaseOrder(ctx, poB); po.Status != store.POCancelled || po.CancelReason == "" {
			t.Errorf("cancelled order = %+v, want cancelled with the reason", po)
		}
		if code := h.callback(b.ID, b.Secret, cancel); code != http.StatusConflict {
			t.Errorf("cancelling a cancelled order = %d, want 409", code)
		}
	})
}

func TestASupplierCallbackWithTheDatabaseDownIsRetriedLater(t *testing.T) {
	s := storetest.New(t, store.SQLite)
	h := newHarness(t, s, offline())
	a, poA := h.sentPO(t, "copperworks")
	s.Close()
	if code := h.callback(a.ID, a.Secret, fmt.Sprintf(`{"purchase_order_id":%d,"status":"confirmed"}`, poA)); code != http.StatusServiceUnavailable {
		t.Errorf("callback with the database down = %d, want 503", code)
	}
}
