package shopify_test

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/backorderd/backorderd/integrations/shopify/shopifytest"
	"github.com/backorderd/backorderd/integrations/storeapi"
)

var allWrites = storeapi.OrderWrites{Tag: true, Hold: true, ETA: true}

// kettleOrder is an order of three lines: mug and kettle ship together
// (fulfillment order 801), the teapot alone (802), which another app
// holds already.
func kettleOrder(s *shopifytest.Server, note string) {
	s.AddOrder(shopifytest.Order{
		ID: "6120458839152", Name: "#2417", Note: note, Tags: []string{"vip"},
		Lines: []shopifytest.LineItem{
			{ID: "15088930455664", VariantID: "46021178433648", ProductID: "8840127332464", SKU: "HK-MUG-12OZ-SLT", Quantity: 3},
			{ID: "15088930488432", VariantID: "46021178499184", ProductID: "8840127365232", SKU: "HK-KETTLE-1L-CPR", Quantity: 5},
			{ID: "15088930521200", VariantID: "46021178564720", ProductID: "8840127398000", SKU: "HK-TEAPOT-CAST-IND", Quantity: 2},
		},
		FulfillmentOrders: []shopifytest.FulfillmentOrder{
			{ID: "801", LineIDs: []string{"15088930455664", "15088930488432"}},
			{ID: "802", LineIDs: []string{"15088930521200"}, Holds: []shopifytest.Hold{{ID: "gid://shopify/FulfillmentHold/1", Handle: "fraud-check", Reason: "HIGH_RISK_OF_FRAUD"}}},
		},
	})
}

func day(s string) *time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return &t
}

// kettleState is backorderd's view of the order: the kettle waits for
// kettleWaits units, the teapot for teapotWaits.
func kettleState(kettleWaits, teapotWaits int) storeapi.Order {
	return storeapi.Order{OrderID: "6120458839152", Name: "#2417", Lines: []storeapi.Line{
		{LineID: "15088930488432", ItemID: "46021178499184", SKU: "HK-KETTLE-1L-CPR", Title: "Copper Stovetop Kettle - 1 L", Ordered: 5, Waiting: kettleWaits, ETA: day("2026-12-09"), ETAKind: "confirmed"},
		{LineID: "15088930521200", ItemID: "46021178564720", SKU: "HK-TEAPOT-CAST-IND", Title: "Cast Iron Teapot - Indigo", Ordered: 2, Waiting: teapotWaits, ETAKind: "unknown"},
	}}
}

// ourHolds are the fulfillment order's holds placed by backorderd.
func ourHolds(fo shopifytest.FulfillmentOrder) []shopifytest.Hold {
	var out []shopifytest.Hold
	for _, h := range fo.Holds {
		if h.Ours {
			out = append(out, h)
		}
	}
	return out
}

func TestSyncOrderWritesTagHoldMetafieldAndNoteThenNothingTheSecondTime(t *testing.T) {
	s, c := newShop(t)
	kettleOrder(s, "Please leave with the concierge")
	ctx := context.Background()
	state := kettleState(2, 0)
	if err := c.SyncOrder(ctx, state, allWrites); err != nil {
		t.Fatalf("SyncOrder: %v", err)
	}
	o, _ := s.Order("6120458839152")

	if want := []string{"vip", "backordered"}; !slices.Equal(o.Tags, want) {
		t.Errorf("tags: got %v, want %v", o.Tags, want)
	}
	held := ourHolds(o.FulfillmentOrders[0])
	if len(held) != 1 || held[0].Reason != "INVENTORY_OUT_OF_STOCK" || held[0].Handle != "backorderd" || held[0].ReasonNotes == "" {
		t.Errorf("fulfillment order 801 holds of ours: got %+v, want one INVENTORY_OUT_OF_STOCK hold with handle backorderd and notes", held)
	}
	if got := o.FulfillmentOrders[0].Status; got != "ON_HOLD" {
		t.Errorf("fulfillment order 801 status: got %s, want ON_HOLD", got)
	}
	if held := ourHolds(o.FulfillmentOrders[1]); len(held) != 0 {
		t.Errorf("fulfillment order 802 (nothing waits): got holds of ours %+v, want none", held)
	}
	mf := o.Metafields["backorderd.eta"]
	var lines []map[string]any
	if err := json.Unmarshal([]byte(mf.Value), &lines); err != nil || mf.Type != "json" {
		t.Fatalf("metafield backorderd.eta: got type %q value %q, want json", mf.Type, mf.Value)
	}
	wantLines := []map[string]any{{"line_id": "15088930488432", "sku": "HK-KETTLE-1L-CPR", "waiting": 2.0, "eta": "2026-12-09", "kind": "confirmed"}}
	if !reflect.DeepEqual(lines, wantLines) {
		t.Errorf("metafield lines: got %v, want %v", lines, wantLines)
	}
	wantNote := "Please leave with the concierge\n\n" + state.Note()
	if o.Note != wantNote {
		t.Errorf("note: got %q, want %q", o.Note, wantNote)
	}

	s.ResetCalls()
	if err := c.SyncOrder(ctx, state, allWrites); err != nil {
		t.Fatalf("SyncOrder again: %v", err)
	}
	if m := s.Mutations(); len(m) != 0 {
		t.Errorf("second SyncOrder mutations: got %v, want none", roots(m))
	}
	if got := roots(s.Calls()); !slices.Equal(got, []string{"order"}) {
		t.Errorf("second SyncOrder calls: got %v, want one read of the order", got)
	}
}

func TestSyncOrderReleasesWhenAllocatedAndKeepsTheMerchantsNote(t *testing.T) {
	s, c := newShop(t)
	kettleOrder(s, "")
	ctx := context.Background()
	if err := c.SyncOrder(ctx, kettleState(2, 1), allWrites); err != nil {
		t.Fatalf("SyncOrder waiting: %v", err)
	}
	o, _ := s.Order("6120458839152")
	if held := ourHolds(o.FulfillmentOrders[1]); len(held) != 1 || len(o.FulfillmentOrders[1].Holds) != 2 {
		t.Fatalf("fulfillment order 802 already held by another app: got holds %+v, want ours beside it", o.FulfillmentOrders[1].Holds)
	}
	// The merchant writes around backorderd's block meanwhile.
	o.Note = "Gift: no invoice\n\n" + o.Note + "\n\nCalled customer 12/02"
	s.AddOrder(o)

	allocated := kettleState(0, 0)
	if err := c.SyncOrder(ctx, allocated, allWrites); err != nil {
		t.Fatalf("SyncOrder allocated: %v", err)
	}
	o, _ = s.Order("6120458839152")
	for _, tc := range []struct {
		name      string
		got, want any
	}{
		{"tags", o.Tags, []string{"vip"}},
		{"801 status", o.FulfillmentOrders[0].Status, "OPEN"},
		{"801 holds", len(o.FulfillmentOrders[0].Holds), 0},
		{"802 status (another app's hold stays)", o.FulfillmentOrders[1].Status, "ON_HOLD"},
		{"802 holds", len(o.FulfillmentOrders[1].Holds), 1},
		{"802 remaining hold", o.FulfillmentOrders[1].Holds[0].Handle, "fraud-check"},
		{"metafield present", o.Metafields["backorderd.eta"].ID != "", false},
		{"note", o.Note, "Gift: no invoice\n\n" + allocated.Note() + "\n\nCalled customer 12/02"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !reflect.DeepEqual(tc.got, tc.want) {
				t.Errorf("%s: got %v, want %v", tc.name, tc.got, tc.want)
			}
		})
	}
	s.ResetCalls()
	if err := c.SyncOrder(ctx, allocated, allWrites); err != nil {
		t.Fatalf("SyncOrder allocated again: %v", err)
	}
	if m := s.Mutations(); len(m) != 0 {
		t.Errorf("second allocated SyncOrder mutations: got %v, want none", roots(m))
	}
}

func TestSyncOrderWritesOnlyWhatTheShopWants(t *testing.T) {
	for _, tc := range []struct {
		name   string
		writes storeapi.OrderWrites
		want   []string
	}{
		{"nothing", storeapi.OrderWrites{}, nil},
		{"tag only", storeapi.OrderWrites{Tag: true}, []string{"tagsAdd"}},
		{"hold only", storeapi.OrderWrites{Hold: true}, []string{"fulfillmentOrderHold"}},
		{"ETA only", storeapi.OrderWrites{ETA: true}, []string{"metafieldsSet", "orderUpdate"}},
		{"WooCommerce's settings mean nothing here", storeapi.OrderWrites{CustomerNote: true, Status: true}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, c := newShop(t)
			kettleOrder(s, "")
			if err := c.SyncOrder(context.Background(), kettleState(1, 0), tc.writes); err != nil {
				t.Fatalf("SyncOrder: %v", err)
			}
			if got := roots(s.Mutations()); !slices.Equal(got, tc.want) {
				t.Errorf("mutations: got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSyncOrderOfAnUnknownOrderIsPermanent(t *testing.T) {
	_, c := newShop(t)
	err := c.SyncOrder(context.Background(), storeapi.Order{OrderID: "404"}, allWrites)
	if e := storeError(t, err); e.Retryable {
		t.Errorf("error: got retryable %v, want permanent", e)
	}
}

func TestSyncOrderAfterAThrottledWriteRepeatsNothing(t *testing.T) {
	s, c := newShop(t)
	kettleOrder(s, "note")
	s.Fail("metafieldsSet", 1, shopifytest.Throttled)
	ctx := context.Background()
	state := kettleState(2, 0)
	err := c.SyncOrder(ctx, state, allWrites)
	if e := storeError(t, err); !e.Retryable {
		t.Fatalf("first attempt: got %v, want retryable", e)
	}
	s.ResetCalls()
	if err := c.SyncOrder(ctx, state, allWrites); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if got, want := roots(s.Mutations()), []string{"metafieldsSet", "orderUpdate"}; !slices.Equal(got, want) {
		t.Errorf("retry mutations: got %v, want only what the first attempt did not do %v", got, want)
	}
	o, _ := s.Order("6120458839152")
	if n := len(ourHolds(o.FulfillmentOrders[0])); n != 1 {
		t.Errorf("holds of ours after the retry: got %d, want 1", n)
	}
}

func TestSyncOrderSeesEveryFulfillmentOrderAndLine(t *testing.T) {
	s, c := newShop(t)
	o := shopifytest.Order{ID: "77", Name: "#77"}
	// Seven fulfillment orders of one line, then one of sixty: more than
	// one read of each returns.
	for i := range 7 {
		id := strconv.Itoa(100 + i)
		o.Lines = append(o.Lines, shopifytest.LineItem{ID: id, VariantID: "5", Quantity: 1})
		o.FulfillmentOrders = append(o.FulfillmentOrders, shopifytest.FulfillmentOrder{ID: "90" + id, LineIDs: []string{id}})
	}
	big := shopifytest.FulfillmentOrder{ID: "999"}
	for i := range 60 {
		id := strconv.Itoa(200 + i)
		o.Lines = append(o.Lines, shopifytest.LineItem{ID: id, VariantID: "6", Quantity: 1})
		big.LineIDs = append(big.LineIDs, id)
	}
	o.FulfillmentOrders = append(o.FulfillmentOrders, big)
	s.AddOrder(o)
	ctx := context.Background()
	waiting := storeapi.Order{OrderID: "77", Lines: []storeapi.Line{
		{LineID: "106", Waiting: 1}, // the seventh fulfillment order
		{LineID: "255", Waiting: 1}, // the 56th line of the big one
	}}
	if err := c.SyncOrder(ctx, waiting, storeapi.OrderWrites{Hold: true}); err != nil {
		t.Fatalf("SyncOrder: %v", err)
	}
	got, _ := s.Order("77")
	var held []string
	for _, fo := range got.FulfillmentOrders {
		if len(ourHolds(fo)) > 0 {
			held = append(held, fo.ID)
		}
	}
	if want := []string{"90106", "999"}; !slices.Equal(held, want) {
		t.Errorf("held fulfillment orders: got %v, want %v", held, want)
	}
	reads := map[string]int{}
	for _, call := range s.Calls() {
		reads[call.Name]++
	}
	if reads["OrderFulfillmentOrders"] == 0 || reads["FulfillmentOrderLineItems"] == 0 {
		t.Errorf("reads: got %v, want the fulfillment orders and the big one's lines read on", reads)
	}

	// The big one's waiting line allocated: only its hold is released.
	waiting.Lines[1].Waiting = 0
	if err := c.SyncOrder(ctx, waiting, storeapi.OrderWrites{Hold: true}); err != nil {
		t.Fatalf("SyncOrder: %v", err)
	}
	got, _ = s.Order("77")
	if n, m := len(ourHolds(got.FulfillmentOrders[6])), len(ourHolds(got.FulfillmentOrders[7])); n != 1 || m != 0 {
		t.Errorf("holds of ours on 90106 and 999: got %d and %d, want 1 and 0", n, m)
	}
}
