package webhooks

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/textproto"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/store"
)

// The arrival a WooCommerce state is versioned by in these tests.
var (
	testReceivedAt = time.Date(2025, 11, 24, 14, 8, 41, 0, time.FixedZone("EST", -5*3600))
	testInboxID    = int64(77)
	wooArrival     = backorder.Version{At: testReceivedAt.UTC(), Seq: testInboxID}
)

// loadFixture reads testdata/<dir>/<name>: its exact body bytes and, where
// there is a .headers file, its headers (keys in canonical MIME form).
func loadFixture(t *testing.T, dir, name string) (map[string]string, []byte) {
	t.Helper()
	base := filepath.Join("..", "testdata", dir, name)
	body, err := os.ReadFile(base + ".json")
	if err != nil {
		t.Fatal(err)
	}
	headers := map[string]string{}
	raw, err := os.ReadFile(base + ".headers")
	if errors.Is(err, os.ErrNotExist) {
		return headers, body
	}
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ": "); ok {
			headers[textproto.CanonicalMIMEHeaderKey(k)] = v
		}
	}
	return headers, body
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func intp(n int) *int    { return &n }
func boolp(b bool) *bool { return &b }

// show renders facts for a message: JSON shows what pointers point to.
func show(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprintf("%+v", v)
	}
	return string(b)
}

// check reports got against want when they differ.
func check(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got %s, want %s", what, show(got), show(want))
	}
}

// normalizeOK normalizes a delivery that must not be rejected.
func normalizeOK(t *testing.T, platform store.Platform, topic string, headers map[string]string, body []byte) backorder.Facts {
	t.Helper()
	facts, err := Normalize(platform, topic, headers, body, testReceivedAt, testInboxID)
	if err != nil {
		t.Fatalf("Normalize(%s %s): got error %v, want none", platform, topic, err)
	}
	return facts
}

// kettleOrderLines are order #2417's lines with their open units.
func kettleOrderLines(mug, kettle, teapot int) []backorder.Line {
	return []backorder.Line{
		{LineID: "15088930455664", ItemID: "46021178433648", ProductID: "8840127332464", SKU: "HK-MUG-12OZ-SLT", Title: "Slate Stoneware Mug - 12 oz", Quantity: 3, OpenUnits: mug},
		{LineID: "15088930488432", ItemID: "46021178499184", ProductID: "8840127365232", SKU: "HK-KETTLE-1L-CPR", Title: "Copper Stovetop Kettle - 1 L", Quantity: 5, OpenUnits: kettle},
		{LineID: "15088930521200", ItemID: "46021178564720", ProductID: "8840127398000", SKU: "HK-TEAPOT-CAST-IND", Title: "Cast Iron Teapot - Indigo", Quantity: 2, OpenUnits: teapot},
	}
}

// order48213Lines are WooCommerce order 48213's lines with their open units.
func order48213Lines(board, apron, mug int) []backorder.Line {
	return []backorder.Line{
		{LineID: "9071", ItemID: "1488", ProductID: "1488", SKU: "LW-BOARD-WAL", Title: "Walnut Serving Board", Quantity: 1, OpenUnits: board},
		{LineID: "9072", ItemID: "1517", ProductID: "1502", SKU: "LW-APRON-CHR", Title: "Linen Apron - Charcoal", Quantity: 3, OpenUnits: apron},
		{LineID: "9073", ItemID: "1534", ProductID: "1534", SKU: "LW-MUG-ENM-SAGE", Title: "Enamel Camp Mug – Sage", Quantity: 4, OpenUnits: mug},
	}
}

var (
	wren = backorder.Customer{ID: "7302214451337", Email: "wren.okafor@example.net", FirstName: "Wren", LastName: "Okafor", Phone: "+16135550148"}
	zoe  = backorder.Customer{ID: "311", Email: "zoe.marchetti@example.org", FirstName: "Zoë", LastName: "Marchetti", Phone: "503-555-0117"}
)

// fixtureCases are every signed sample and WooCommerce's documented
// objects (which carry no headers: topic says which delivery they are),
// with the facts each must give.
var fixtureCases = []struct {
	dir, name, topic string
	want             backorder.Facts
}{
	{"shopify", "orders-create", "", backorder.Facts{Orders: []backorder.Order{{
		OrderID: "6120458839152", Name: "#2417", Status: backorder.OrderOpen, StoreStatus: "paid/unfulfilled",
		Customer: wren, ShippingMethod: "Expedited Parcel",
		PlacedAt: utc("2025-11-18T14:42:17Z"), UpdatedAt: utc("2025-11-18T14:42:19Z"), Lines: kettleOrderLines(3, 5, 2),
		Version: backorder.Version{At: utc("2025-11-18T14:42:19Z"), Seq: utc("2025-11-18T14:42:18.413921012Z").UnixNano()},
	}}}},
	{"shopify", "orders-cancelled", "", backorder.Facts{Orders: []backorder.Order{{
		OrderID: "6120458839152", Name: "#2417", Status: backorder.OrderCancelled, StoreStatus: "refunded/unfulfilled",
		Customer: wren, ShippingMethod: "Expedited Parcel",
		PlacedAt: utc("2025-11-18T14:42:17Z"), UpdatedAt: utc("2025-11-19T16:06:53Z"), Lines: kettleOrderLines(0, 0, 0),
		Version: backorder.Version{At: utc("2025-11-19T16:06:53Z"), Seq: utc("2025-11-19T16:06:53.902117455Z").UnixNano()},
	}}}},
	{"shopify", "inventory_levels-update", "", backorder.Facts{Levels: []backorder.StockLevel{{
		StockKey: "48811230042417", LocationID: "81264410913", Available: intp(9),
		Version: backorder.Version{At: utc("2025-11-24T19:05:33Z"), Seq: utc("2025-11-24T19:05:33.271840965Z").UnixNano()},
	}}}},
	{"shopify", "products-update", "", backorder.Facts{Items: []backorder.Item{
		{ItemID: "46021178499184", ProductID: "8840127365232", StockKey: "48811230042417", SKU: "HK-KETTLE-1L-CPR",
			Title: "Copper Stovetop Kettle - 1 L", ContinueSelling: boolp(true), Quantity: intp(9),
			Version: backorder.Version{At: utc("2025-11-24T19:05:33Z"), Seq: utc("2025-11-24T19:05:33.318502311Z").UnixNano()}},
		{ItemID: "46021178531952", ProductID: "8840127365232", StockKey: "48811230075185", SKU: "HK-KETTLE-15L-CPR",
			Title: "Copper Stovetop Kettle - 1.5 L", ContinueSelling: boolp(false), Quantity: intp(0),
			Version: backorder.Version{At: utc("2025-11-24T19:05:33Z"), Seq: utc("2025-11-24T19:05:33.318502311Z").UnixNano()}},
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
	{"woocommerce", "order-created", "", backorder.Facts{Orders: []backorder.Order{{
		OrderID: "48213", Name: "48213", Status: backorder.OrderOpen, StoreStatus: "processing",
		Customer: zoe, ShippingMethod: "Flat rate",
		PlacedAt: utc("2025-11-18T14:42:17Z"), UpdatedAt: utc("2025-11-18T14:42:22Z"), Lines: order48213Lines(1, 3, 4),
		Version: wooArrival,
	}}}},
	{"woocommerce", "order-updated-cancelled", "", backorder.Facts{Orders: []backorder.Order{{
		OrderID: "48213", Name: "48213", Status: backorder.OrderCancelled, StoreStatus: "cancelled",
		Customer: zoe, ShippingMethod: "Flat rate",
		PlacedAt: utc("2025-11-18T14:42:17Z"), UpdatedAt: utc("2025-11-19T16:15:03Z"), Lines: order48213Lines(0, 0, 0),
		Version: wooArrival,
	}}}},
	{"woocommerce", "product-updated", "", backorder.Facts{
		Items: []backorder.Item{{ItemID: "1534", ProductID: "1534", StockKey: "1534", SKU: "LW-MUG-ENM-SAGE",
			Title: "Enamel Camp Mug – Sage", ContinueSelling: boolp(true), Quantity: intp(20), Version: wooArrival}},
		Levels: []backorder.StockLevel{{StockKey: "1534", Available: intp(20), Version: wooArrival}},
	}},
	{"woocommerce", "product-updated-variation", "", backorder.Facts{
		Items: []backorder.Item{{ItemID: "1517", ProductID: "1502", StockKey: "1517", SKU: "LW-APRON-CHR",
			Title: "Linen Apron - Charcoal", ContinueSelling: boolp(true), Quantity: intp(-2), Version: wooArrival}},
		Levels: []backorder.StockLevel{{StockKey: "1517", Available: intp(-2), Version: wooArrival}},
	}},
	{"woocommerce-docs", "order-723-2", "order.updated", backorder.Facts{Orders: []backorder.Order{{
		OrderID: "723", Name: "723", Status: backorder.OrderFulfilled, StoreStatus: "completed",
		Customer:       backorder.Customer{ID: "26", Email: "joao.silva@example.com", FirstName: "João", LastName: "Silva", Phone: "(11) 1111-1111"},
		ShippingMethod: "Flat rate", PlacedAt: utc("2017-03-21T19:16:00Z"), UpdatedAt: utc("2017-03-21T19:54:51Z"),
		Lines: []backorder.Line{
			{LineID: "311", ItemID: "87", ProductID: "87", Title: "Woo Album #2", Quantity: 1},
			{LineID: "313", ItemID: "34", ProductID: "34", Title: "Woo Ninja", Quantity: 1},
		},
		Version: wooArrival,
	}}}},
	{"woocommerce-docs", "order-727-1", "order.created", backorder.Facts{Orders: []backorder.Order{{
		OrderID: "727", Name: "727", Status: backorder.OrderOpen, StoreStatus: "processing",
		Customer:       backorder.Customer{Email: "john.doe@example.com", FirstName: "John", LastName: "Doe", Phone: "(555) 555-5555"},
		ShippingMethod: "Flat Rate", PlacedAt: utc("2017-03-22T19:28:02Z"), UpdatedAt: utc("2017-03-22T19:28:08Z"),
		Lines: []backorder.Line{
			{LineID: "315", ItemID: "93", ProductID: "93", Title: "Woo Single #1", Quantity: 2, OpenUnits: 2},
			{LineID: "316", ItemID: "23", ProductID: "22", SKU: "Bar3", Title: "Ship Your Idea – Color: Black, Size: M Test", Quantity: 1, OpenUnits: 1},
		},
		Version: wooArrival,
	}}}},
	{"woocommerce-docs", "order-727-3", "order.updated", backorder.Facts{Orders: []backorder.Order{{
		OrderID: "727", Name: "727", Status: backorder.OrderFulfilled, StoreStatus: "completed",
		Customer:       backorder.Customer{Email: "john.doe@example.com", FirstName: "John", LastName: "Doe", Phone: "(555) 555-5555"},
		ShippingMethod: "Flat Rate", PlacedAt: utc("2017-03-22T19:28:02Z"), UpdatedAt: utc("2017-03-22T19:30:35Z"),
		Lines: []backorder.Line{
			{LineID: "315", ItemID: "93", ProductID: "93", Title: "Woo Single #1", Quantity: 2},
			{LineID: "316", ItemID: "23", ProductID: "22", SKU: "Bar3", Title: "Ship Your Idea – Color: Black, Size: M Test", Quantity: 1},
		},
		Version: wooArrival,
	}}}},
	{"woocommerce-docs", "product-794-1", "product.created", backorder.Facts{Items: []backorder.Item{{
		ItemID: "794", ProductID: "794", StockKey: "794", Title: "Premium Quality", ContinueSelling: boolp(false), Version: wooArrival,
	}}}},
	{"woocommerce-docs", "product-799-2", "product.updated", backorder.Facts{Items: []backorder.Item{{
		ItemID: "799", ProductID: "799", StockKey: "799", Title: "Ship Your Idea", ContinueSelling: boolp(false), Version: wooArrival,
	}}}},
}

func TestNormalizeFixtures(t *testing.T) {
	for _, tc := range fixtureCases {
		t.Run(tc.dir+"/"+tc.name, func(t *testing.T) {
			headers, body := loadFixture(t, tc.dir, tc.name)
			platform, topic := store.WooCommerce, tc.topic
			switch {
			case headers["X-Shopify-Topic"] != "":
				platform, topic = store.Shopify, headers["X-Shopify-Topic"]
			case headers["X-Wc-Webhook-Topic"] != "":
				topic = headers["X-Wc-Webhook-Topic"]
			}
			check(t, "facts", normalizeOK(t, platform, topic, headers, body), tc.want)
		})
	}
}

// TestNormalizeFixturesAllCovered keeps fixtureCases in step with testdata.
func TestNormalizeFixturesAllCovered(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range fixtureCases {
		covered[tc.dir+"/"+tc.name+".json"] = true
	}
	for _, dir := range []string{"shopify", "woocommerce", "woocommerce-docs"} {
		files, err := filepath.Glob(filepath.Join("..", "testdata", dir, "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if name := dir + "/" + filepath.Base(f); !covered[name] {
				t.Errorf("fixture %s: got no case in fixtureCases, want one", name)
			}
		}
	}
}

func TestNormalizeShopifyTimesAreUTC(t *testing.T) {
	headers, body := loadFixture(t, "shopify", "orders-create")
	o := normalizeOK(t, store.Shopify, "orders/create", headers, body).Orders[0]
	for what, tm := range map[string]time.Time{"PlacedAt": o.PlacedAt, "UpdatedAt": o.UpdatedAt, "Version.At": o.Version.At} {
		if tm.Location() != time.UTC {
			t.Errorf("%s location: got %v, want UTC", what, tm.Location())
		}
	}
}

// inlineCases are shapes no fixture has, written out here.
var inlineCases = []struct {
	name        string
	platform    store.Platform
	topic, body string
	triggeredAt string
	want        backorder.Facts
}{
	{"shopify orders/edited, removals negative whatever their sign", store.Shopify, "orders/edited",
		`{"order_edit":{"id":27311112,"app_id":null,"created_at":"2025-11-20T10:00:00-05:00","notify_customer":false,"order_id":6120458839152,"staff_note":"","user_id":99118842017,` +
			`"line_items":{"additions":[{"id":15088930488432,"delta":2}],"removals":[{"id":15088930521200,"delta":1},{"id":15088930455664,"delta":-3}]},` +
			`"discounts":{"additions":[],"removals":[]},"shipping_lines":{"additions":[],"removals":[]}}}`, "",
		backorder.Facts{Edits: []backorder.OrderEdit{{EditID: "27311112", OrderID: "6120458839152", EditedAt: utc("2025-11-20T15:00:00Z"),
			Changes: []backorder.LineDelta{{LineID: "15088930488432", Delta: 2}, {LineID: "15088930521200", Delta: -1}, {LineID: "15088930455664", Delta: -3}}}}}},
	{"shopify refunds/create with money as JSON numbers", store.Shopify, "refunds/create",
		`{"id":1021453320305,"order_id":6120458839152,"created_at":"2025-11-20T11:06:52-05:00","note":null,"restock":true,"order_adjustments":[],` +
			`"refund_line_items":[{"id":702114458,"line_item_id":15088930488432,"location_id":81264410913,"quantity":2,"restock_type":"return","subtotal":128,` +
			`"subtotal_set":{"shop_money":{"amount":"128.00","currency_code":"CAD"}},"total_tax":16.64},` +
			`{"id":702114459,"line_item_id":15088930521200,"location_id":null,"quantity":1,"restock_type":"no_restock","subtotal":89.5,"total_tax":11.64}],` +
			`"transactions":[{"id":1,"amount":"144.64","kind":"refund"}]}`, "",
		backorder.Facts{Refunds: []backorder.Refund{{RefundID: "1021453320305", OrderID: "6120458839152", CreatedAt: utc("2025-11-20T16:06:52Z"),
			Lines: []backorder.RefundLine{{LineID: "15088930488432", Quantity: 2, RestockType: "return"}, {LineID: "15088930521200", Quantity: 1, RestockType: "no_restock"}}}}}},
	{"shopify level with available null and ids as strings", store.Shopify, "inventory_levels/update",
		`{"inventory_item_id":"48811230042417","location_id":"81264410913","available":null,"updated_at":"2025-11-25T09:00:00-05:00"}`, "not a time",
		backorder.Facts{Levels: []backorder.StockLevel{{StockKey: "48811230042417", LocationID: "81264410913", Version: backorder.Version{At: utc("2025-11-25T14:00:00Z")}}}}},
	{"shopify order without customer or email; custom line; current_quantity", store.Shopify, "orders/updated",
		`{"id":9007199254740993,"name":"#1001","created_at":"2025-11-18T20:42:17+01:00","email":null,"contact_email":null,"phone":null,"customer":null,` +
			`"cancelled_at":null,"financial_status":"pending","fulfillment_status":null,"shipping_lines":[],"line_items":[` +
			`{"id":11,"variant_id":null,"product_id":null,"title":"Gift wrapping","name":"Gift wrapping","quantity":1,"sku":null,"fulfillable_quantity":1},` +
			`{"id":12,"variant_id":46021178499184,"product_id":8840127365232,"title":"Copper Stovetop Kettle","quantity":5,"current_quantity":3,"fulfillable_quantity":4,"sku":null},` +
			`{"id":13,"variant_id":46021178433648,"product_id":8840127332464,"name":"Slate Stoneware Mug - 12 oz","quantity":3,"current_quantity":0,"fulfillable_quantity":0,"sku":""}]}`,
		"2025-11-18T19:42:18.5Z",
		backorder.Facts{Orders: []backorder.Order{{OrderID: "9007199254740993", Name: "#1001", Status: backorder.OrderOpen, StoreStatus: "pending/unfulfilled",
			PlacedAt: utc("2025-11-18T19:42:17Z"), UpdatedAt: utc("2025-11-18T19:42:17Z"),
			Lines: []backorder.Line{
				{LineID: "12", ItemID: "46021178499184", ProductID: "8840127365232", Title: "Copper Stovetop Kettle", Quantity: 3, OpenUnits: 3},
				{LineID: "13", ItemID: "46021178433648", ProductID: "8840127332464", Title: "Slate Stoneware Mug - 12 oz"},
			},
			Version: backorder.Version{At: utc("2025-11-18T19:42:17Z"), Seq: utc("2025-11-18T19:42:18.5Z").UnixNano()}}}}},
	{"shopify partially fulfilled order, customer without personal fields", store.Shopify, "orders/partially_fulfilled",
		`{"id":1,"name":"#1","created_at":"2025-11-18T09:42:17-05:00","updated_at":"2025-11-19T09:00:00-05:00","contact_email":"c@example.com","phone":"+15550100",` +
			`"customer":{"id":5},"financial_status":"paid","fulfillment_status":"partial","line_items":[{"id":2,"variant_id":3,"product_id":4,"quantity":3,"fulfillable_quantity":1}]}`, "",
		backorder.Facts{Orders: []backorder.Order{{OrderID: "1", Name: "#1", Status: backorder.OrderOpen, StoreStatus: "paid/partial",
			Customer: backorder.Customer{ID: "5", Email: "c@example.com", Phone: "+15550100"},
			PlacedAt: utc("2025-11-18T14:42:17Z"), UpdatedAt: utc("2025-11-19T14:00:00Z"),
			Lines:   []backorder.Line{{LineID: "2", ItemID: "3", ProductID: "4", Quantity: 3, OpenUnits: 1}},
			Version: backorder.Version{At: utc("2025-11-19T14:00:00Z")}}}}},
	{"shopify fulfilled order has no open units", store.Shopify, "orders/fulfilled",
		`{"id":1,"created_at":"2025-11-18T09:42:17-05:00","financial_status":"paid","fulfillment_status":"fulfilled","line_items":[{"id":2,"variant_id":3,"quantity":3,"fulfillable_quantity":3}]}`, "",
		backorder.Facts{Orders: []backorder.Order{{OrderID: "1", Status: backorder.OrderFulfilled, StoreStatus: "paid/fulfilled",
			PlacedAt: utc("2025-11-18T14:42:17Z"), UpdatedAt: utc("2025-11-18T14:42:17Z"),
			Lines:   []backorder.Line{{LineID: "2", ItemID: "3", Quantity: 3}},
			Version: backorder.Version{At: utc("2025-11-18T14:42:17Z")}}}}},
	{"shopify product with a default variant and unknown policy", store.Shopify, "products/create",
		`{"id":10,"title":"Linen Towel","updated_at":"2025-11-18T09:42:17-05:00","variants":[{"id":11,"title":"Default Title","sku":null,"inventory_item_id":12,"inventory_policy":null,"inventory_quantity":null,"updated_at":null}]}`, "",
		backorder.Facts{Items: []backorder.Item{{ItemID: "11", ProductID: "10", StockKey: "12", Title: "Linen Towel", Version: backorder.Version{At: utc("2025-11-18T14:42:17Z")}}}}},
	{"shopify app/uninstalled", store.Shopify, "app/uninstalled", `{"id":71839204417,"domain":"harbor-kiln-supply.myshopify.com"}`, "",
		backorder.Facts{Uninstalled: true}},
	{"woo order.deleted", store.WooCommerce, "order.deleted", `{"id":123}`, "", backorder.Facts{DeletedOrders: []string{"123"}}},
	{"woo product.deleted", store.WooCommerce, "product.deleted", `{"id":1517}`, "", backorder.Facts{DeletedItems: []string{"1517"}}},
	{"woo variation whose parent manages stock, sku null", store.WooCommerce, "product.updated",
		`{"id":1518,"name":"Linen Apron - Sand","type":"variation","parent_id":1502,"sku":null,"manage_stock":"parent","stock_quantity":null,"stock_status":"instock","backorders":"notify"}`, "",
		backorder.Facts{Items: []backorder.Item{{ItemID: "1518", ProductID: "1502", StockKey: "1518", Title: "Linen Apron - Sand", ContinueSelling: boolp(true), Version: wooArrival}}}},
	{"woo pending order, sku and email null, no date_modified_gmt", store.WooCommerce, "order.created",
		`{"id":48214,"number":48214,"status":"pending","customer_id":0,"date_created_gmt":"2025-11-18T14:42:17","date_modified_gmt":null,` +
			`"billing":{"first_name":"Ana","last_name":"","email":null,"phone":""},"shipping_lines":[],` +
			`"line_items":[{"id":9080,"name":"Tea Towel &amp; Cloth","product_id":1600,"variation_id":0,"quantity":2,"sku":null,"price":8.5},` +
			`{"id":9081,"name":"Deleted product","product_id":0,"variation_id":0,"quantity":1,"sku":null,"price":1}]}`, "",
		backorder.Facts{Orders: []backorder.Order{{OrderID: "48214", Name: "48214", Status: backorder.OrderPending, StoreStatus: "pending",
			Customer: backorder.Customer{FirstName: "Ana"}, PlacedAt: utc("2025-11-18T14:42:17Z"), UpdatedAt: utc("2025-11-18T14:42:17Z"),
			Lines:   []backorder.Line{{LineID: "9080", ItemID: "1600", ProductID: "1600", Title: "Tea Towel & Cloth", Quantity: 2}},
			Version: wooArrival}}}},
	{"woo order with a plugin's status counts as open", store.WooCommerce, "order.updated",
		`{"id":48215,"status":"awaiting-shipment","date_created_gmt":"2025-11-18T14:42:17","line_items":[{"id":1,"product_id":2,"variation_id":0,"quantity":2}]}`, "",
		backorder.Facts{Orders: []backorder.Order{{OrderID: "48215", Name: "48215", Status: backorder.OrderOpen, StoreStatus: "awaiting-shipment",
			PlacedAt: utc("2025-11-18T14:42:17Z"), UpdatedAt: utc("2025-11-18T14:42:17Z"),
			Lines: []backorder.Line{{LineID: "1", ItemID: "2", ProductID: "2", Quantity: 2, OpenUnits: 2}}, Version: wooArrival}}}},
}

func TestNormalizeInline(t *testing.T) {
	for _, tc := range inlineCases {
		t.Run(tc.name, func(t *testing.T) {
			headers := map[string]string{}
			if tc.triggeredAt != "" {
				headers["X-Shopify-Triggered-At"] = tc.triggeredAt
			}
			check(t, "facts", normalizeOK(t, tc.platform, tc.topic, headers, []byte(tc.body)), tc.want)
		})
	}
}

func TestNormalizeRejects(t *testing.T) {
	const created = `"created_at":"2025-11-18T09:42:17-05:00"`
	for _, tc := range []struct {
		name        string
		platform    store.Platform
		topic, body string
		reason      string // a part of the reason
	}{
		{"not JSON", store.Shopify, "orders/create", `{"id":`, "orders/create: body is not JSON: "},
		{"empty body", store.Shopify, "orders/create", ``, "orders/create: body is not JSON: "},
		{"array", store.Shopify, "orders/create", `[]`, "orders/create: body is not a JSON object"},
		{"null", store.WooCommerce, "order.created", `null`, "order.created: body is not a JSON object"},
		{"order without id", store.Shopify, "orders/create", `{` + created + `}`, "lacks its id"},
		{"order without created_at", store.Shopify, "orders/updated", `{"id":1}`, "created_at"},
		{"unparsable created_at", store.Shopify, "orders/create", `{"id":1,"created_at":"18/11/2025 09:42"}`, `created_at "18/11/2025 09:42" is not a time`},
		{"line without id", store.Shopify, "orders/create", `{"id":1,` + created + `,"line_items":[{"id":2,"variant_id":3},{"variant_id":4}]}`, "orders/create: line_items[1] has no id"},
		{"fractional id", store.Shopify, "orders/create", `{"id":1.5,` + created + `}`, "field id holds JSON 1.5, want a whole-number id"},
		{"quantity as a string", store.Shopify, "orders/create", `{"id":1,` + created + `,"line_items":[{"id":2,"quantity":"3"}]}`, "field line_items.quantity holds JSON string, want a whole number"},
		{"edit without order_id", store.Shopify, "orders/edited", `{"order_edit":{"id":1}}`, "lacks its id or order_id"},
		{"refund line without line_item_id", store.Shopify, "refunds/create", `{"id":1,"order_id":2,"refund_line_items":[{"quantity":1}]}`, "refund_line_items[0] has no line_item_id"},
		{"level without updated_at", store.Shopify, "inventory_levels/update", `{"inventory_item_id":1,"location_id":2,"available":3}`, "updated_at"},
		{"variant without id", store.Shopify, "products/update", `{"id":1,"variants":[{"id":2},{"sku":"X"}]}`, "variants[1] of product 1 has no id"},
		{"redact naming no customer", store.Shopify, "customers/redact", `{"shop_id":1,"orders_to_redact":[]}`, "neither id nor email"},
		{"unhandled shopify topic", store.Shopify, "orders/delete", `{"id":1}`, "orders/delete: topic is not handled"},
		{"woo topic sent as shopify", store.Shopify, "order.created", `{"id":1}`, "not handled"},
		{"unhandled woo topic", store.WooCommerce, "coupon.created", `{"id":1}`, "coupon.created: topic is not handled"},
		{"woo order without date_created_gmt", store.WooCommerce, "order.updated", `{"id":1,"status":"processing"}`, "date_created_gmt"},
		{"woo bad date", store.WooCommerce, "order.created", `{"id":1,"date_created_gmt":"yesterday"}`, `date_created_gmt "yesterday" is not a time in the form 2006-01-02T15:04:05`},
		{"woo order line without id", store.WooCommerce, "order.created", `{"id":1,"date_created_gmt":"2025-11-18T14:42:17","line_items":[{"product_id":2}]}`, "line_items[0] has no id"},
		{"woo deletion without id", store.WooCommerce, "order.deleted", `{}`, "order.deleted: body has no id"},
		{"woo product without id", store.WooCommerce, "product.updated", `{"name":"x"}`, "product has no id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			facts, err := Normalize(tc.platform, tc.topic, nil, []byte(tc.body), testReceivedAt, testInboxID)
			var reject *RejectError
			if !errors.As(err, &reject) {
				t.Fatalf("error: got %v (%T) with facts %s, want a *RejectError", err, err, show(facts))
			}
			if !strings.Contains(reject.Reason, tc.reason) {
				t.Errorf("reason: got %q, want it to contain %q", reject.Reason, tc.reason)
			}
		})
	}
}

func TestNormalizeHandled(t *testing.T) {
	for _, tc := range []struct {
		platform store.Platform
		topic    string
		want     bool
	}{
		{store.Shopify, "orders/create", true},
		{store.Shopify, "orders/partially_fulfilled", true},
		{store.Shopify, "shop/redact", true},
		{store.Shopify, "orders/delete", false},
		{store.Shopify, "order.created", false},
		{store.WooCommerce, "product.restored", true},
		{store.WooCommerce, "orders/create", false},
		{store.WooCommerce, "action.woocommerce_add_to_cart", false},
		{"magento", "orders/create", false},
	} {
		t.Run(string(tc.platform)+" "+tc.topic, func(t *testing.T) {
			if got := Handled(tc.platform, tc.topic); got != tc.want {
				t.Errorf("Handled: got %v, want %v", got, tc.want)
			}
		})
	}
}
