package main

// A small sale of the fixture shop's 1 L kettle, posted signed as Shopify
// would, and its expected outcome computed apart from the engine: for the
// end-to-end tests that change what is under the process (Sentinel
// failover, a Redis Cluster).

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/backorderd/backorderd/store"
)

const (
	kettleSKU     = "HK-KETTLE-1L-CPR"
	kettleInStock = 9 // testdata/shopify/inventory_levels-update.json, before every order of the sale
	kettlePerLine = 2
	saleOrderBase = 7100000000000
)

// kettleSale posts to a process with ADMIN_TOKEN set to monitorToken,
// whose database is the SQLite file db.
type kettleSale struct {
	t    *testing.T
	addr string
	db   string
	line map[string]any // the fixture order's kettle line
	body map[string]any // the fixture order
	// start, when set, is when order 1 was placed, each next one every
	// later; otherwise order i was placed i minutes past 10:00 on 25
	// November 2025.
	start time.Time
	every time.Duration
}

// saleEnv is the environment of `run` on a SQLite file and the given Redis
// settings, with the relay quick to re-enqueue what Redis lost.
func saleEnv(db string, redisVars map[string]string) map[string]string {
	env := map[string]string{
		"DATABASE_URL": "sqlite:" + db, "ADMIN_TOKEN": monitorToken,
		"SHOPIFY_SHOP_DOMAIN": shopDomain, "SHOPIFY_WEBHOOK_SECRET": shopifySecret,
		"SETTLE_QUIET": "0s", "RELAY_INTERVAL": "1s", "RELAY_AFTER": "0s",
	}
	for k, v := range redisVars {
		env[k] = v
	}
	return env
}

// startSale runs `run` on a SQLite file of its own and the Redis settings
// given, and stocks the kettle.
func startSale(t *testing.T, redisVars map[string]string) (*process, *kettleSale) {
	t.Helper()
	db := filepath.Join(t.TempDir(), "backorderd.db")
	p := start(t, []string{"run"}, saleEnv(db, redisVars))
	p.waitReady(t)
	s := newKettleSale(t, p.addr)
	s.db = db
	s.stock()
	return p, s
}

func newKettleSale(t *testing.T, addr string) *kettleSale {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdata, "shopify", "orders-create.json"))
	if err != nil {
		t.Fatal(err)
	}
	s := &kettleSale{t: t, addr: addr}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // ids stay exact
	if err := dec.Decode(&s.body); err != nil {
		t.Fatal(err)
	}
	for _, l := range s.body["line_items"].([]any) {
		if l.(map[string]any)["sku"] == kettleSKU {
			s.line = l.(map[string]any)
		}
	}
	return s
}

// stock posts the product (its inventory item) and the level, 9 kettles,
// and waits for both to be applied: the orders come after.
func (s *kettleSale) stock() {
	s.t.Helper()
	for _, name := range []string{"shopify/products-update", "shopify/inventory_levels-update"} {
		if resp := postFixture(s.t, s.addr, name); resp.StatusCode != http.StatusOK {
			s.t.Fatalf("%s answered %d", name, resp.StatusCode)
		}
	}
	waitInbox(s.t, "sqlite", s.db, 2, store.InboxProcessed)
}

// orders posts orders from to to, in turn.
func (s *kettleSale) orders(from, to int) {
	s.t.Helper()
	for i := from; i <= to; i++ {
		s.order(i)
	}
}

// waitApplied waits for the stock and n orders to be processed and for
// the backorders of the n orders.
func (s *kettleSale) waitApplied(n int) {
	s.t.Helper()
	waitInbox(s.t, "sqlite", s.db, n+2, store.InboxProcessed)
	s.waitOutcome(n)
}

// order posts order i (from 1): one line of two kettles, placed i minutes
// after the level was reported.
func (s *kettleSale) order(i int) {
	s.t.Helper()
	id := strconv.Itoa(saleOrderBase + i)
	at := time.Date(2025, 11, 25, 10, i, 0, 0, time.UTC).Format(time.RFC3339)
	if !s.start.IsZero() {
		at = s.start.Add(time.Duration(i-1) * s.every).UTC().Format(time.RFC3339)
	}
	line := map[string]any{}
	for k, v := range s.line {
		line[k] = v
	}
	line["id"], line["quantity"], line["fulfillable_quantity"] = json.Number(strconv.Itoa(saleOrderBase+100+i)), kettlePerLine, kettlePerLine
	order := map[string]any{}
	for k, v := range s.body {
		order[k] = v
	}
	order["id"], order["name"], order["line_items"] = json.Number(id), "#S"+strconv.Itoa(i), []any{line}
	order["created_at"], order["updated_at"], order["processed_at"] = at, at, at
	body, err := json.Marshal(order)
	if err != nil {
		s.t.Fatal(err)
	}
	mac := hmac.New(sha256.New, []byte(shopifySecret))
	mac.Write(body)
	req, _ := http.NewRequest(http.MethodPost, "http://"+s.addr+"/webhooks/shopify", bytes.NewReader(body))
	for k, v := range map[string]string{"Content-Type": "application/json", "X-Shopify-Topic": "orders/create",
		"X-Shopify-Hmac-Sha256": base64.StdEncoding.EncodeToString(mac.Sum(nil)), "X-Shopify-Shop-Domain": shopDomain,
		"X-Shopify-API-Version": "2025-10", "X-Shopify-Webhook-Id": "sale-webhook-" + id, "X-Shopify-Event-Id": "sale-event-" + id,
		"X-Shopify-Triggered-At": at} {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("post order %d: %v", i, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		s.t.Fatalf("order %d answered %d", i, resp.StatusCode)
	}
}

// expected is the oracle: after n orders the newest units wait, the
// oldest are served from the 9 in stock.
func expectedWaiting(n int) map[string]int {
	want := map[string]int{}
	owed := max(0, n*kettlePerLine-kettleInStock)
	for i := n; i >= 1 && owed > 0; i-- {
		w := min(kettlePerLine, owed)
		want[strconv.Itoa(saleOrderBase+i)] = w
		owed -= w
	}
	return want
}

// waitOutcome waits until the backorders of the kettle are those of n
// orders and the item is settled, and fails saying what it last saw.
func (s *kettleSale) waitOutcome(n int) {
	s.t.Helper()
	want := expectedWaiting(n)
	var got map[string]int
	var item struct {
		Owed     int  `json:"owed"`
		Waiting  int  `json:"waiting"`
		Settling bool `json:"settling"`
	}
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		var list struct {
			Items []struct {
				OrderID string `json:"order_id"`
				Waiting int    `json:"waiting"`
			} `json:"items"`
		}
		if !s.admin("/api/v1/backorders?sku="+kettleSKU+"&status=waiting&limit=100", &list) ||
			!s.admin("/api/v1/items?sku="+kettleSKU, &item) {
			continue
		}
		got = map[string]int{}
		total := 0
		for _, b := range list.Items {
			got[b.OrderID] = b.Waiting
			total += b.Waiting
		}
		if fmt.Sprint(got) == fmt.Sprint(want) && !item.Settling && item.Owed == total && item.Waiting == total {
			return
		}
	}
	s.t.Fatalf("backorders waiting = %v (item %+v), want %v", got, item, want)
}

// admin GETs an admin API path into v; false while it does not answer 200.
func (s *kettleSale) admin(path string, v any) bool {
	req, _ := http.NewRequest(http.MethodGet, "http://"+s.addr+path, nil)
	req.Header.Set("Authorization", "Bearer "+monitorToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode == http.StatusOK && json.Unmarshal(b, v) == nil
}
