package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

const adminToken = "0123456789abcdef-admin"

func adminRouter(t *testing.T, s *store.Store) *gin.Engine {
	t.Helper()
	return purchasingRouter(t, s)
}

type listing struct {
	Items []struct {
		ID         int64           `json:"id"`
		Shop       string          `json:"shop"`
		Platform   string          `json:"platform"`
		Topic      string          `json:"topic"`
		Status     string          `json:"status"`
		Reason     string          `json:"reason"`
		Duplicates int             `json:"duplicates"`
		Document   json.RawMessage `json:"document"`
		Scanned    int             `json:"scanned"`
		Completed  *time.Time      `json:"completed_at"`
	} `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

func get(t *testing.T, r http.Handler, path string) (int, listing) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	var l listing
	if rec.Code == http.StatusOK {
		if err := json.Unmarshal(rec.Body.Bytes(), &l); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	return rec.Code, l
}

func TestInboxListing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shopify, _ := s.AddShop(ctx, store.NewShop(store.Shopify, "a.myshopify.com", "s"))
		woo, _ := s.AddShop(ctx, store.NewShop(store.WooCommerce, "https://b.example/", "s"))
		for i := 0; i < 5; i++ {
			shop, topic := shopify, "orders/create"
			if i%2 == 1 {
				shop, topic = woo, "order.created"
			}
			id, _, err := s.RecordDelivery(ctx, store.Delivery{ShopID: shop.ID, Topic: topic,
				DedupeKey: fmt.Sprint(i), Body: []byte(`{}`), ReceivedAt: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			if i == 4 {
				err = s.InTx(ctx, func(tx *store.Tx) error { return tx.FinishInbox(ctx, id, store.InboxRejected, "bad") })
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		r := adminRouter(t, s)
		code, all := get(t, r, "/api/v1/inbox")
		if code != http.StatusOK || len(all.Items) != 5 || all.NextCursor != nil {
			t.Fatalf("all = %d %+v", code, all)
		}
		if all.Items[0].ID < all.Items[4].ID {
			t.Errorf("not newest first: %d then %d", all.Items[0].ID, all.Items[4].ID)
		}
		if _, l := get(t, r, "/api/v1/inbox?shop=https://b.example/"); len(l.Items) != 2 || l.Items[0].Platform != "woocommerce" {
			t.Errorf("by store URL = %+v, want the 2 WooCommerce deliveries", l.Items)
		}
		if _, l := get(t, r, fmt.Sprintf("/api/v1/inbox?shop=%d&topic=orders/create", shopify.ID)); len(l.Items) != 3 {
			t.Errorf("by shop id and topic = %d items, want 3", len(l.Items))
		}
		if _, l := get(t, r, "/api/v1/inbox?status=rejected"); len(l.Items) != 1 || l.Items[0].Reason != "bad" {
			t.Errorf("rejected = %+v", l.Items)
		}
		// Pages of two: 2, 2, 1, every delivery once.
		seen := map[int64]bool{}
		path := "/api/v1/inbox?limit=2"
		for pages := 0; ; pages++ {
			_, l := get(t, r, path)
			for _, it := range l.Items {
				if seen[it.ID] {
					t.Fatalf("delivery %d on two pages", it.ID)
				}
				seen[it.ID] = true
			}
			if l.NextCursor == nil {
				break
			}
			if pages > 5 {
				t.Fatal("pagination does not end")
			}
			path = "/api/v1/inbox?limit=2&cursor=" + *l.NextCursor
		}
		if len(seen) != 5 {
			t.Errorf("pages held %d deliveries, want 5", len(seen))
		}
		for path, want := range map[string]int{
			"/api/v1/inbox?status=done":               http.StatusBadRequest,
			"/api/v1/inbox?limit=0":                   http.StatusBadRequest,
			"/api/v1/inbox?cursor=abc":                http.StatusBadRequest,
			"/api/v1/inbox?shop=nobody.myshopify.com": http.StatusNotFound,
			"/api/v1/inbox?shop=999":                  http.StatusNotFound,
		} {
			if code, _ := get(t, r, path); code != want {
				t.Errorf("%s = %d, want %d", path, code, want)
			}
		}
		req := httptest.NewRequest(http.MethodGet, "/api/v1/inbox", nil)
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		if rec.Code != http.StatusUnauthorized {
			t.Errorf("without the token = %d, want 401", rec.Code)
		}
	})
}

func TestPrivacyRequestsListing(t *testing.T) {
	s := storetest.New(t, store.SQLite)
	ctx := context.Background()
	shop, _ := s.AddShop(ctx, store.NewShop(store.Shopify, "a.myshopify.com", "s"))
	id, _, _ := s.RecordDelivery(ctx, store.Delivery{ShopID: shop.ID, Topic: "customers/data_request",
		DedupeKey: "d", Body: []byte(`{}`), ReceivedAt: time.Now()})
	err := s.InTx(ctx, func(tx *store.Tx) error {
		return tx.AddPrivacyRecord(ctx, store.PrivacyRecord{ShopID: shop.ID, InboxID: id, Kind: "customer_data",
			CustomerID: "7", Document: `{"customer":{"id":"7"}}`, Orders: 2})
	})
	if err != nil {
		t.Fatal(err)
	}
	code, l := get(t, adminRouter(t, s), "/api/v1/privacy-requests?shop=a.myshopify.com")
	if code != http.StatusOK || len(l.Items) != 1 || string(l.Items[0].Document) != `{"customer":{"id":"7"}}` {
		t.Fatalf("privacy requests = %d %+v", code, l)
	}
	if l.Items[0].Completed != nil {
		t.Errorf("completed_at = %v while the scan goes on, want null", l.Items[0].Completed)
	}
	// The scan of the recorded deliveries ends: 3 looked through, 1 names them.
	err = s.InTx(ctx, func(tx *store.Tx) error { return tx.CompletePrivacyScan(ctx, id, 3, 1, "") })
	if err != nil {
		t.Fatal(err)
	}
	_, l = get(t, adminRouter(t, s), "/api/v1/privacy-requests")
	if it := l.Items[0]; it.Scanned != 3 || it.Completed == nil {
		t.Errorf("after the scan: scanned %d, completed_at %v; want 3 and a time", it.Scanned, it.Completed)
	}
}

func TestBackorderAndItemQueriesAreValidated(t *testing.T) {
	s := storetest.New(t, store.SQLite)
	if _, err := s.AddShop(context.Background(), store.NewShop(store.Shopify, "a.myshopify.com", "s")); err != nil {
		t.Fatal(err)
	}
	r := adminRouter(t, s)
	for path, want := range map[string]int{
		"/api/v1/backorders":                          http.StatusOK,
		"/api/v1/backorders?status=late":              http.StatusBadRequest,
		"/api/v1/backorders?shop=b.myshopify.com":     http.StatusNotFound,
		"/api/v1/backorders/12":                       http.StatusNotFound,
		"/api/v1/backorders/abc":                      http.StatusBadRequest,
		"/api/v1/items":                               http.StatusBadRequest,
		"/api/v1/items/123":                           http.StatusNotFound,
		"/api/v1/items?sku=HK-KETTLE-1L-CPR":          http.StatusNotFound,
		"/api/v1/items?sku=X&shop=a.myshopify.com":    http.StatusNotFound,
		"/api/v1/backorders?order=%232417&limit=1000": http.StatusBadRequest,
	} {
		if code, _ := get(t, r, path); code != want {
			t.Errorf("GET %s = %d, want %d", path, code, want)
		}
	}
}
