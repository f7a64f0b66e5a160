package webhooks_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func TestShopifySignatures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := newHarness(t, s)
		headers, body := fixture(t, "shopify/orders-create")
		tampered := bytes.Replace(body, []byte(`"quantity":5`), []byte(`"quantity":6`), 1)
		// Re-serialising loses Shopify's \u0026-style escapes and key order.
		var anyJSON map[string]any
		if err := json.Unmarshal(body, &anyJSON); err != nil {
			t.Fatal(err)
		}
		reserialised, err := json.Marshal(anyJSON)
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name   string
			mutate func(http.Header) []byte
			want   int
		}{
			{"valid", func(http.Header) []byte { return body }, http.StatusOK},
			{"tampered body", func(http.Header) []byte { return tampered }, http.StatusUnauthorized},
			{"re-serialised JSON", func(http.Header) []byte { return reserialised }, http.StatusUnauthorized},
			{"wrong secret", func(hd http.Header) []byte {
				hd.Set("X-Shopify-Hmac-Sha256", sign("another-secret", body))
				return body
			}, http.StatusUnauthorized},
			{"missing header", func(hd http.Header) []byte { hd.Del("X-Shopify-Hmac-Sha256"); return body }, http.StatusUnauthorized},
			{"bad base64", func(hd http.Header) []byte { hd.Set("X-Shopify-Hmac-Sha256", "%%%not-base64"); return body }, http.StatusUnauthorized},
			{"short digest", func(hd http.Header) []byte {
				hd.Set("X-Shopify-Hmac-Sha256", base64.StdEncoding.EncodeToString([]byte("short")))
				return body
			}, http.StatusUnauthorized},
			{"unknown shop", func(hd http.Header) []byte { hd.Set("X-Shopify-Shop-Domain", "other.myshopify.com"); return body }, http.StatusUnauthorized},
			{"no shop header", func(hd http.Header) []byte { hd.Del("X-Shopify-Shop-Domain"); return body }, http.StatusUnauthorized},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				hd := headers.Clone()
				b := tt.mutate(hd)
				rec := h.post(hd, b)
				if rec.Code != tt.want {
					t.Fatalf("status = %d, want %d (%s)", rec.Code, tt.want, rec.Body)
				}
				if rec.Code == http.StatusUnauthorized && strings.Contains(rec.Body.String(), "unknown") {
					t.Errorf("401 body says why: %s", rec.Body)
				}
			})
		}
		if n := h.inboxCount(t); n != 1 {
			t.Fatalf("inbox rows = %d, want only the valid delivery", n)
		}
	})
}

func TestRotatedSecretIsAccepted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := newHarness(t, s)
		shop := h.shop
		shop.WebhookSecretPrevious, shop.WebhookSecret = shop.WebhookSecret, "the-new-secret"
		if _, err := s.UpdateShop(context.Background(), shop); err != nil {
			t.Fatal(err)
		}
		headers, body := fixture(t, "shopify/orders-create")
		if rec := h.post(headers, body); rec.Code != http.StatusOK {
			t.Fatalf("signed with the previous secret: %d, want 200", rec.Code)
		}
		headers.Set("X-Shopify-Hmac-Sha256", sign("the-new-secret", body))
		headers.Set("X-Shopify-Event-Id", "another-event")
		if rec := h.post(headers, body); rec.Code != http.StatusOK {
			t.Fatalf("signed with the new secret: %d, want 200", rec.Code)
		}
	})
}

func TestAcceptedDeliveryIsRecordedEnqueuedAndDeduplicated(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := newHarness(t, s)
		headers, body := fixture(t, "shopify/orders-create")
		for i := 0; i < 3; i++ {
			if rec := h.post(headers, body); rec.Code != http.StatusOK {
				t.Fatalf("delivery %d: %d %s", i, rec.Code, rec.Body)
			}
		}
		ids, err := s.UnfinishedInbox(context.Background(), farFuture, 0, 10)
		if err != nil || len(ids) != 1 {
			t.Fatalf("inbox = %v, %v; want one row", ids, err)
		}
		row, _ := s.Inbox(context.Background(), ids[0])
		if !bytes.Equal(row.Body, body) || row.Topic != "orders/create" || row.Duplicates != 2 || row.ShopID != h.shop.ID {
			t.Errorf("row = topic %q, %d duplicates, shop %d, body equal %v", row.Topic, row.Duplicates, row.ShopID, bytes.Equal(row.Body, body))
		}
		if strings.Contains(row.Headers, "Hmac") {
			t.Errorf("stored headers keep the signature: %s", row.Headers)
		}
		info, err := h.insp.GetTaskInfo(jobs.QueueIntake, jobs.TaskID(jobs.TableInbox, ids[0]))
		if err != nil || info.Type != jobs.TypeDelivery {
			t.Fatalf("task inbox:%d = %+v, %v", ids[0], info, err)
		}
		pending, _ := h.insp.ListPendingTasks(jobs.QueueIntake)
		if len(pending) != 1 {
			t.Errorf("pending tasks = %d, want 1", len(pending))
		}
	})
}

func TestRedisDownStillAnswers200WithTheRowRecorded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := newHarness(t, s, withEnqueuer(downEnqueuer{}))
		headers, body := fixture(t, "shopify/orders-create")
		if rec := h.post(headers, body); rec.Code != http.StatusOK {
			t.Fatalf("status = %d, want 200 (the relay enqueues later)", rec.Code)
		}
		if n := h.inboxCount(t); n != 1 {
			t.Fatalf("inbox rows = %d, want 1", n)
		}
	})
}

func TestOversizeBodyIs413(t *testing.T) {
	h := newHarness(t, storetest.New(t, store.SQLite))
	headers, _ := fixture(t, "shopify/orders-create")
	big := bytes.Repeat([]byte("x"), 2<<20)
	headers.Set("X-Shopify-Hmac-Sha256", sign(shopifySecret, big))
	if rec := h.post(headers, big); rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status = %d, want 413", rec.Code)
	}
	// Without a Content-Length the limit still holds.
	req := httptest.NewRequest(http.MethodPost, "/webhooks/shopify", io.MultiReader(bytes.NewReader(big)))
	req.ContentLength = -1
	for k, v := range headers {
		req.Header[k] = v
	}
	rec := httptest.NewRecorder()
	h.handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked: status = %d, want 413", rec.Code)
	}
}

func TestUnknownShopIsRefusedBeforeTheBodyIsRead(t *testing.T) {
	h := newHarness(t, storetest.New(t, store.SQLite))
	big := bytes.Repeat([]byte("x"), 2<<20)
	for _, tc := range []struct{ path, header, value string }{
		{"/webhooks/shopify", "X-Shopify-Shop-Domain", "nobody.myshopify.com"},
		{"/webhooks/woocommerce", "X-WC-Webhook-Source", "https://nobody.example/"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			body := &countingReader{r: bytes.NewReader(big)}
			req := httptest.NewRequest(http.MethodPost, tc.path, body)
			req.ContentLength = int64(len(big)) // over the limit: 413 if the body came first
			req.Header.Set(tc.header, tc.value)
			req.Header.Set("X-Shopify-Hmac-Sha256", sign(shopifySecret, big))
			req.Header.Set("X-WC-Webhook-Signature", sign(wooSecret, big))
			rec := httptest.NewRecorder()
			h.handler.ServeHTTP(rec, req)
			if rec.Code != http.StatusUnauthorized {
				t.Fatalf("status = %d, want 401 before the body is read", rec.Code)
			}
			if body.n != 0 {
				t.Errorf("read %d bytes of the body of an unknown shop, want none", body.n)
			}
		})
	}
}
