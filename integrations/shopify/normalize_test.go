package shopify_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/integrations/payload"
	"github.com/backorderd/backorderd/integrations/payload/payloadtest"
	"github.com/backorderd/backorderd/integrations/shopify"
)

// The arrival of the deliveries in these tests: Shopify's states are
// versioned by their own times, never by it.
var (
	shopDomain     = "harbor-kiln-supply.myshopify.com"
	testReceivedAt = time.Date(2025, 11, 24, 14, 8, 41, 0, time.FixedZone("EST", -5*3600))
	testInboxID    = int64(77)
)

// normalizeOK normalizes a delivery that must not be rejected.
func normalizeOK(t *testing.T, topic string, headers map[string]string, body []byte) backorder.Facts {
	t.Helper()
	return payloadtest.Normalized(t, shopify.Normalize, payload.Delivery{Shop: shopDomain, Topic: topic, Headers: headers, Body: body, ReceivedAt: testReceivedAt, InboxID: testInboxID})
}

// kettleOrderLines are order #2417's lines with their open units.
func kettleOrderLines(mug, kettle, teapot int) []backorder.Line {
	return []backorder.Line{
		{LineID: "15088930455664", ItemID: "46021178433648", ProductID: "8840127332464", SKU: "HK-MUG-12OZ-SLT", Title: "Slate Stoneware Mug - 12 oz", Quantity: 3, OpenUnits: mug},
		{LineID: "15088930488432", ItemID: "46021178499184", ProductID: "8840127365232", SKU: "HK-KETTLE-1L-CPR", Title: "Copper Stovetop Kettle - 1 L", Quantity: 5, OpenUnits: kettle},
		{LineID: "15088930521200", ItemID: "46021178564720", ProductID: "8840127398000", SKU: "HK-TEAPOT-CAST-IND", Title: "Cast Iron Teapot - Indigo", Quantity: 2, OpenUnits: teapot},
	}
}

var wren = backorder.Customer{ID: "7302214451337", Email: "wren.okafor@example.net", FirstName: "Wren", LastName: "Okafor", Phone: "+16135550148"}

// fixtureCases are every signed Shopify sample, with the facts each must
// give.
var fixtureCases = []struct {
	dir, name, topic string
	want             backorder.Facts
}{
	{"shopify", "orders-create", "", backorder.Facts{Orders: []backorder.Order{{
		OrderID: "6120458839152", Name: "#2417", Status: backorder.OrderOpen, StoreStatus: "paid/unfulfilled",
		Customer: wren, ShippingMethod: "Expedited Parcel",
		PlacedAt: payloadtest.UTC("2025-11-18T14:42:17Z"), UpdatedAt: payloadtest.UTC("2025-11-18T14:42:19Z"), Lines: kettleOrderLines(3, 5, 2),
		Version: backorder.Version{At: payloadtest.UTC("2025-11-18T14:42:19Z"), Seq: payloadtest.UTC("2025-11-18T14:42:18.413921012Z").UnixNano()},
	}}}},
	{"shopify", "orders-cancelled", "", backorder.Facts{Orders: []backorder.Order{{
		OrderID: "6120458839152", Name: "#2417", Status: backorder.OrderCancelled, StoreStatus: "refunded/unfulfilled",
		Customer: wren, ShippingMethod: "Expedited Parcel",
		PlacedAt: payloadtest.UTC("2025-11-18T14:42:17Z"), UpdatedAt: payloadtest.UTC("2025-11-19T16:06:53Z"), Lines: kettleOrderLines(0, 0, 0),
		Version: backorder.Version{At: payloadtest.UTC("2025-11-19T16:06:53Z"), Seq: payloadtest.UTC("2025-11-19T16:06:53.902117455Z").UnixNano()},
	}}}},
	{"shopify", "inventory_levels-update", "", backorder.Facts{Levels: []backorder.StockLevel{{
		StockKey: "48811230042417", LocationID: "81264410913", Available: payloadtest.Int(9),
		// Triggered within updated_at's second: the level is as of then.
		Version: backorder.Version{At: payloadtest.UTC("2025-11-24T19:05:33.271840965Z"), Seq: payloadtest.UTC("2025-11-24T19:05:33.271840965Z").UnixNano()},
	}}}},
	{"shopify", "products-update", "", backorder.Facts{Items: []backorder.Item{
		{ItemID: "46021178499184", ProductID: "8840127365232", StockKey: "48811230042417", SKU: "HK-KETTLE-1L-CPR",
			Title: "Copper Stovetop Kettle - 1 L", ContinueSelling: payloadtest.Bool(true), Quantity: payloadtest.Int(9),
			Version: backorder.Version{At: payloadtest.UTC("2025-11-24T19:05:33Z"), Seq: payloadtest.UTC("2025-11-24T19:05:33.318502311Z").UnixNano()}},
		{ItemID: "46021178531952", ProductID: "8840127365232", StockKey: "48811230075185", SKU: "HK-KETTLE-15L-CPR",
			Title: "Copper Stovetop Kettle - 1.5 L", ContinueSelling: payloadtest.Bool(false), Quantity: payloadtest.Int(0),
			Version: backorder.Version{At: payloadtest.UTC("2025-11-24T19:05:33Z"), Seq: payloadtest.UTC("2025-11-24T19:05:33.318502311Z").UnixNano()}},
	}}},
	{"shopify", "customers-data_request", "", backorder.Facts{Privacy: &backorder.PrivacyRequest{
		Kind: backorder.CustomerDataRequest, RequestID: "4410227",
		Customer: backorder.Customer{ID: "7302214451337", Email: "wren.okafor@example.net", Phone: "+16135550148"},
		OrderIDs: []string{"6120458839152", "6120991102065"},
	}}},
	{"shopify", "customers-redact", "", backorder.Facts{Privacy: &backorder.PrivacyRequest{
		Kind:     backorder.CustomerRedact,
		Customer: backorder.Customer{ID: "7302214451337", Email: "wren.okafor@example.net", Phone: "+16135550148"},
		OrderIDs: []string{"6120458839152", "6120991102065"},
	}}},
	{"shopify", "shop-redact", "", backorder.Facts{Privacy: &backorder.PrivacyRequest{Kind: backorder.ShopRedact}}},
}

var inlineCases = []struct {
	name        string
	topic, body string
	triggeredAt string
	want        backorder.Facts
}{
	{"shopify orders/edited, removals negative whatever their sign", "orders/edited",
		`{"order_edit":{"id":27311112,"app_id":null,"created_at":"2025-11-20T10:00:00-05:00","notify_customer":false,"order_id":6120458839152,"staff_note":"","user_id":99118842017,` +
			`"line_items":{"additions":[{"id":15088930488432,"delta":2}],"removals":[{"id":15088930521200,"delta":1},{"id":15088930455664,"delta":-3}]},` +
			`"discounts":{"additions":[],"removals":[]},"shipping_lines":{"additions":[],"removals":[]}}}`, "",
		backorder.Facts{Edits: []backorder.OrderEdit{{EditID: "27311112", OrderID: "6120458839152", EditedAt: payloadtest.UTC("2025-11-20T15:00:00Z"),
			Changes: []backorder.LineDelta{{LineID: "15088930488432", Delta: 2}, {LineID: "15088930521200", Delta: -1}, {LineID: "15088930455664", Delta: -3}}}}}},
	{"shopify refunds/create with money as JSON numbers", "refunds/create",
		`{"id":1021453320305,"order_id":6120458839152,"created_at":"2025-11-20T11:06:52-05:00","note":null,"restock":true,"order_adjustments":[],` +
			`"refund_line_items":[{"id":702114458,"line_item_id":15088930488432,"location_id":81264410913,"quantity":2,"restock_type":"return","subtotal":128,` +
			`"subtotal_set":{"shop_money":{"amount":"128.00","currency_code":"CAD"}},"total_tax":16.64},` +
			`{"id":702114459,"line_item_id":15088930521200,"location_id":null,"quantity":1,"restock_type":"no_restock","subtotal":89.5,"total_tax":11.64}],` +
			`"transactions":[{"id":1,"amount":"144.64","kind":"refund"}]}`, "",
		backorder.Facts{Refunds: []backorder.Refund{{RefundID: "1021453320305", OrderID: "6120458839152", CreatedAt: payloadtest.UTC("2025-11-20T16:06:52Z"),
			Lines: []backorder.RefundLine{{LineID: "15088930488432", Quantity: 2, RestockType: "return"}, {LineID: "15088930521200", Quantity: 1, RestockType: "no_restock"}}}}}},
	{"shopify level with available null and ids as strings", "inventory_levels/update",
		`{"inventory_item_id":"48811230042417","location_id":"81264410913","available":null,"updated_at":"2025-11-25T09:00:00-05:00"}`, "not a time",
		backorder.Facts{Levels: []backorder.StockLevel{{StockKey: "48811230042417", LocationID: "81264410913", Version: backorder.Version{At: payloadtest.UTC("2025-11-25T14:00:00Z")}}}}},
	{"shopify level triggered past updated_at's second: updated_at stands", "inventory_levels/update",
		`{"inventory_item_id":48811230042417,"location_id":81264410913,"available":4,"updated_at":"2025-11-25T09:00:00-05:00"}`, "2025-11-25T14:00:01.5Z",
		backorder.Facts{Levels: []backorder.StockLevel{{StockKey: "48811230042417", LocationID: "81264410913", Available: payloadtest.Int(4),
			Version: backorder.Version{At: payloadtest.UTC("2025-11-25T14:00:00Z"), Seq: payloadtest.UTC("2025-11-25T14:00:01.5Z").UnixNano()}}}}},
	{"shopify order without customer or email; custom line; current_quantity", "orders/updated",
		`{"id":9007199254740993,"name":"#1001","created_at":"2025-11-18T20:42:17+01:00","email":null,"contact_email":null,"phone":null,"customer":null,` +
			`"cancelled_at":null,"financial_status":"pending","fulfillment_status":null,"shipping_lines":[],"line_items":[` +
			`{"id":11,"variant_id":null,"product_id":null,"title":"Gift wrapping","name":"Gift wrapping","quantity":1,"sku":null,"fulfillable_quantity":1},` +
			`{"id":12,"variant_id":46021178499184,"product_id":8840127365232,"title":"Copper Stovetop Kettle","quantity":5,"current_quantity":3,"fulfillable_quantity":4,"sku":null},` +
			`{"id":13,"variant_id":46021178433648,"product_id":8840127332464,"name":"Slate Stoneware Mug - 12 oz","quantity":3,"current_quantity":0,"fulfillable_quantity":0,"sku":""}]}`,
		"2025-11-18T19:42:18.5Z",
		backorder.Facts{Orders: []backorder.Order{{OrderID: "9007199254740993", Name: "#1001", Status: backorder.OrderOpen, StoreStatus: "pending/unfulfilled",
			PlacedAt: payloadtest.UTC("2025-11-18T19:42:17Z"), UpdatedAt: payloadtest.UTC("2025-11-18T19:42:17Z"),
			Lines: []backorder.Line{
				{LineID: "12", ItemID: "46021178499184", ProductID: "8840127365232", Title: "Copper Stovetop Kettle", Quantity: 3, OpenUnits: 3},
				{LineID: "13", ItemID: "46021178433648", ProductID: "8840127332464", Title: "Slate Stoneware Mug - 12 oz"},
			},
			Version: backorder.Version{At: payloadtest.UTC("2025-11-18T19:42:17Z"), Seq: payloadtest.UTC("2025-11-18T19:42:18.5Z").UnixNano()}}}}},
	{"shopify partially fulfilled order, customer without personal fields", "orders/partially_fulfilled",
		`{"id":1,"name":"#1","created_at":"2025-11-18T09:42:17-05:00","updated_at":"2025-11-19T09:00:00-05:00","contact_email":"c@example.com","phone":"+15550100",` +
			`"customer":{"id":5},"financial_status":"paid","fulfillment_status":"partial","line_items":[{"id":2,"variant_id":3,"product_id":4,"quantity":3,"fulfillable_quantity":1}]}`, "",
		backorder.Facts{Orders: []backorder.Order{{OrderID: "1", Name: "#1", Status: backorder.OrderOpen, StoreStatus: "paid/partial",
			Customer: backorder.Customer{ID: "5", Email: "c@example.com", Phone: "+15550100"},
			PlacedAt: payloadtest.UTC("2025-11-18T14:42:17Z"), UpdatedAt: payloadtest.UTC("2025-11-19T14:00:00Z"),
			Lines:   []backorder.Line{{LineID: "2", ItemID: "3", ProductID: "4", Quantity: 3, OpenUnits: 1}},
			Version: backorder.Version{At: payloadtest.UTC("2025-11-19T14:00:00Z")}}}}},
	{"shopify fulfilled order has no open units", "orders/fulfilled",
		`{"id":1,"created_at":"2025-11-18T09:42:17-05:00","financial_status":"paid","fulfillment_status":"fulfilled","line_items":[{"id":2,"variant_id":3,"quantity":3,"fulfillable_quantity":3}]}`, "",
		backorder.Facts{Orders: []backorder.Order{{OrderID: "1", Status: backorder.OrderFulfilled, StoreStatus: "paid/fulfilled",
			PlacedAt: payloadtest.UTC("2025-11-18T14:42:17Z"), UpdatedAt: payloadtest.UTC("2025-11-18T14:42:17Z"),
			Lines:   []backorder.Line{{LineID: "2", ItemID: "3", Quantity: 3}},
			Version: backorder.Version{At: payloadtest.UTC("2025-11-18T14:42:17Z")}}}}},
	{"shopify product with a default variant and unknown policy", "products/create",
		`{"id":10,"title":"Linen Towel","updated_at":"2025-11-18T09:42:17-05:00","variants":[{"id":11,"title":"Default Title","sku":null,"inventory_item_id":12,"inventory_policy":null,"inventory_quantity":null,"updated_at":null}]}`, "",
		backorder.Facts{Items: []backorder.Item{{ItemID: "11", ProductID: "10", StockKey: "12", Title: "Linen Towel", Version: backorder.Version{At: payloadtest.UTC("2025-11-18T14:42:17Z")}}}}},
	{"shopify app/uninstalled", "app/uninstalled", `{"id":71839204417,"domain":"shop.harborkiln.example","myshopify_domain":"harbor-kiln-supply.myshopify.com"}`, "",
		backorder.Facts{Uninstalled: true}},
}

func TestNormalizeFixtures(t *testing.T) {
	for _, tc := range fixtureCases {
		t.Run(tc.dir+"/"+tc.name, func(t *testing.T) {
			headers, body := payloadtest.Fixture(t, filepath.Join("..", "..", "testdata", tc.dir, tc.name))
			topic := headers["X-Shopify-Topic"]
			payloadtest.Check(t, "facts", normalizeOK(t, topic, headers, body), tc.want)
		})
	}
}

// TestNormalizeFixturesAllCovered keeps fixtureCases in step with testdata.
func TestNormalizeFixturesAllCovered(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range fixtureCases {
		covered[tc.dir+"/"+tc.name+".json"] = true
	}
	payloadtest.Covered(t, filepath.Join("..", "..", "testdata"), []string{"shopify"}, covered)
}

func TestNormalizeTimesAreUTC(t *testing.T) {
	headers, body := payloadtest.Fixture(t, filepath.Join("..", "..", "testdata", "shopify", "orders-create"))
	o := normalizeOK(t, "orders/create", headers, body).Orders[0]
	for what, tm := range map[string]time.Time{"PlacedAt": o.PlacedAt, "UpdatedAt": o.UpdatedAt, "Version.At": o.Version.At} {
		if tm.Location() != time.UTC {
			t.Errorf("%s location: got %v, want UTC", what, tm.Location())
		}
	}
}

func TestNormalizeInline(t *testing.T) {
	for _, tc := range inlineCases {
		t.Run(tc.name, func(t *testing.T) {
			headers := map[string]string{}
			if tc.triggeredAt != "" {
				headers["X-Shopify-Triggered-At"] = tc.triggeredAt
			}
			payloadtest.Check(t, "facts", normalizeOK(t, tc.topic, headers, []byte(tc.body)), tc.want)
		})
	}
}

func TestNormalizeRejects(t *testing.T) {
	const created = `"created_at":"2025-11-18T09:42:17-05:00"`
	for _, tc := range []struct {
		name        string
		topic, body string
		reason      string // a part of the reason
	}{
		{"not JSON", "orders/create", `{"id":`, "orders/create: body is not JSON: "},
		{"empty body", "orders/create", ``, "orders/create: body is not JSON: "},
		{"array", "orders/create", `[]`, "orders/create: body is not a JSON object"},
		{"order without id", "orders/create", `{` + created + `}`, "lacks its id"},
		{"order without created_at", "orders/updated", `{"id":1}`, "created_at"},
		{"unparsable created_at", "orders/create", `{"id":1,"created_at":"18/11/2025 09:42"}`, `created_at "18/11/2025 09:42" is not a time`},
		{"line without id", "orders/create", `{"id":1,` + created + `,"line_items":[{"id":2,"variant_id":3},{"variant_id":4}]}`, "orders/create: line_items[1] has no id"},
		{"fractional id", "orders/create", `{"id":1.5,` + created + `}`, "field id holds JSON 1.5, want a whole-number id"},
		{"quantity as a string", "orders/create", `{"id":1,` + created + `,"line_items":[{"id":2,"quantity":"3"}]}`, "field line_items.quantity holds JSON string, want a whole number"},
		{"edit without order_id", "orders/edited", `{"order_edit":{"id":1}}`, "lacks its id or order_id"},
		{"refund line without line_item_id", "refunds/create", `{"id":1,"order_id":2,"refund_line_items":[{"quantity":1}]}`, "refund_line_items[0] has no line_item_id"},
		{"level without updated_at", "inventory_levels/update", `{"inventory_item_id":1,"location_id":2,"available":3}`, "updated_at"},
		{"variant without id", "products/update", `{"id":1,"variants":[{"id":2},{"sku":"X"}]}`, "variants[1] of product 1 has no id"},
		{"redact naming no customer", "customers/redact", `{"shop_id":1,"shop_domain":"harbor-kiln-supply.myshopify.com","orders_to_redact":[]}`, "neither id nor email"},
		{"order without line_items", "orders/create", `{"id":1,` + created + `}`, "orders/create: order 1 lacks its line_items"},
		{"product without variants", "products/update", `{"id":1,"title":"x"}`, "lacks its id or variants"},
		{"refund without refund_line_items", "refunds/create", `{"id":1,"order_id":2}`, "refund_line_items"},
		{"shop/redact for another shop", "shop/redact", `{"shop_id":1,"shop_domain":"other.myshopify.com"}`, `shop_domain "other.myshopify.com" is not this shop (harbor-kiln-supply.myshopify.com)`},
		{"shop/redact without shop_id", "shop/redact", `{"shop_domain":"harbor-kiln-supply.myshopify.com"}`, "body lacks shop_id"},
		{"shop/redact with an order's body", "shop/redact", `{"id":1,` + created + `,"line_items":[]}`, "body lacks shop_domain"},
		{"customers/redact for another shop", "customers/redact", `{"shop_id":1,"shop_domain":"other.myshopify.com","customer":{"id":5}}`, "is not this shop"},
		{"data request with an order's body", "customers/data_request", `{"id":1,"customer":{"id":5,"email":"a@example.com"}}`, "body lacks shop_domain"},
		{"app/uninstalled with an order's body", "app/uninstalled", `{"id":1,` + created + `,"line_items":[]}`, "body lacks myshopify_domain"},
		{"app/uninstalled for another shop", "app/uninstalled", `{"id":1,"myshopify_domain":"other.myshopify.com"}`, "is not this shop"},
		{"unhandled shopify topic", "orders/delete", `{"id":1}`, "orders/delete: topic is not handled"},
		{"woo topic sent as shopify", "order.created", `{"id":1}`, "not handled"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			facts, err := shopify.Normalize(payload.Delivery{Shop: shopDomain, Topic: tc.topic, Body: []byte(tc.body), ReceivedAt: testReceivedAt, InboxID: testInboxID})
			payloadtest.Rejected(t, facts, err, tc.reason)
		})
	}
}

func TestNormalizeHandled(t *testing.T) {
	for _, tc := range []struct {
		topic string
		want  bool
	}{
		{"orders/create", true},
		{"orders/partially_fulfilled", true},
		{"shop/redact", true},
		{"orders/delete", false},
		{"order.created", false},
	} {
		t.Run(tc.topic, func(t *testing.T) {
			if got := shopify.Handled(tc.topic); got != tc.want {
				t.Errorf("Handled: got %v, want %v", got, tc.want)
			}
		})
	}
}
