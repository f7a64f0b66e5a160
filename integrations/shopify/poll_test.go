package shopify_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/integrations/payload"
	"github.com/backorderd/backorderd/integrations/payload/payloadtest"
	"github.com/backorderd/backorderd/integrations/shopify"
	"github.com/backorderd/backorderd/integrations/shopify/shopifytest"
	"github.com/backorderd/backorderd/integrations/storeapi"
)

const kettleLocation = "81264410913"

// decoded is what the package's own decoder makes of a delivery: a polled
// change must give what the webhook gives. No Triggered-At header: a poll
// has none.
func decoded(t *testing.T, topic string, body []byte) backorder.Facts {
	t.Helper()
	return payloadtest.Normalized(t, shopify.Normalize, payload.Delivery{Shop: shopDomain, Topic: topic, Body: body})
}

// collect polls everything changed since since.
func collect(t *testing.T, c *shopify.Client, since time.Time) []storeapi.Change {
	t.Helper()
	var out []storeapi.Change
	if err := c.Changes(context.Background(), since, func(ch storeapi.Change) error {
		out = append(out, ch)
		return nil
	}); err != nil {
		t.Fatalf("Changes: %v", err)
	}
	return out
}

func TestChangesDecodeToTheFactsTheWebhooksGive(t *testing.T) {
	for _, tc := range []struct {
		fixture string // orders-* fixture the fake's order is seeded from
	}{
		{"orders-create"},
		{"orders-cancelled"},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			s, c := newShop(t)
			seedOrderFromFixture(t, s, tc.fixture)
			seedProductFromFixture(t, s, kettleLocation)
			changes := collect(t, c, time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC))

			byTopic := map[string][]storeapi.Change{}
			for _, ch := range changes {
				byTopic[ch.Topic] = append(byTopic[ch.Topic], ch)
			}
			if n := len(byTopic["orders/updated"]); n != 1 {
				t.Fatalf("orders/updated changes: got %d, want 1", n)
			}
			order := byTopic["orders/updated"][0]
			payloadtest.Check(t, "order facts", decoded(t, order.Topic, order.Body), decoded(t, "orders/updated", fixtureBody(t, tc.fixture)))
			want := decoded(t, "orders/updated", fixtureBody(t, tc.fixture)).Orders[0].UpdatedAt
			if !order.UpdatedAt.Equal(want) || withoutState(order.DedupeKey) != "poll:orders/updated:6120458839152:"+want.Format(time.RFC3339Nano) {
				t.Errorf("order change: got UpdatedAt %v key %q, want %v and a key naming the order and that time", order.UpdatedAt, order.DedupeKey, want)
			}

			if n := len(byTopic["products/update"]); n != 1 {
				t.Fatalf("products/update changes: got %d, want 1", n)
			}
			product := byTopic["products/update"][0]
			payloadtest.Check(t, "product facts", decoded(t, product.Topic, product.Body), decoded(t, "products/update", fixtureBody(t, "products-update")))

			wantLevel := decoded(t, "inventory_levels/update", fixtureBody(t, "inventory_levels-update"))
			var gotLevels []backorder.StockLevel
			for _, ch := range byTopic["inventory_levels/update"] {
				gotLevels = append(gotLevels, decoded(t, ch.Topic, ch.Body).Levels...)
			}
			if !slices.ContainsFunc(gotLevels, func(l backorder.StockLevel) bool {
				return payloadtest.Show(l) == payloadtest.Show(wantLevel.Levels[0])
			}) {
				t.Errorf("levels: got %s, want among them %s", payloadtest.Show(gotLevels), payloadtest.Show(wantLevel.Levels[0]))
			}
		})
	}
}

func TestChangesPageAndKeepToTheWatermark(t *testing.T) {
	s, c := newShop(t)
	s.PageSize = 1
	base := time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
	for i, id := range []string{"1001", "1002", "1003"} {
		at := base.Add(time.Duration(i) * time.Hour)
		s.AddOrder(shopifytest.Order{ID: id, Name: "#" + id, CreatedAt: at, UpdatedAt: at, Lines: []shopifytest.LineItem{{ID: id + "1", VariantID: "11", ProductID: "10", Quantity: 1}}})
	}
	s.AddProduct(shopifytest.Product{ID: "10", Title: "Towel", UpdatedAt: base, Variants: []shopifytest.Variant{
		{ID: "11", InventoryItemID: "21", UpdatedAt: base.Add(time.Hour)},
		{ID: "12", InventoryItemID: "22", UpdatedAt: base.Add(2 * time.Hour)},
		{ID: "13", InventoryItemID: "23", UpdatedAt: base.Add(-time.Hour)}, // before the watermark
	}})
	s.SetLevel("21", "5", 4, base)

	changes := collect(t, c, base.Add(30*time.Minute))
	var got []string
	for _, ch := range changes {
		got = append(got, ch.Topic+" "+withoutState(ch.DedupeKey))
	}
	want := []string{
		"orders/updated poll:orders/updated:1002:2026-10-01T13:00:00Z",
		"orders/updated poll:orders/updated:1003:2026-10-01T14:00:00Z",
		"products/update poll:products/update:10:11,12:2026-10-01T14:00:00Z",
		"inventory_levels/update poll:inventory_levels/update:21:5:2026-10-01T12:00:00Z",
	}
	if !slices.Equal(got, want) {
		t.Errorf("changes: got %v, want %v", got, want)
	}
	var pages = map[string]int{}
	for _, call := range s.Calls() {
		pages[call.Root]++
	}
	if pages["orders"] != 2 || pages["productVariants"] != 2 {
		t.Errorf("pages read: got %v, want 2 of orders and 2 of productVariants", pages)
	}
	items := decoded(t, "products/update", changes[2].Body).Items
	if len(items) != 2 || items[0].StockKey != "21" || items[1].StockKey != "22" {
		t.Errorf("product items: got %s, want variants 11 and 12 with their inventory items", payloadtest.Show(items))
	}

	// Polling the same state again names the same deliveries; a change in
	// the shop names a new one.
	again := collect(t, c, base.Add(30*time.Minute))
	if len(again) != len(changes) || again[0].DedupeKey != changes[0].DedupeKey {
		t.Errorf("second poll: got %d changes first %q, want the same %d first %q", len(again), again[0].DedupeKey, len(changes), changes[0].DedupeKey)
	}
	if err := c.SyncOrder(context.Background(), storeapi.Order{OrderID: "1002", Lines: []storeapi.Line{{LineID: "10021", Waiting: 1}}}, storeapi.OrderWrites{Tag: true}); err != nil {
		t.Fatalf("SyncOrder: %v", err)
	}
	var keys []string
	for _, ch := range collect(t, c, base.Add(30*time.Minute)) {
		if ch.Topic == "orders/updated" {
			keys = append(keys, withoutState(ch.DedupeKey))
		}
	}
	wantKeys := []string{withoutState(changes[1].DedupeKey), "poll:orders/updated:1002:" + s.Now().Format(time.RFC3339Nano)}
	if !slices.Equal(keys, wantKeys) {
		t.Errorf("orders after tagging 1002: got %v, want %v (oldest first, 1002 in a new state)", keys, wantKeys)
	}
}

func TestChangesStopAtTheCallersError(t *testing.T) {
	s, c := newShop(t)
	s.AddOrder(shopifytest.Order{ID: "1", Lines: []shopifytest.LineItem{{ID: "2", VariantID: "3", Quantity: 1}}})
	s.AddOrder(shopifytest.Order{ID: "4", Lines: []shopifytest.LineItem{{ID: "5", VariantID: "3", Quantity: 1}}})
	stop := errors.New("inbox unavailable")
	calls := 0
	err := c.Changes(context.Background(), time.Time{}, func(storeapi.Change) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("Changes: got %v after %d calls, want the callback's error after 1", err, calls)
	}
}

func TestChangesThrottledIsRetryable(t *testing.T) {
	s, c := newShop(t)
	s.Fail("productVariants", 1, shopifytest.Throttled)
	err := c.Changes(context.Background(), time.Time{}, func(storeapi.Change) error { return nil })
	if e := storeError(t, err); !e.Retryable || e.Wait != 7500*time.Millisecond {
		t.Errorf("error: got %v (retryable %v, wait %v), want retryable after 7.5s", e, e.Retryable, e.Wait)
	}
}

func TestResolveMapsAnUnknownInventoryItemThroughItsProduct(t *testing.T) {
	s, c := newShop(t)
	seedProductFromFixture(t, s, kettleLocation)
	ch, err := c.Resolve(context.Background(), "48811230075185")
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	if ch.Topic != "products/update" || ch.DedupeKey == "" || ch.UpdatedAt.IsZero() {
		t.Errorf("change: got topic %q key %q at %v, want products/update with a key and a time", ch.Topic, ch.DedupeKey, ch.UpdatedAt)
	}
	payloadtest.Check(t, "facts", decoded(t, ch.Topic, ch.Body), decoded(t, "products/update", fixtureBody(t, "products-update")))

	_, err = c.Resolve(context.Background(), "999")
	if e := storeError(t, err); e.Retryable {
		t.Errorf("unknown item: got retryable %v, want permanent", e)
	}
}

func TestChangesReadEveryLineOfALongOrder(t *testing.T) {
	s, c := newShop(t)
	o := shopifytest.Order{ID: "500", Name: "#500"}
	for i := range 130 {
		o.Lines = append(o.Lines, shopifytest.LineItem{ID: strconv.Itoa(1000 + i), VariantID: "7", ProductID: "8", Quantity: 1})
	}
	s.AddOrder(o)
	changes := collect(t, c, time.Time{})
	if len(changes) != 1 {
		t.Fatalf("changes: got %d, want 1", len(changes))
	}
	lines := decoded(t, changes[0].Topic, changes[0].Body).Orders[0].Lines
	if len(lines) != 130 || lines[129].LineID != "1129" {
		t.Errorf("lines: got %d, want all 130 in order", len(lines))
	}
	var names []string
	for _, call := range s.Calls() {
		names = append(names, call.Name)
	}
	if want := []string{"ChangedOrders", "OrderLineItems", "OrderLineItems", "ChangedVariants"}; !slices.Equal(names, want) {
		t.Errorf("calls: got %v, want %v", names, want)
	}
}

// withoutState is a polled dedupe key without the hash of the state's
// body that ends it.
func withoutState(key string) string {
	i := strings.LastIndex(key, ":")
	if i < 0 || len(key)-i-1 != 16 {
		return key + " (no state hash)"
	}
	return key[:i]
}

func TestTwoStatesWithinASecondAreTwoDeliveries(t *testing.T) {
	s, c := newShop(t)
	at := time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
	s.AddProduct(shopifytest.Product{ID: "10", Title: "Towel", UpdatedAt: at, Variants: []shopifytest.Variant{
		{ID: "11", InventoryItemID: "21", UpdatedAt: at}}})
	levelKey := func() string {
		t.Helper()
		for _, ch := range collect(t, c, at.Add(-time.Minute)) {
			if ch.Topic == "inventory_levels/update" {
				return ch.DedupeKey
			}
		}
		t.Fatal("no level polled")
		return ""
	}
	s.SetLevel("21", "5", 5, at)
	first := levelKey()
	s.SetLevel("21", "5", 4, at) // a sale in the same second
	if second := levelKey(); second == first {
		t.Errorf("two levels within one second share the key %q: the second would be taken for a duplicate", first)
	}
}
