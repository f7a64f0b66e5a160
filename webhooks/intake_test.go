package webhooks_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func TestEveryFixtureIsAcceptedAndApplied(t *testing.T) {
	fixtures := []struct {
		name, path string
		check      func(t *testing.T, h *harness)
	}{
		{"shopify/orders-create", "/webhooks/shopify", func(t *testing.T, h *harness) {
			o, err := h.store.Order(context.Background(), h.shop.ID, "6120458839152")
			if err != nil || o.Name != "#2417" || len(o.Lines) != 3 || o.Status != "open" {
				t.Fatalf("order = %+v, %v", o, err)
			}
		}},
		{"shopify/orders-cancelled", "/webhooks/shopify", func(t *testing.T, h *harness) {
			o, _ := h.store.Order(context.Background(), h.shop.ID, "6120458839152")
			if o.Status != "cancelled" || o.Lines[0].OpenUnits != 0 {
				t.Fatalf("order = %+v, want cancelled with no open units", o)
			}
		}},
		{"shopify/inventory_levels-update", "/webhooks/shopify", func(t *testing.T, h *harness) {
			ls, _ := h.store.Levels(context.Background(), h.shop.ID, "48811230042417")
			if len(ls) != 1 || ls[0].Available == nil || *ls[0].Available != 9 || ls[0].LocationID != "81264410913" {
				t.Fatalf("levels = %+v, want 9 at 81264410913", ls)
			}
		}},
		{"shopify/products-update", "/webhooks/shopify", func(t *testing.T, h *harness) {
			it, err := h.store.Item(context.Background(), h.shop.ID, "46021178499184")
			if err != nil || it.StockKey != "48811230042417" || it.ContinueSelling == nil || !*it.ContinueSelling {
				t.Fatalf("kettle item = %+v, %v", it, err)
			}
		}},
		{"shopify/customers-data_request", "/webhooks/shopify", func(t *testing.T, h *harness) {
			rs, _ := h.store.PrivacyRecords(context.Background(), h.shop.ID, 0, 10)
			if len(rs) != 1 || rs[0].Kind != "customer_data" || !strings.Contains(rs[0].Document, "7302214451337") {
				t.Fatalf("privacy records = %+v", rs)
			}
		}},
		{"shopify/customers-redact", "/webhooks/shopify", func(t *testing.T, h *harness) {
			rs, _ := h.store.PrivacyRecords(context.Background(), h.shop.ID, 0, 10)
			if len(rs) != 1 || rs[0].Kind != "customer_redact" || rs[0].Document != "" {
				t.Fatalf("privacy records = %+v", rs)
			}
		}},
		{"shopify/shop-redact", "/webhooks/shopify", func(t *testing.T, h *harness) {
			rs, _ := h.store.PrivacyRecords(context.Background(), h.shop.ID, 0, 10)
			if len(rs) != 1 || rs[0].Kind != "shop_redact" {
				t.Fatalf("privacy records = %+v", rs)
			}
		}},
		{"woocommerce/order-created", "/webhooks/woocommerce", func(t *testing.T, h *harness) {
			o, err := h.store.Order(context.Background(), h.woo.ID, "48213")
			if err != nil || len(o.Lines) != 3 || o.Lines[1].ItemID == "" {
				t.Fatalf("order = %+v, %v", o, err)
			}
		}},
		{"woocommerce/order-updated-cancelled", "/webhooks/woocommerce", func(t *testing.T, h *harness) {
			o, _ := h.store.Order(context.Background(), h.woo.ID, "48213")
			if o.Status != "cancelled" {
				t.Fatalf("order = %+v, want cancelled", o)
			}
		}},
		{"woocommerce/product-updated", "/webhooks/woocommerce", func(t *testing.T, h *harness) {
			es, _ := h.store.ListInbox(context.Background(), store.InboxFilter{Limit: 1})
			if es[0].Status != store.InboxProcessed {
				t.Fatalf("delivery = %+v", es[0])
			}
		}},
		{"woocommerce/product-updated-variation", "/webhooks/woocommerce", func(t *testing.T, h *harness) {
			it, err := h.store.Item(context.Background(), h.woo.ID, "1517")
			if err != nil || it.ProductID != "1502" || it.Quantity == nil || *it.Quantity != -2 {
				t.Fatalf("variation = %+v, %v", it, err)
			}
		}},
	}
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		for _, f := range fixtures {
			t.Run(f.name, func(t *testing.T) {
				h := newHarness(t, storetest.New(t, s.Engine()))
				headers, body := fixture(t, f.name)
				if rec := h.postTo(f.path, headers, body); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "accepted") {
					t.Fatalf("answer = %d %s, want 200 accepted", rec.Code, rec.Body)
				}
				h.process(t)
				if e := h.only(t); e.Status != store.InboxProcessed || e.Reason != "" {
					t.Fatalf("delivery = %+v, want processed", e)
				}
				f.check(t, h)
			})
		}
	})
}

func TestWooCommerceDocumentedObjectsAreApplied(t *testing.T) {
	h := newHarness(t, storetest.New(t, store.SQLite))
	for _, tt := range []struct{ name, topic string }{
		{"order-723-2", "order.updated"}, {"order-727-1", "order.created"}, {"order-727-3", "order.updated"},
	} {
		body, err := os.ReadFile(filepath.Join("..", "testdata", "woocommerce-docs", tt.name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		hd := http.Header{}
		hd.Set("X-WC-Webhook-Source", wooStore)
		hd.Set("X-WC-Webhook-Topic", tt.topic)
		hd.Set("X-WC-Webhook-Signature", sign(wooSecret, body))
		if rec := h.postTo("/webhooks/woocommerce", hd, body); rec.Code != http.StatusOK {
			t.Fatalf("%s: %d %s", tt.name, rec.Code, rec.Body)
		}
	}
	h.process(t)
	es, _ := h.store.ListInbox(context.Background(), store.InboxFilter{Limit: 10})
	for _, e := range es {
		if e.Status != store.InboxProcessed && !strings.HasPrefix(e.Reason, "stale") {
			t.Errorf("delivery %d = %s %q, want processed", e.ID, e.Status, e.Reason)
		}
	}
}

func TestWooCommerceSignaturesAndPing(t *testing.T) {
	h := newHarness(t, storetest.New(t, store.SQLite))
	headers, body := fixture(t, "woocommerce/order-created")
	tests := []struct {
		name   string
		mutate func(http.Header) []byte
		want   int
	}{
		{"valid", func(http.Header) []byte { return body }, http.StatusOK},
		{"tampered", func(http.Header) []byte {
			return bytes.Replace(body, []byte(`"quantity":3`), []byte(`"quantity":1`), 1)
		}, http.StatusUnauthorized},
		{"wrong secret", func(hd http.Header) []byte { hd.Set("X-WC-Webhook-Signature", sign("nope", body)); return body }, http.StatusUnauthorized},
		{"missing signature", func(hd http.Header) []byte { hd.Del("X-WC-Webhook-Signature"); return body }, http.StatusUnauthorized},
		{"unknown store", func(hd http.Header) []byte { hd.Set("X-WC-Webhook-Source", "https://other.example/"); return body }, http.StatusUnauthorized},
		{"no source", func(hd http.Header) []byte { hd.Del("X-WC-Webhook-Source"); return body }, http.StatusUnauthorized},
		{"source without its slash", func(hd http.Header) []byte {
			hd.Set("X-WC-Webhook-Source", "https://larchwood-goods.example")
			return body
		}, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hd := headers.Clone()
			b := tt.mutate(hd)
			if rec := h.postTo("/webhooks/woocommerce", hd, b); rec.Code != tt.want {
				t.Fatalf("status = %d, want %d (%s)", rec.Code, tt.want, rec.Body)
			}
		})
	}
	// The ping is answered before any shop lookup: unsigned, no X-WC headers.
	ping, err := os.ReadFile(filepath.Join("..", "testdata", "woocommerce", "ping.txt"))
	if err != nil {
		t.Fatal(err)
	}
	rec := h.postTo("/webhooks/woocommerce", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, ping)
	if rec.Code != http.StatusOK {
		t.Fatalf("ping = %d, want exactly 200", rec.Code)
	}
	// An unsigned body that is not a ping is refused.
	if rec := h.postTo("/webhooks/woocommerce", http.Header{}, []byte("webhook_id=14&x=1")); rec.Code != http.StatusUnauthorized {
		t.Fatalf("fake ping = %d, want 401", rec.Code)
	}
	if got := h.counter(t, "woocommerce", "ping"); got != 1 {
		t.Errorf("ping counter = %v, want 1", got)
	}
	if got := h.metric(t, "backorderd_webhook_refused_total", "platform", "woocommerce", "reason", "bad signature"); got != 3 {
		t.Errorf("bad signature counter = %v, want 3", got)
	}
}

func TestEntityEncodedWooSecretVerifies(t *testing.T) {
	s := storetest.New(t, store.SQLite)
	h := newHarness(t, s)
	woo := h.woo
	woo.WebhookSecret = "p&amp;ss&lt;word" // as WordPress stored what the merchant typed
	if _, err := s.UpdateShop(context.Background(), woo); err != nil {
		t.Fatal(err)
	}
	headers, body := fixture(t, "woocommerce/product-updated")
	headers.Set("X-WC-Webhook-Signature", sign("p&ss<word", body))
	if rec := h.postTo("/webhooks/woocommerce", headers, body); rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
}

func TestUnhandledTopicIsAcknowledgedAndCounted(t *testing.T) {
	h := newHarness(t, storetest.New(t, store.SQLite))
	body := []byte(`{"id":1}`)
	hd := http.Header{}
	hd.Set("X-Shopify-Shop-Domain", shopDomain)
	hd.Set("X-Shopify-Topic", "collections/update")
	hd.Set("X-Shopify-Hmac-Sha256", sign(shopifySecret, body))
	if rec := h.post(hd, body); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "ignored") {
		t.Fatalf("answer = %d %s, want 200 ignored", rec.Code, rec.Body)
	}
	if n := h.inboxCount(t); n != 0 {
		t.Errorf("inbox rows = %d, want none for an unhandled topic", n)
	}
	if got := h.counter(t, "shopify", "ignored_topic"); got != 1 {
		t.Errorf("ignored counter = %v, want 1", got)
	}
}

func TestSameDeliveryTenTimesAtOnceIsOneRowOneTaskOneEffect(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := newHarness(t, s)
		headers, body := fixture(t, "shopify/orders-create")
		var wg sync.WaitGroup
		codes := make([]int, 10)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i] = h.post(headers.Clone(), body).Code
			}()
		}
		wg.Wait()
		for i, c := range codes {
			if c != http.StatusOK {
				t.Fatalf("delivery %d answered %d", i, c)
			}
		}
		e := h.only(t)
		if e.Duplicates != 9 {
			t.Errorf("duplicates = %d, want 9", e.Duplicates)
		}
		pending, _ := h.insp.ListPendingTasks(jobs.QueueIntake)
		if len(pending) != 1 {
			t.Fatalf("tasks = %d, want 1", len(pending))
		}
		// The task delivered twice (asynq is at least once): one effect.
		for i := 0; i < 2; i++ {
			if err := h.handlers.Delivery.ProcessTask(context.Background(), jobs.NewDeliveryTask(e.ID, nil)); err != nil {
				t.Fatal(err)
			}
		}
		o, err := h.store.Order(context.Background(), h.shop.ID, "6120458839152")
		if err != nil || len(o.Lines) != 3 {
			t.Fatalf("order = %+v, %v", o, err)
		}
		if e := h.only(t); e.Status != store.InboxProcessed {
			t.Fatalf("delivery = %+v", e)
		}
	})
}

func TestSignedMalformedBodyIsAnswered200AndRecordedRejected(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := newHarness(t, s)
		for _, body := range [][]byte{[]byte(`{"id": 1, "line_items": [`), []byte(`{"name":"#1"}`)} {
			hd := http.Header{}
			hd.Set("X-Shopify-Shop-Domain", shopDomain)
			hd.Set("X-Shopify-Topic", "orders/create")
			hd.Set("X-Shopify-Webhook-Id", string(body))
			hd.Set("X-Shopify-Hmac-Sha256", sign(shopifySecret, body))
			if rec := h.post(hd, body); rec.Code != http.StatusOK {
				t.Fatalf("answer = %d, want 200: the store cannot fix it by retrying", rec.Code)
			}
		}
		h.process(t)
		es, _ := h.store.ListInbox(context.Background(), store.InboxFilter{Status: store.InboxRejected, Limit: 10})
		if len(es) != 2 {
			t.Fatalf("rejected = %+v, want both", es)
		}
		for _, e := range es {
			if e.Reason == "" {
				t.Errorf("rejected delivery %d has no reason", e.ID)
			}
		}
	})
}

func TestStaleOrderStateDoesNotOverwriteNewer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := newHarness(t, s)
		// The newer state: quantity of the mug edited to 1, at 10:00.
		newer, newBody := reSigned(t, "shopify/orders-create", shopifySecret, "X-Shopify-Hmac-Sha256",
			`"updated_at":"2025-11-18T09:42:19-05:00"`, `"updated_at":"2025-11-18T10:00:00-05:00"`)
		newer.Set("X-Shopify-Event-Id", "newer")
		if rec := h.post(newer, newBody); rec.Code != http.StatusOK {
			t.Fatal(rec.Code)
		}
		h.process(t)
		// The original, delivered late (a retry hours later).
		old, oldBody := fixture(t, "shopify/orders-create")
		oldCancelled := bytes.Replace(oldBody, []byte(`"cancelled_at":null`), []byte(`"cancelled_at":"2025-11-18T09:42:18-05:00"`), 1)
		old.Set("X-Shopify-Hmac-Sha256", sign(shopifySecret, oldCancelled))
		if rec := h.post(old, oldCancelled); rec.Code != http.StatusOK {
			t.Fatal(rec.Code)
		}
		h.process(t)
		o, _ := h.store.Order(context.Background(), h.shop.ID, "6120458839152")
		if o.Status != "open" {
			t.Fatalf("order status = %q: a stale state overwrote the newer one", o.Status)
		}
		es, _ := h.store.ListInbox(context.Background(), store.InboxFilter{Limit: 1})
		if !strings.HasPrefix(es[0].Reason, "stale") {
			t.Errorf("late delivery reason = %q, want stale", es[0].Reason)
		}
		// Same updated_at second: X-Shopify-Triggered-At breaks the tie.
		tie, tieBody := reSigned(t, "shopify/orders-create", shopifySecret, "X-Shopify-Hmac-Sha256",
			`"updated_at":"2025-11-18T09:42:19-05:00"`, `"updated_at":"2025-11-18T10:00:00-05:00"`,
			`"cancelled_at":null`, `"cancelled_at":"2025-11-18T10:00:00-05:00"`)
		tie.Set("X-Shopify-Event-Id", "tie")
		tie.Set("X-Shopify-Triggered-At", "2025-11-18T15:00:00.999999999Z")
		if rec := h.post(tie, tieBody); rec.Code != http.StatusOK {
			t.Fatal(rec.Code)
		}
		h.process(t)
		if o, _ := h.store.Order(context.Background(), h.shop.ID, "6120458839152"); o.Status != "cancelled" {
			t.Fatalf("order status = %q, want the later-triggered state applied", o.Status)
		}
	})
}

func TestStaleLevelIsIgnored(t *testing.T) {
	h := newHarness(t, storetest.New(t, store.SQLite))
	hd, body := fixture(t, "shopify/inventory_levels-update")
	if rec := h.post(hd, body); rec.Code != http.StatusOK {
		t.Fatal(rec.Code)
	}
	older, olderBody := reSigned(t, "shopify/inventory_levels-update", shopifySecret, "X-Shopify-Hmac-Sha256",
		`"available":9`, `"available":-3`, `"updated_at":"2025-11-24T14:05:33-05:00"`, `"updated_at":"2025-11-24T13:00:00-05:00"`)
	older.Set("X-Shopify-Event-Id", "older")
	if rec := h.post(older, olderBody); rec.Code != http.StatusOK {
		t.Fatal(rec.Code)
	}
	h.process(t)
	ls, _ := h.store.Levels(context.Background(), h.shop.ID, "48811230042417")
	if len(ls) != 1 || *ls[0].Available != 9 {
		t.Fatalf("level = %+v, want 9 kept over the older -3", ls)
	}
}

func TestUninstalledShopStopsWorkAndStillVerifiesShopRedact(t *testing.T) {
	s := storetest.New(t, store.SQLite)
	h := newHarness(t, s)
	hd := http.Header{}
	body := []byte(`{"id":71839204417,"domain":"harbor-kiln-supply.myshopify.com","myshopify_domain":"harbor-kiln-supply.myshopify.com"}`)
	hd.Set("X-Shopify-Shop-Domain", shopDomain)
	hd.Set("X-Shopify-Topic", "app/uninstalled")
	hd.Set("X-Shopify-Webhook-Id", "u1")
	hd.Set("X-Shopify-Hmac-Sha256", sign(shopifySecret, body))
	if rec := h.post(hd, body); rec.Code != http.StatusOK {
		t.Fatal(rec.Code)
	}
	h.process(t)
	shop, _ := s.Shop(context.Background(), h.shop.ID)
	if shop.Status != "uninstalled" || shop.UninstalledAt == nil {
		t.Fatalf("shop = %+v, want uninstalled and kept", shop)
	}
	oh, ob := fixture(t, "shopify/orders-create")
	if rec := h.post(oh, ob); rec.Code != http.StatusOK {
		t.Fatal(rec.Code)
	}
	rh, rb := fixture(t, "shopify/shop-redact")
	if rec := h.post(rh, rb); rec.Code != http.StatusOK {
		t.Fatalf("shop/redact after uninstall = %d, want 200", rec.Code)
	}
	h.process(t)
	if _, err := s.Order(context.Background(), h.shop.ID, "6120458839152"); err == nil {
		t.Error("an order of an uninstalled shop was applied")
	}
	rs, _ := s.PrivacyRecords(context.Background(), h.shop.ID, 0, 10)
	if len(rs) != 1 || rs[0].Kind != "shop_redact" {
		t.Errorf("privacy records = %+v, want the shop redaction carried out", rs)
	}
}

func TestRedactionLeavesNoPersonalDataBehind(t *testing.T) {
	personal := []string{"wren.okafor@example.net", "Okafor", "6135550148", "613-555-0148", "Larkspur", "K1Z 0A9", "203.0.113.54"}
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			s, dump := storetest.NewWithDump(t, e)
			h := newHarness(t, s)
			// With a merchant address the data document is mailed: that
			// message names the customer too.
			shop := h.shop
			shop.MerchantEmail = "owner@harborkiln.example"
			if _, err := s.UpdateShop(context.Background(), shop); err != nil {
				t.Fatal(err)
			}
			for _, name := range []string{"shopify/orders-create", "shopify/orders-cancelled", "shopify/customers-data_request"} {
				hd, body := fixture(t, name)
				if rec := h.post(hd, body); rec.Code != http.StatusOK {
					t.Fatalf("%s: %d", name, rec.Code)
				}
			}
			h.settle(t)
			if docs, _ := s.ListEmails(context.Background(), store.EmailFilter{Kind: "merchant_privacy_document", Limit: 5}); len(docs) != 1 {
				t.Fatalf("data document emails = %d, want 1", len(docs))
			}
			before := dump()
			for _, p := range personal[:2] {
				if !strings.Contains(before, p) {
					t.Fatalf("before redaction %q is nowhere: the test would prove nothing", p)
				}
			}
			hd, body := fixture(t, "shopify/customers-redact")
			if rec := h.post(hd, body); rec.Code != http.StatusOK {
				t.Fatal(rec.Code)
			}
			h.settle(t)
			after := dump()
			for _, p := range personal {
				if strings.Contains(after, p) {
					for _, line := range strings.Split(after, "\n") {
						if strings.Contains(line, p) {
							t.Errorf("%q is still stored: %.300s", p, line)
						}
					}
				}
			}
			// Counts are kept: the orders, their lines and the deliveries.
			o, err := s.Order(context.Background(), h.shop.ID, "6120458839152")
			if err != nil || len(o.Lines) != 3 || o.RedactedAt == nil {
				t.Fatalf("order after redaction = %+v, %v", o, err)
			}
			if es, _ := s.ListInbox(context.Background(), store.InboxFilter{Limit: 10}); len(es) != 4 {
				t.Errorf("deliveries after redaction = %d, want 4 kept", len(es))
			}
		})
	}
}

func TestDatabaseDownSpoolsTheWholeDeliveryToRedisOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := newHarness(t, s, withRecorder(downRecorder{}))
		headers, body := fixture(t, "shopify/orders-create")
		for i := 0; i < 2; i++ { // a retry of the same delivery is the same spooled task
			req := httptest.NewRequest(http.MethodPost, "/webhooks/shopify", bytes.NewReader(body))
			req.Header = headers.Clone()
			rec := httptest.NewRecorder()
			h.handler.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				t.Fatalf("answer = %d, want 200 with the delivery durable in Redis", rec.Code)
			}
		}
		tasks, err := h.insp.ListPendingTasks(jobs.QueueIntake)
		if err != nil || len(tasks) != 1 || tasks[0].Type != jobs.TypeSpool {
			t.Fatalf("pending = %+v, %v; want one spooled delivery", tasks, err)
		}
		// The database is back: the spool job writes the row and enqueues it.
		spool := h.handlers.Spool
		if err := spool.ProcessTask(context.Background(), asynq.NewTask(jobs.TypeSpool, tasks[0].Payload)); err != nil {
			t.Fatal(err)
		}
		if err := spool.ProcessTask(context.Background(), asynq.NewTask(jobs.TypeSpool, tasks[0].Payload)); err != nil {
			t.Fatalf("second run: %v", err)
		}
		e := h.only(t)
		if e.Topic != "orders/create" || e.Duplicates != 1 {
			t.Fatalf("inbox = %+v, want the delivery once (its second run counted as a duplicate)", e)
		}
		h.process(t)
		row, _ := s.Inbox(context.Background(), e.ID)
		if !bytes.Equal(row.Body, body) || row.Status != store.InboxProcessed {
			t.Fatalf("row = %s %q, want the exact body, processed", row.Status, row.Body[:40])
		}
	})
}
