package woocommerce_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/integrations/payload"
	"github.com/backorderd/backorderd/integrations/payload/payloadtest"
	"github.com/backorderd/backorderd/integrations/woocommerce"
)

// The arrival a state is versioned by in these tests.
var (
	testReceivedAt = time.Date(2025, 11, 24, 14, 8, 41, 0, time.FixedZone("EST", -5*3600))
	testInboxID    = int64(77)
	wooArrival     = backorder.Version{At: testReceivedAt.UTC(), Seq: testInboxID}
)

// normalizeOK normalizes a delivery that must not be rejected.
func normalizeOK(t *testing.T, topic string, headers map[string]string, body []byte) backorder.Facts {
	t.Helper()
	return payloadtest.Normalized(t, woocommerce.Normalize, payload.Delivery{Topic: topic, Headers: headers, Body: body, ReceivedAt: testReceivedAt, InboxID: testInboxID})
}

// order48213Lines are WooCommerce order 48213's lines with their open units.
func order48213Lines(board, apron, mug int) []backorder.Line {
	return []backorder.Line{
		{LineID: "9071", ItemID: "1488", ProductID: "1488", SKU: "LW-BOARD-WAL", Title: "Walnut Serving Board", Quantity: 1, OpenUnits: board},
		{LineID: "9072", ItemID: "1517", ProductID: "1502", SKU: "LW-APRON-CHR", Title: "Linen Apron - Charcoal", Quantity: 3, OpenUnits: apron},
		{LineID: "9073", ItemID: "1534", ProductID: "1534", SKU: "LW-MUG-ENM-SAGE", Title: "Enamel Camp Mug – Sage", Quantity: 4, OpenUnits: mug},
	}
}

var zoe = backorder.Customer{ID: "311", Email: "zoe.marchetti@example.org", FirstName: "Zoë", LastName: "Marchetti", Phone: "503-555-0117"}

// fixtureCases are every signed sample (and, for WooCommerce, its
// documented objects, which carry no headers: topic says which delivery
// they are), with the facts each must give.
var fixtureCases = []struct {
	dir, name, topic string
	want             backorder.Facts
}{
	{"woocommerce", "order-created", "", backorder.Facts{Orders: []backorder.Order{{
		OrderID: "48213", Name: "48213", Status: backorder.OrderOpen, StoreStatus: "processing",
		Customer: zoe, ShippingMethod: "Flat rate",
		PlacedAt: payloadtest.UTC("2025-11-18T14:42:17Z"), UpdatedAt: payloadtest.UTC("2025-11-18T14:42:22Z"), Lines: order48213Lines(1, 3, 4),
		Version: wooArrival,
	}}}},
	{"woocommerce", "order-updated-cancelled", "", backorder.Facts{Orders: []backorder.Order{{
		OrderID: "48213", Name: "48213", Status: backorder.OrderCancelled, StoreStatus: "cancelled",
		Customer: zoe, ShippingMethod: "Flat rate",
		PlacedAt: payloadtest.UTC("2025-11-18T14:42:17Z"), UpdatedAt: payloadtest.UTC("2025-11-19T16:15:03Z"), Lines: order48213Lines(0, 0, 0),
		Version: wooArrival,
	}}}},
	{"woocommerce", "product-updated", "", backorder.Facts{
		Items: []backorder.Item{{ItemID: "1534", ProductID: "1534", StockKey: "1534", SKU: "LW-MUG-ENM-SAGE",
			Title: "Enamel Camp Mug – Sage", ContinueSelling: payloadtest.Bool(true), Quantity: payloadtest.Int(20), Version: wooArrival}},
		Levels: []backorder.StockLevel{{StockKey: "1534", Available: payloadtest.Int(20), Version: wooArrival}},
	}},
	{"woocommerce", "product-updated-variation", "", backorder.Facts{
		Items: []backorder.Item{{ItemID: "1517", ProductID: "1502", StockKey: "1517", SKU: "LW-APRON-CHR",
			Title: "Linen Apron - Charcoal", ContinueSelling: payloadtest.Bool(true), Quantity: payloadtest.Int(-2), Version: wooArrival}},
		Levels: []backorder.StockLevel{{StockKey: "1517", Available: payloadtest.Int(-2), Version: wooArrival}},
	}},
	{"woocommerce-docs", "order-723-2", "order.updated", backorder.Facts{Orders: []backorder.Order{{
		OrderID: "723", Name: "723", Status: backorder.OrderFulfilled, StoreStatus: "completed",
		Customer:       backorder.Customer{ID: "26", Email: "joao.silva@example.com", FirstName: "João", LastName: "Silva", Phone: "(11) 1111-1111"},
		ShippingMethod: "Flat rate", PlacedAt: payloadtest.UTC("2017-03-21T19:16:00Z"), UpdatedAt: payloadtest.UTC("2017-03-21T19:54:51Z"),
		Lines: []backorder.Line{
			{LineID: "311", ItemID: "87", ProductID: "87", Title: "Woo Album #2", Quantity: 1},
			{LineID: "313", ItemID: "34", ProductID: "34", Title: "Woo Ninja", Quantity: 1},
		},
		Version: wooArrival,
	}}}},
	{"woocommerce-docs", "order-727-1", "order.created", backorder.Facts{Orders: []backorder.Order{{
		OrderID: "727", Name: "727", Status: backorder.OrderOpen, StoreStatus: "processing",
		Customer:       backorder.Customer{Email: "john.doe@example.com", FirstName: "John", LastName: "Doe", Phone: "(555) 555-5555"},
		ShippingMethod: "Flat Rate", PlacedAt: payloadtest.UTC("2017-03-22T19:28:02Z"), UpdatedAt: payloadtest.UTC("2017-03-22T19:28:08Z"),
		Lines: []backorder.Line{
			{LineID: "315", ItemID: "93", ProductID: "93", Title: "Woo Single #1", Quantity: 2, OpenUnits: 2},
			{LineID: "316", ItemID: "23", ProductID: "22", SKU: "Bar3", Title: "Ship Your Idea – Color: Black, Size: M Test", Quantity: 1, OpenUnits: 1},
		},
		Version: wooArrival,
	}}}},
	{"woocommerce-docs", "order-727-3", "order.updated", backorder.Facts{Orders: []backorder.Order{{
		OrderID: "727", Name: "727", Status: backorder.OrderFulfilled, StoreStatus: "completed",
		Customer:       backorder.Customer{Email: "john.doe@example.com", FirstName: "John", LastName: "Doe", Phone: "(555) 555-5555"},
		ShippingMethod: "Flat Rate", PlacedAt: payloadtest.UTC("2017-03-22T19:28:02Z"), UpdatedAt: payloadtest.UTC("2017-03-22T19:30:35Z"),
		Lines: []backorder.Line{
			{LineID: "315", ItemID: "93", ProductID: "93", Title: "Woo Single #1", Quantity: 2},
			{LineID: "316", ItemID: "23", ProductID: "22", SKU: "Bar3", Title: "Ship Your Idea – Color: Black, Size: M Test", Quantity: 1},
		},
		Version: wooArrival,
	}}}},
	{"woocommerce-docs", "product-794-1", "product.created", backorder.Facts{Items: []backorder.Item{{
		ItemID: "794", ProductID: "794", StockKey: "794", Title: "Premium Quality", ContinueSelling: payloadtest.Bool(false), Version: wooArrival,
	}}}},
	{"woocommerce-docs", "product-799-2", "product.updated", backorder.Facts{Items: []backorder.Item{{
		ItemID: "799", ProductID: "799", StockKey: "799", Title: "Ship Your Idea", ContinueSelling: payloadtest.Bool(false), Version: wooArrival,
	}}}},
}

var inlineCases = []struct {
	name        string
	topic, body string
	want        backorder.Facts
}{
	{"woo order.deleted", "order.deleted", `{"id":123}`, backorder.Facts{DeletedOrders: []string{"123"}}},
	{"woo product.deleted", "product.deleted", `{"id":1517}`, backorder.Facts{DeletedItems: []string{"1517"}}},
	{"woo variation whose parent manages stock, sku null", "product.updated",
		`{"id":1518,"name":"Linen Apron - Sand","type":"variation","parent_id":1502,"sku":null,"manage_stock":"parent","stock_quantity":null,"stock_status":"instock","backorders":"notify"}`,
		backorder.Facts{Items: []backorder.Item{{ItemID: "1518", ProductID: "1502", StockKey: "1518", Title: "Linen Apron - Sand", ContinueSelling: payloadtest.Bool(true), Version: wooArrival}}}},
	{"woo pending order, sku and email null, no date_modified_gmt", "order.created",
		`{"id":48214,"number":48214,"status":"pending","customer_id":0,"date_created_gmt":"2025-11-18T14:42:17","date_modified_gmt":null,` +
			`"billing":{"first_name":"Ana","last_name":"","email":null,"phone":""},"shipping_lines":[],` +
			`"line_items":[{"id":9080,"name":"Tea Towel &amp; Cloth","product_id":1600,"variation_id":0,"quantity":2,"sku":null,"price":8.5},` +
			`{"id":9081,"name":"Deleted product","product_id":0,"variation_id":0,"quantity":1,"sku":null,"price":1}]}`,
		backorder.Facts{Orders: []backorder.Order{{OrderID: "48214", Name: "48214", Status: backorder.OrderPending, StoreStatus: "pending",
			Customer: backorder.Customer{FirstName: "Ana"}, PlacedAt: payloadtest.UTC("2025-11-18T14:42:17Z"), UpdatedAt: payloadtest.UTC("2025-11-18T14:42:17Z"),
			Lines:   []backorder.Line{{LineID: "9080", ItemID: "1600", ProductID: "1600", Title: "Tea Towel & Cloth", Quantity: 2}},
			Version: wooArrival}}}},
	{"woo order with a plugin's status counts as open", "order.updated",
		`{"id":48215,"status":"awaiting-shipment","date_created_gmt":"2025-11-18T14:42:17","line_items":[{"id":1,"product_id":2,"variation_id":0,"quantity":2}]}`,
		backorder.Facts{Orders: []backorder.Order{{OrderID: "48215", Name: "48215", Status: backorder.OrderOpen, StoreStatus: "awaiting-shipment",
			PlacedAt: payloadtest.UTC("2025-11-18T14:42:17Z"), UpdatedAt: payloadtest.UTC("2025-11-18T14:42:17Z"),
			Lines: []backorder.Line{{LineID: "1", ItemID: "2", ProductID: "2", Quantity: 2, OpenUnits: 2}}, Version: wooArrival}}}},
}

func TestNormalizeFixtures(t *testing.T) {
	for _, tc := range fixtureCases {
		t.Run(tc.dir+"/"+tc.name, func(t *testing.T) {
			headers, body := payloadtest.Fixture(t, filepath.Join("..", "..", "testdata", tc.dir, tc.name))
			topic := tc.topic
			if h := headers["X-Wc-Webhook-Topic"]; h != "" {
				topic = h
			}
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
	payloadtest.Covered(t, filepath.Join("..", "..", "testdata"), []string{"woocommerce", "woocommerce-docs"}, covered)
}

func TestNormalizeInline(t *testing.T) {
	for _, tc := range inlineCases {
		t.Run(tc.name, func(t *testing.T) {
			payloadtest.Check(t, "facts", normalizeOK(t, tc.topic, nil, []byte(tc.body)), tc.want)
		})
	}
}

func TestNormalizeRejects(t *testing.T) {
	for _, tc := range []struct {
		name        string
		topic, body string
		reason      string // a part of the reason
	}{
		{"null", "order.created", `null`, "order.created: body is not a JSON object"},
		{"unhandled woo topic", "coupon.created", `{"id":1}`, "coupon.created: topic is not handled"},
		{"woo order without date_created_gmt", "order.updated", `{"id":1,"status":"processing"}`, "date_created_gmt"},
		{"woo bad date", "order.created", `{"id":1,"date_created_gmt":"yesterday"}`, `date_created_gmt "yesterday" is not a time in the form 2006-01-02T15:04:05`},
		{"woo order line without id", "order.created", `{"id":1,"date_created_gmt":"2025-11-18T14:42:17","line_items":[{"product_id":2}]}`, "line_items[0] has no id"},
		{"woo deletion without id", "order.deleted", `{}`, "order.deleted: body has no id"},
		{"woo order without line_items", "order.created", `{"id":1,"date_created_gmt":"2025-11-18T14:42:17"}`, "order.created: order 1 lacks its line_items"},
		{"woo deletion with more than its id", "order.deleted", `{"id":1,"status":"processing"}`, "order.deleted: body has 2 fields, want only id"},
		{"woo product deletion with a product's body", "product.deleted", `{"id":1,"name":"x","type":"simple"}`, "body has 3 fields, want only id"},
		{"woo product without type", "product.updated", `{"id":1,"name":"x"}`, "product lacks its id or type"},
		{"woo product without id", "product.updated", `{"name":"x"}`, "product lacks its id or type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			facts, err := woocommerce.Normalize(payload.Delivery{Topic: tc.topic, Body: []byte(tc.body), ReceivedAt: testReceivedAt, InboxID: testInboxID})
			payloadtest.Rejected(t, facts, err, tc.reason)
		})
	}
}

func TestNormalizeHandled(t *testing.T) {
	for _, tc := range []struct {
		topic string
		want  bool
	}{
		{"product.restored", true},
		{"orders/create", false},
		{"action.woocommerce_add_to_cart", false},
	} {
		t.Run(tc.topic, func(t *testing.T) {
			if got := woocommerce.Handled(tc.topic); got != tc.want {
				t.Errorf("Handled: got %v, want %v", got, tc.want)
			}
		})
	}
}
