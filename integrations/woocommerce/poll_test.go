package woocommerce_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/integrations/payload"
	"github.com/backorderd/backorderd/integrations/payload/payloadtest"
	"github.com/backorderd/backorderd/integrations/storeapi"
	"github.com/backorderd/backorderd/integrations/woocommerce"
	"github.com/backorderd/backorderd/integrations/woocommerce/woocommercetest"
)

// fixture is a signed webhook body of the repository's testdata.
func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "woocommerce", name+".json"))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return string(b)
}

// facts normalizes a body as a delivery of topic.
func facts(t *testing.T, topic, body string) backorder.Facts {
	t.Helper()
	return payloadtest.Normalized(t, woocommerce.Normalize, payload.Delivery{Topic: topic, Body: []byte(body), ReceivedAt: testReceivedAt, InboxID: testInboxID})
}

// pollStore is a store whose orders and items changed on 18–24 November
// 2025, beside others that did not change since the 1st.
func pollStore(t *testing.T) (*woocommercetest.Server, *woocommerce.Client, map[string]string) {
	s, c := newStore(t)
	c.PerPage = 1
	webhooks := map[string]string{ // the webhook body each changed resource would be delivered with
		"order 48213":   fixture(t, "order-created"),
		"order 48214":   strings.Replace(fixture(t, "order-updated-cancelled"), `{"id":48213,`, `{"id":48214,`, 1),
		"product 1534":  fixture(t, "product-updated"),
		"variation1517": fixture(t, "product-updated-variation"),
	}
	s.AddOrder(webhooks["order 48214"])
	s.AddOrder(webhooks["order 48213"])
	s.AddOrder(`{"id":47001,"status":"completed","date_created_gmt":"2025-10-01T10:00:00","date_modified_gmt":"2025-11-01T10:00:00","date_modified":"2025-11-01T02:00:00","line_items":[]}`)
	s.AddProduct(webhooks["product 1534"])
	s.AddProduct(`{"id":1488,"name":"Walnut Serving Board","type":"simple","date_modified_gmt":"2025-11-01T10:00:00","date_modified":"2025-11-01T02:00:00"}`)
	s.AddProduct(`{"id":1502,"name":"Linen Apron","type":"variable","date_modified_gmt":"2025-03-04T17:15:02","date_modified":"2025-03-04T09:15:02"}`)
	s.AddVariation(1502, webhooks["variation1517"])
	s.AddVariation(1502, `{"id":1518,"name":"Linen Apron - Sand","date_modified_gmt":"2025-11-01T10:00:00","date_modified":"2025-11-01T02:00:00"}`)
	s.AddProduct(`{"id":1700,"name":"Apron Kit","type":"variable","date_modified_gmt":"2025-11-01T10:00:00","date_modified":"2025-11-01T02:00:00"}`)
	return s, c, webhooks
}

func TestChangesPagesAndEachDecodesAsItsWebhook(t *testing.T) {
	s, c, webhooks := pollStore(t)
	// 10:00 GMT is 02:00 in the store's zone: a client that let the store
	// read modified_after in its own zone would miss the 14:42 GMT changes.
	since := time.Date(2025, 11, 18, 10, 0, 0, 0, time.UTC)
	var got []storeapi.Change
	if err := c.Changes(context.Background(), since, func(ch storeapi.Change) error {
		got = append(got, ch)
		return nil
	}); err != nil {
		t.Fatalf("Changes: %v", err)
	}
	want := []struct {
		topic, webhook, key string
		updated             string
	}{
		{"order.updated", "order 48213", "poll:order:48213:", "2025-11-18T14:42:22Z"},
		{"order.updated", "order 48214", "poll:order:48214:", "2025-11-19T16:15:03Z"},
		{"product.updated", "product 1534", "poll:product:1534:", "2025-11-24T19:08:40Z"},
		{"product.updated", "variation1517", "poll:product:1517:", "2025-11-18T14:42:22Z"},
	}
	if len(got) != len(want) {
		t.Fatalf("changes: got %d, want %d: %v", len(got), len(want), got)
	}
	for i, w := range want {
		t.Run(w.webhook, func(t *testing.T) {
			ch := got[i]
			if ch.Topic != w.topic || ch.DedupeKey != w.key+payload.Hash(ch.Body) || !ch.UpdatedAt.Equal(payloadtest.UTC(w.updated)) {
				t.Errorf("change: got topic %q key %q updated %v, want %q %q<sha256 of body> %s", ch.Topic, ch.DedupeKey, ch.UpdatedAt, w.topic, w.key, w.updated)
			}
			payloadtest.Check(t, "facts", facts(t, ch.Topic, string(ch.Body)), facts(t, w.topic, webhooks[w.webhook]))
		})
	}
	// Each list starts at since, read as GMT, and moves on by the times it
	// read (a second back, for what shares the last one), never before since.
	first := map[string]string{}
	for _, call := range s.Calls() {
		if call.Method != "GET" || !call.Query.Has("modified_after") {
			continue
		}
		after := call.Query.Get("modified_after")
		if call.Query.Get("dates_are_gmt") != "true" || after < "2025-11-18T10:00:00" {
			t.Errorf("%s: got modified_after=%q dates_are_gmt=%q, want from 2025-11-18T10:00:00 on, read as GMT", call.Path, after, call.Query.Get("dates_are_gmt"))
		}
		if _, ok := first[call.Path]; !ok {
			first[call.Path] = after
		}
	}
	for _, path := range []string{"orders", "products", "products/1502/variations"} {
		if first[path] != "2025-11-18T10:00:00" {
			t.Errorf("%s: first modified_after %q, want since, 2025-11-18T10:00:00", path, first[path])
		}
	}
}

func TestChangesTwiceGiveTheSameKeysAndNothingAfterTheLastChange(t *testing.T) {
	_, c, _ := pollStore(t)
	collect := func(since time.Time) []string {
		var keys []string
		if err := c.Changes(context.Background(), since, func(ch storeapi.Change) error {
			keys = append(keys, ch.DedupeKey)
			return nil
		}); err != nil {
			t.Fatalf("Changes: %v", err)
		}
		return keys
	}
	since := time.Date(2025, 11, 18, 10, 0, 0, 0, time.UTC)
	first, second := collect(since), collect(since)
	if len(first) != 4 || !slices.Equal(first, second) {
		t.Errorf("dedupe keys: got %v then %v, want the same four", first, second)
	}
	if late := collect(time.Date(2025, 11, 24, 19, 8, 40, 0, time.UTC)); len(late) != 0 {
		t.Errorf("after the last change: got %v, want nothing", late)
	}
}

func TestChangesStopsAtTheFirstFailure(t *testing.T) {
	s, c, _ := pollStore(t)
	s.Fail("GET", "products", 1, 503)
	n := 0
	err := c.Changes(context.Background(), time.Date(2025, 11, 18, 10, 0, 0, 0, time.UTC), func(storeapi.Change) error { n++; return nil })
	if e := storeError(t, err); !e.Retryable || n != 2 {
		t.Errorf("Changes: got %v after %d changes, want a retryable error after the 2 orders", err, n)
	}
}

func TestResolveGivesTheItemAsItsWebhook(t *testing.T) {
	_, c, webhooks := pollStore(t)
	for _, tc := range []struct{ key, webhook string }{{"1517", "variation1517"}, {"1534", "product 1534"}} {
		t.Run(tc.key, func(t *testing.T) {
			ch, err := c.Resolve(context.Background(), tc.key)
			if err != nil {
				t.Fatalf("Resolve: %v", err)
			}
			if ch.Topic != "product.updated" || !strings.HasPrefix(ch.DedupeKey, "poll:product:"+tc.key+":") {
				t.Errorf("change: got topic %q key %q, want product.updated poll:product:%s:…", ch.Topic, ch.DedupeKey, tc.key)
			}
			payloadtest.Check(t, "facts", facts(t, ch.Topic, string(ch.Body)), facts(t, "product.updated", webhooks[tc.webhook]))
		})
	}
}

// An order modified while the client walks the list moves to its end; a
// walk by page number would then skip the order that slid back into the
// page already read, and never see it again (its time below the next
// watermark). Walking by time reads every order.
func TestChangesReadEveryOrderWhenOneMovesDuringTheWalk(t *testing.T) {
	s, c := newStore(t)
	c.PerPage = 1
	order := func(id int, modified string) string {
		return fmt.Sprintf(`{"id":%d,"status":"processing","date_created_gmt":"2025-11-01T10:00:00","date_modified_gmt":%q,"line_items":[]}`, id, modified)
	}
	s.AddOrder(order(501, "2025-11-18T10:00:01"))
	s.AddOrder(order(502, "2025-11-18T10:00:02"))
	s.AddOrder(order(503, "2025-11-18T10:00:03"))
	reads := 0
	s.BeforeRequest = func(method, path string, _ url.Values) {
		if path == "orders" {
			if reads++; reads == 2 { // the merchant edits 501 after the first page was read
				s.AddOrder(order(501, "2025-11-18T12:00:00"))
			}
		}
	}
	seen := map[string]bool{}
	if err := c.Changes(context.Background(), time.Date(2025, 11, 18, 9, 0, 0, 0, time.UTC), func(ch storeapi.Change) error {
		if ch.Topic == "order.updated" {
			seen[strings.Split(ch.DedupeKey, ":")[2]] = true
		}
		return nil
	}); err != nil {
		t.Fatalf("Changes: %v", err)
	}
	for _, id := range []string{"501", "502", "503"} {
		if !seen[id] {
			t.Errorf("order %s was not read (read: %v)", id, seen)
		}
	}
}
