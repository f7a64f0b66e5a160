package jobs

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// referenceFacts is what TaskLog logged of a payload before it scanned
// payloads itself: encoding/json into the named keys. The scanner must log
// the same of every payload.
func referenceFacts(payload []byte) []any {
	var p struct {
		ID      int64    `json:"id"`
		ShopID  int64    `json:"shop_id"`
		ItemID  string   `json:"item_id"`
		EmailID int64    `json:"email_id"`
		POID    int64    `json:"po_id"`
		InboxID int64    `json:"inbox_id"`
		Period  int64    `json:"period"`
		Topic   string   `json:"topic"`
		Shop    string   `json:"shop"`
		Kind    string   `json:"kind"`
		Of      string   `json:"of"`
		Subject *Subject `json:"subject"`
	}
	if json.Unmarshal(payload, &p) != nil {
		return nil
	}
	s := p.Subject
	if s == nil {
		s = &Subject{}
	}
	var attrs []any
	add := func(key string, v any, set bool) {
		if set {
			attrs = append(attrs, key, v)
		}
	}
	add("row_id", p.ID, p.ID != 0)
	add("shop_id", p.ShopID, p.ShopID != 0)
	add("shop", s.Shop+p.Shop, s.Shop != "" || p.Shop != "")
	add("topic", s.Topic+p.Topic, s.Topic != "" || p.Topic != "")
	add("item_id", s.Item+p.ItemID, s.Item != "" || p.ItemID != "")
	add("sku", s.SKU, s.SKU != "")
	add("order_ids", s.Orders, len(s.Orders) > 0)
	add("order_count", s.OrderCount, s.OrderCount > 0)
	add("email_kind", s.Email, s.Email != "")
	add("email_id", p.EmailID, p.EmailID != 0)
	add("po_id", p.POID+s.PO, p.POID != 0 || s.PO != 0)
	add("inbox_id", p.InboxID, p.InboxID != 0)
	add("write_kind", p.Kind, p.Kind != "")
	add("write_of", p.Of, p.Of != "")
	add("period", time.Unix(p.Period, 0).UTC().Format(time.RFC3339), p.Period != 0)
	return attrs
}

// TestTaskLogScansAPayloadForWhatEncodingJSONFoundInIt: the log line's
// facts of each kind of payload, and of odd and broken ones, are what
// decoding the payload with encoding/json gives.
func TestTaskLogScansAPayloadForWhatEncodingJSONFoundInIt(t *testing.T) {
	order, err := os.ReadFile(filepath.Join("..", "testdata", "shopify", "orders-create.json"))
	if err != nil {
		t.Fatal(err)
	}
	spool, _ := json.Marshal(spoolPayload{ShopID: 3, Topic: "orders/create", DedupeKey: "k",
		Headers: map[string]string{"X-Shopify-Topic": "orders/create"}, Body: order, ReceivedAt: time.Unix(1764115200, 0)})
	rawSpool, _ := json.Marshal(map[string]any{"shop_id": 3, "body": json.RawMessage(order), "topic": "orders/create"})
	payloads := []string{
		string(spool), string(rawSpool),
		string(newRowTask(TypeReconcile, 33, &Subject{Shop: "harbor-kiln-supply.myshopify.com", Item: "4410", SKU: "KETTLE-CU-1L"}).Payload()),
		string(newRowTask(TypeOrderMessages, 35, (&Subject{Shop: "h.myshopify.com"}).withOrders("1", "2", "3", "4", "5", "6")).Payload()),
		string(NewPeriodicTask(TypeRelay, time.Unix(1764115200, 0)).Payload()),
		`{"id":7,"hash":"ab12","kind":"order","of":"48213"}`,
		`{"shop_id":1,"period":1764115200,"shop":"s.myshopify.com"}`,
		`{"every":"30s","about":"enqueue tasks Redis lost"}`,
		`{"id":34,"subject":{"shop":"m.myshopify.com","orders":["1"],"email":"backordered","po":0}}`,
		`{"shop_id":2,"inbox_id":9,"after":100,"subject":{"shop":"x"}}`,
		`{"id":1,"subject":null}`, `{"id":1,"subject":{"orders":null,"order_count":0}}`,
		`{"id":1,"subject":{"shop":"a\"b\\c\u00e9\/","sku":"K\\\"1","item":"\\"}}`,
		`{"x":{"y":[1,"}",{"z":"]\"["}],"w":-1.5e3},"id":5,"t":true,"f":false,"n":null,"e":{},"a":[]}`,
		" {\n\t\"id\" : 12 ,\r\n \"subject\" : { \"shop\" : \"s\" , \"orders\" : [ \"1\" , \"2\" ] } }\n",
		`{}`, `{"id":0,"shop":""}`, `{"id":-4}`,
		// Broken, or not of the shapes the tasks write: no facts.
		``, `null`, `[1]`, `"id"`, `{"id":1`, `{"id":1}x`, `{"id":"1"}`, `{"id":1.5}`, `{"id":1,}`, `{"id":}`,
		`{"shop":1}`, `{"subject":{"orders":"1"}}`, `{"subject":{"orders":[1]}}`, `{"subject":[]}`, `{"a":"unterminated}`,
		`{"id":1 "shop":"s"}`, `{id:1}`,
	}
	render := func(attrs ...any) string {
		var b bytes.Buffer
		slog.New(slog.NewJSONHandler(&b, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}})).Info("task done", attrs...)
		return b.String()
	}
	for _, p := range payloads {
		var attrs []any
		for _, a := range appendTaskFacts(nil, []byte(p)) {
			attrs = append(attrs, a)
		}
		if got, want := render(attrs...), render(referenceFacts([]byte(p))...); got != want {
			t.Errorf("payload %.200q logs\n%s want\n%s", p, got, want)
		}
	}

	// The facts of a spooled delivery are read without decoding its body:
	// three allocations, where encoding/json made 12.
	attrs := make([]slog.Attr, 0, 16)
	if n := testing.AllocsPerRun(20, func() { attrs = appendTaskFacts(attrs[:0], spool) }); n > 3 {
		t.Errorf("facts of a spooled delivery: %v allocations, want at most 3", n)
	}
}
