package woocommerce_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backorderd/backorderd/integrations/storeapi"
	"github.com/backorderd/backorderd/integrations/woocommerce/woocommercetest"
)

var eta = time.Date(2026, 12, 9, 0, 0, 0, 0, time.UTC)

// waitingOrder is order 48213 with its apron line waiting.
func waitingOrder(waiting int) storeapi.Order {
	return storeapi.Order{OrderID: "48213", Name: "48213", Lines: []storeapi.Line{
		{LineID: "9072", ItemID: "1517", SKU: "LW-APRON-CHR", Title: "Linen Apron - Charcoal", Ordered: 3, Waiting: waiting, ETA: &eta, ETAKind: "confirmed"},
	}}
}

// orderStatus and orderMeta read the store's order.
func orderStatus(s *woocommercetest.Server, id int64) string {
	return fmt.Sprint(s.Order(id)["status"])
}

func orderMeta(s *woocommercetest.Server, id int64, key string) (any, bool) {
	meta, _ := s.Order(id)["meta_data"].([]any)
	for _, m := range meta {
		if e := m.(map[string]any); e["key"] == key {
			return e["value"], true
		}
	}
	return nil, false
}

// ourNotes are the notes the client added (not WooCommerce's own).
func ourNotes(s *woocommercetest.Server, id int64) []woocommercetest.Note {
	var ns []woocommercetest.Note
	for _, n := range s.Notes(id) {
		if n.AddedByUser {
			ns = append(ns, n)
		}
	}
	return ns
}

func TestSyncOrderHoldsWithANoteAndASecondSyncWritesNothing(t *testing.T) {
	for _, customer := range []bool{false, true} {
		t.Run(fmt.Sprintf("customer note %v", customer), func(t *testing.T) {
			s, c := newStore(t)
			id := s.AddOrder(`{"id":48213,"status":"processing","total":"177.80","line_items":[]}`)
			o := waitingOrder(2)
			w := storeapi.OrderWrites{ETA: true, CustomerNote: customer, Status: true}
			if err := c.SyncOrder(context.Background(), o, w); err != nil {
				t.Fatalf("SyncOrder: %v", err)
			}
			notes := ourNotes(s, id)
			if len(notes) != 1 || notes[0].Note != o.Note() || notes[0].CustomerNote != customer {
				t.Errorf("notes: got %+v, want one %q with customer_note %v", notes, o.Note(), customer)
			}
			if !strings.Contains(notes[0].Note, "2 × Linen Apron - Charcoal (LW-APRON-CHR): expected by 2026-12-09 (confirmed)") {
				t.Errorf("note: got %q, want the line's units and ETA", notes[0].Note)
			}
			if got := orderStatus(s, id); got != "on-hold" {
				t.Errorf("status: got %q, want on-hold", got)
			}
			if v, _ := orderMeta(s, id, "_backorderd_hold"); v != "yes" {
				t.Errorf("meta _backorderd_hold: got %v, want yes", v)
			}
			if got := writesOf(s); !slices.Equal(got, []string{"POST orders/48213/notes", "PUT orders/48213"}) {
				t.Errorf("writes: got %v, want the note, then status and mark in one PUT", got)
			}

			s.ResetCalls()
			if err := c.SyncOrder(context.Background(), o, w); err != nil {
				t.Fatalf("second SyncOrder: %v", err)
			}
			if got := writesOf(s); len(got) != 0 {
				t.Errorf("second SyncOrder wrote %v, want nothing", got)
			}
		})
	}
}

func TestSyncOrderReleasesItsOwnHoldOnly(t *testing.T) {
	for _, tc := range []struct {
		name       string
		order      string
		wantStatus string
		wantWrites []string
	}{
		{"our hold is released", `{"id":48213,"status":"on-hold","meta_data":[{"id":1,"key":"_backorderd_hold","value":"yes"}]}`,
			"processing", []string{"PUT orders/48213"}},
		{"the merchant's hold stays", `{"id":48213,"status":"on-hold"}`, "on-hold", nil},
		{"a completed order stays", `{"id":48213,"status":"completed"}`, "completed", nil},
		{"a pending order is not held", `{"id":48213,"status":"pending"}`, "pending", nil},
		{"a mark left on an order the merchant moved on is cleared", `{"id":48213,"status":"completed","meta_data":[{"id":1,"key":"_backorderd_hold","value":"yes"}]}`,
			"completed", []string{"PUT orders/48213"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, c := newStore(t)
			id := s.AddOrder(tc.order)
			if err := c.SyncOrder(context.Background(), waitingOrder(0), storeapi.OrderWrites{Status: true}); err != nil {
				t.Fatalf("SyncOrder: %v", err)
			}
			if got := orderStatus(s, id); got != tc.wantStatus {
				t.Errorf("status: got %q, want %q", got, tc.wantStatus)
			}
			if _, marked := orderMeta(s, id, "_backorderd_hold"); marked {
				t.Errorf("meta _backorderd_hold: still there, want it cleared")
			}
			if got := writesOf(s); !slices.Equal(got, tc.wantWrites) {
				t.Errorf("writes: got %v, want %v", got, tc.wantWrites)
			}
			s.ResetCalls()
			if err := c.SyncOrder(context.Background(), waitingOrder(0), storeapi.OrderWrites{Status: true}); err != nil || len(s.Writes()) != 0 {
				t.Errorf("second SyncOrder: got %v, writes %v; want no error, no writes", err, writesOf(s))
			}
		})
	}
}

func TestSyncOrderWritesNoAllocatedNoteOnAnOrderThatNeverShowedABackorder(t *testing.T) {
	s, c := newStore(t)
	id := s.AddOrder(`{"id":48213,"status":"processing"}`)
	if err := c.SyncOrder(context.Background(), waitingOrder(0), storeapi.OrderWrites{ETA: true, Status: true}); err != nil {
		t.Fatalf("SyncOrder: %v", err)
	}
	if notes := ourNotes(s, id); len(notes) != 0 || len(s.Writes()) != 0 {
		t.Errorf("notes %+v, writes %v: want none", notes, writesOf(s))
	}
}

func TestSyncOrderWritesANewNoteWhenTheETAChanges(t *testing.T) {
	s, c := newStore(t)
	id := s.AddOrder(`{"id":48213,"status":"processing"}`)
	ctx := context.Background()
	w := storeapi.OrderWrites{ETA: true, Status: true}
	steps := []storeapi.Order{waitingOrder(2), waitingOrder(1), waitingOrder(1), waitingOrder(0), waitingOrder(0)}
	for i, o := range steps {
		if err := c.SyncOrder(ctx, o, w); err != nil {
			t.Fatalf("SyncOrder %d: %v", i, err)
		}
	}
	var got []string
	for _, n := range ourNotes(s, id) {
		got = append(got, strings.SplitN(n.Note, "\n", 2)[0])
	}
	want := []string{"Backordered (backorderd):", "Backordered (backorderd):", "Backorder allocated (backorderd): every unit is in stock."}
	if !slices.Equal(got, want) {
		t.Errorf("notes: got %q, want %q", got, want)
	}
	if st := orderStatus(s, id); st != "processing" {
		t.Errorf("status: got %q, want processing once allocated", st)
	}
}

func TestSetSellingProductsAndVariationsBothWays(t *testing.T) {
	for _, tc := range []struct {
		name    string
		item    storeapi.Item
		before  string
		want    string
		wantPut string // "" when nothing is written
	}{
		{"product stops", storeapi.Item{ItemID: "1534", StopSelling: true}, "notify", "no", "PUT products/1534"},
		{"product sells again", storeapi.Item{ItemID: "1534", ProductID: "1534"}, "no", "notify", "PUT products/1534"},
		{"variation stops", storeapi.Item{ItemID: "1517", ProductID: "1502", StopSelling: true}, "notify", "no", "PUT products/1502/variations/1517"},
		{"variation sells again", storeapi.Item{ItemID: "1517", ProductID: "1502"}, "no", "notify", "PUT products/1502/variations/1517"},
		{"already stopped", storeapi.Item{ItemID: "1534", StopSelling: true}, "no", "no", ""},
		{"a product the merchant lets sell (yes) is left so", storeapi.Item{ItemID: "1534"}, "yes", "yes", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, c := newStore(t)
			s.AddProduct(fmt.Sprintf(`{"id":1534,"name":"Mug","type":"simple","backorders":%q}`, tc.before))
			s.AddProduct(`{"id":1502,"name":"Linen Apron","type":"variable"}`)
			s.AddVariation(1502, fmt.Sprintf(`{"id":1517,"name":"Linen Apron - Charcoal","backorders":%q}`, tc.before))
			if err := c.SetSelling(context.Background(), tc.item); err != nil {
				t.Fatalf("SetSelling: %v", err)
			}
			if got := fmt.Sprint(s.Product(mustID(tc.item.ItemID))["backorders"]); got != tc.want {
				t.Errorf("backorders: got %q, want %q", got, tc.want)
			}
			var want []string
			if tc.wantPut != "" {
				want = []string{tc.wantPut}
			}
			if got := writesOf(s); !slices.Equal(got, want) {
				t.Errorf("writes: got %v, want %v", got, want)
			}
			s.ResetCalls()
			if err := c.SetSelling(context.Background(), tc.item); err != nil || len(s.Writes()) != 0 {
				t.Errorf("second SetSelling: got %v, writes %v; want no error, no writes", err, writesOf(s))
			}
		})
	}
}

func mustID(s string) int64 {
	var n int64
	_, _ = fmt.Sscan(s, &n)
	return n
}

func TestAddStockOncePerReceipt(t *testing.T) {
	for _, tc := range []struct {
		name      string
		receipt   storeapi.Receipt
		stockedAt int64 // whose stock_quantity grows
		want      int64
		wantPut   string
	}{
		{"product", storeapi.Receipt{Key: "po-7-line-1", ItemID: "1534", Units: 12}, 1534, 8, "PUT products/1534"},
		{"variation", storeapi.Receipt{Key: "po-7-line-2", ItemID: "1517", ProductID: "1502", Units: 5}, 1517, 3, "PUT products/1502/variations/1517"},
		{"variation whose parent manages stock", storeapi.Receipt{Key: "po-7-line-3", ItemID: "1518", ProductID: "1502", Units: 4}, 1502, 10, "PUT products/1502"},
		{"product without managed stock", storeapi.Receipt{Key: "po-7-line-4", ItemID: "1600", Units: 6}, 1600, 6, "PUT products/1600"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, c := newStore(t)
			s.AddProduct(`{"id":1534,"name":"Mug","type":"simple","manage_stock":true,"stock_quantity":-4,"backorders":"notify"}`)
			s.AddProduct(`{"id":1502,"name":"Linen Apron","type":"variable","manage_stock":true,"stock_quantity":6}`)
			s.AddVariation(1502, `{"id":1517,"name":"Linen Apron - Charcoal","manage_stock":true,"stock_quantity":-2}`)
			s.AddVariation(1502, `{"id":1518,"name":"Linen Apron - Sand","manage_stock":"parent","stock_quantity":null}`)
			s.AddProduct(`{"id":1600,"name":"Tea Towel","type":"simple","manage_stock":false,"stock_quantity":null}`)
			for i := range 2 {
				if err := c.AddStock(context.Background(), tc.receipt); err != nil {
					t.Fatalf("AddStock %d: %v", i+1, err)
				}
			}
			p := s.Product(tc.stockedAt)
			if got := fmt.Sprint(p["stock_quantity"]); got != fmt.Sprint(tc.want) || p["manage_stock"] != true {
				t.Errorf("stock_quantity: got %s (manage_stock %v), want %d managed", got, p["manage_stock"], tc.want)
			}
			if got := writesOf(s); !slices.Equal(got, []string{tc.wantPut}) {
				t.Errorf("writes: got %v, want one %s", got, tc.wantPut)
			}
			var body map[string]json.RawMessage
			_ = json.Unmarshal([]byte(s.Writes()[0].Body), &body)
			if !strings.Contains(string(body["meta_data"]), `"_backorderd_receipt_`+tc.receipt.Key+`"`) {
				t.Errorf("PUT body: got %s, want the receipt's meta key in the same request", s.Writes()[0].Body)
			}
		})
	}
}

func TestCancelOrderRefundsTheRestAsAStringAndCancelsOnce(t *testing.T) {
	s, c := newStore(t)
	id := s.AddOrder(`{"id":48213,"status":"on-hold","total":"177.80","date_paid_gmt":"2025-11-18T14:42:21","refunds":[{"id":1,"reason":"goodwill","total":"-10.00"}]}`)
	cn := storeapi.Cancel{Key: "cancel-48213", OrderID: "48213", Reason: "Waited past 30 days"}
	for i := range 2 {
		if err := c.CancelOrder(context.Background(), cn); err != nil {
			t.Fatalf("CancelOrder %d: %v", i+1, err)
		}
	}
	if got := writesOf(s); !slices.Equal(got, []string{"POST orders/48213/refunds", "PUT orders/48213"}) {
		t.Fatalf("writes: got %v, want one refund, then one cancel", got)
	}
	refund := s.Writes()[0].Body
	var body map[string]json.RawMessage
	if err := json.Unmarshal([]byte(refund), &body); err != nil {
		t.Fatalf("refund body %s: %v", refund, err)
	}
	if got := string(body["amount"]); got != `"167.80"` {
		t.Errorf("refund amount: got %s, want the JSON string \"167.80\"", got)
	}
	if got := string(body["api_refund"]); got != "false" {
		t.Errorf("api_refund: got %s, want false", got)
	}
	if !strings.Contains(string(body["reason"]), "Waited past 30 days") || !strings.Contains(string(body["reason"]), "cancel-48213") {
		t.Errorf("reason: got %s, want the reason and the write's key", body["reason"])
	}
	if got := orderStatus(s, id); got != "cancelled" {
		t.Errorf("status: got %q, want cancelled", got)
	}
}

func TestCancelOrderRetriedAfterTheRefundRefundsOnce(t *testing.T) {
	s, c := newStore(t)
	id := s.AddOrder(`{"id":48213,"status":"processing","total":"177.80"}`)
	cn := storeapi.Cancel{Key: "cancel-48213", OrderID: "48213", Reason: "Waited too long"}
	s.Fail(http.MethodPut, "orders/48213", 1, http.StatusBadGateway)
	err := c.CancelOrder(context.Background(), cn)
	if e := storeError(t, err); !e.Retryable {
		t.Fatalf("first attempt: got %v, want a retryable error", err)
	}
	if got := orderStatus(s, id); got != "refunded" {
		t.Fatalf("after the refund: got status %q, want refunded (WooCommerce marks a fully refunded order)", got)
	}
	if err := c.CancelOrder(context.Background(), cn); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if got := writesOf(s); !slices.Equal(got, []string{"POST orders/48213/refunds", "PUT orders/48213"}) {
		t.Errorf("writes: got %v, want one refund and one cancel", got)
	}
	if got := orderStatus(s, id); got != "cancelled" {
		t.Errorf("status: got %q, want cancelled", got)
	}
}

func TestCancelOrderRefundsNothingOnAnUnpaidOrder(t *testing.T) {
	for _, status := range []string{"pending", "on-hold"} {
		t.Run(status, func(t *testing.T) {
			s, c := newStore(t)
			id := s.AddOrder(fmt.Sprintf(`{"id":48213,"status":%q,"total":"177.80","date_paid_gmt":null}`, status))
			if err := c.CancelOrder(context.Background(), storeapi.Cancel{Key: "k", OrderID: "48213", Reason: "late"}); err != nil {
				t.Fatalf("CancelOrder: %v", err)
			}
			if got := writesOf(s); !slices.Equal(got, []string{"PUT orders/48213"}) {
				t.Errorf("writes: got %v, want only the cancel", got)
			}
			if got := orderStatus(s, id); got != "cancelled" {
				t.Errorf("status: got %q, want cancelled", got)
			}
		})
	}
}

func TestCancelOrderLeavesFinishedOrdersAlone(t *testing.T) {
	for _, status := range []string{"completed", "refunded", "failed"} {
		t.Run(status, func(t *testing.T) {
			s, c := newStore(t)
			s.AddOrder(fmt.Sprintf(`{"id":48213,"status":%q,"total":"177.80"}`, status))
			err := c.CancelOrder(context.Background(), storeapi.Cancel{Key: "k", OrderID: "48213", Reason: "late"})
			if !storeapi.IsPermanent(err) || !strings.Contains(err.Error(), status) {
				t.Errorf("CancelOrder: got %v, want a permanent error naming %s", err, status)
			}
			if got := writesOf(s); len(got) != 0 {
				t.Errorf("writes: got %v, want none", got)
			}
		})
	}
}
