package shopify_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/backorderd/backorderd/integrations/shopify/shopifytest"
	"github.com/backorderd/backorderd/integrations/storeapi"
)

func kettleProduct(s *shopifytest.Server) {
	s.AddProduct(shopifytest.Product{ID: "8840127365232", Title: "Copper Stovetop Kettle", Variants: []shopifytest.Variant{
		{ID: "46021178499184", Title: "1 L", SKU: "HK-KETTLE-1L-CPR", InventoryItemID: "48811230042417", InventoryPolicy: "CONTINUE"},
		{ID: "46021178531952", Title: "1.5 L", SKU: "HK-KETTLE-15L-CPR", InventoryItemID: "48811230075185", InventoryPolicy: "DENY"},
	}})
	s.SetLevel("48811230042417", "81264410913", 3, s.Now())
	s.SetLevel("48811230042417", "81264410914", 1, s.Now())
}

func TestSetSellingBothWaysAndOnlyWhenItDiffers(t *testing.T) {
	s, c := newShop(t)
	kettleProduct(s)
	ctx := context.Background()
	for _, tc := range []struct {
		name          string
		stop          bool
		wantPolicy    string
		wantMutations int
	}{
		{"at the cap: DENY", true, "DENY", 1},
		{"again at the cap: nothing", true, "DENY", 0},
		{"below the cap: CONTINUE", false, "CONTINUE", 1},
		{"again below: nothing", false, "CONTINUE", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.ResetCalls()
			if err := c.SetSelling(ctx, storeapi.Item{ItemID: "46021178499184", ProductID: "8840127365232", StopSelling: tc.stop}); err != nil {
				t.Fatalf("SetSelling: %v", err)
			}
			p, _ := s.Product("8840127365232")
			if got := p.Variants[0].InventoryPolicy; got != tc.wantPolicy {
				t.Errorf("policy: got %s, want %s", got, tc.wantPolicy)
			}
			if got := p.Variants[1].InventoryPolicy; got != "DENY" {
				t.Errorf("the other variant's policy: got %s, want DENY untouched", got)
			}
			if got := len(s.Mutations()); got != tc.wantMutations {
				t.Errorf("mutations: got %d, want %d", got, tc.wantMutations)
			}
		})
	}
}

func TestAddStockOncePerKey(t *testing.T) {
	s, c := newShop(t)
	kettleProduct(s)
	ctx := context.Background()
	for _, tc := range []struct {
		name           string
		r              storeapi.Receipt
		wantFirst      int // units at 81264410913
		wantSecond     int // units at 81264410914
		wantAdjustSent bool
	}{
		{"first location when none is named", storeapi.Receipt{Key: "po-7/receipt-1", StockKey: "48811230042417", Units: 5}, 8, 1, true},
		{"same key again adds nothing", storeapi.Receipt{Key: "po-7/receipt-1", StockKey: "48811230042417", Units: 5}, 8, 1, true},
		{"another key adds", storeapi.Receipt{Key: "po-7/receipt-2", StockKey: "48811230042417", LocationID: "81264410914", Units: 4}, 8, 5, true},
		{"no units: no call", storeapi.Receipt{Key: "po-7/receipt-3", StockKey: "48811230042417"}, 8, 5, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s.ResetCalls()
			if err := c.AddStock(ctx, tc.r); err != nil {
				t.Fatalf("AddStock: %v", err)
			}
			first, _ := s.Level("48811230042417", "81264410913")
			second, _ := s.Level("48811230042417", "81264410914")
			if first.Available != tc.wantFirst || second.Available != tc.wantSecond {
				t.Errorf("levels: got %d and %d, want %d and %d", first.Available, second.Available, tc.wantFirst, tc.wantSecond)
			}
			m := s.Mutations()
			if !tc.wantAdjustSent {
				if len(m) != 0 {
					t.Errorf("mutations: got %v, want none", roots(m))
				}
				return
			}
			if len(m) != 1 {
				t.Fatalf("mutations: got %v, want one inventoryAdjustQuantities", roots(m))
			}
			var vars struct {
				Key string `json:"key"`
			}
			if err := json.Unmarshal(m[0].Variables, &vars); err != nil || vars.Key != tc.r.Key {
				t.Errorf("idempotency key: got %q, want %q", vars.Key, tc.r.Key)
			}
		})
	}
}

func TestAddStockOfAnItemStockedNowhereIsPermanent(t *testing.T) {
	_, c := newShop(t)
	err := c.AddStock(context.Background(), storeapi.Receipt{Key: "k", StockKey: "1", Units: 1})
	if e := storeError(t, err); e.Retryable {
		t.Errorf("error: got retryable %v, want permanent", e)
	}
}

func TestCancelOrderTwiceCancelsOnce(t *testing.T) {
	s, c := newShop(t)
	kettleOrder(s, "")
	ctx := context.Background()
	cn := storeapi.Cancel{Key: "cancel-6120458839152", OrderID: "6120458839152", Reason: "Waited past the shop's maximum of 30 days"}
	for range 2 {
		if err := c.CancelOrder(ctx, cn); err != nil {
			t.Fatalf("CancelOrder: %v", err)
		}
	}
	if got := roots(s.Mutations()); !slices.Equal(got, []string{"orderCancel"}) {
		t.Errorf("mutations: got %v, want one orderCancel", got)
	}
	o, _ := s.Order("6120458839152")
	for _, tc := range []struct {
		name      string
		got, want any
	}{
		{"cancelled", o.CancelledAt != nil, true},
		{"reason", o.CancelReason, "INVENTORY"},
		{"refunded", o.Refunded, true},
		{"restocked", o.Restocked, true},
		{"customer notified by Shopify", o.NotifiedCustomer, false},
		{"staff note", o.StaffNote, cn.Reason},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}

func TestSyncOrderOfACancelledOrderReleasesNothing(t *testing.T) {
	s, c := newShop(t)
	kettleOrder(s, "")
	ctx := context.Background()
	if err := c.SyncOrder(ctx, kettleState(2, 0), allWrites); err != nil {
		t.Fatalf("SyncOrder waiting: %v", err)
	}
	if err := c.CancelOrder(ctx, storeapi.Cancel{Key: "k", OrderID: "6120458839152", Reason: "waited too long"}); err != nil {
		t.Fatalf("CancelOrder: %v", err)
	}
	s.ResetCalls()
	if err := c.SyncOrder(ctx, kettleState(0, 0), storeapi.OrderWrites{Hold: true}); err != nil {
		t.Fatalf("SyncOrder after the cancel: got %v, want no error", err)
	}
	if m := s.Mutations(); len(m) != 0 {
		t.Errorf("mutations: got %v, want none on closed fulfillment orders", roots(m))
	}
}
