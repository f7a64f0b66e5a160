package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func TestStoreWritesListingShowsWhatFailedAndWhyNeverCredentials(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shop, _ := s.AddShop(ctx, store.NewShop(store.Shopify, "writes.myshopify.com", "s"))
		other, _ := s.AddShop(ctx, store.NewShop(store.Shopify, "other.myshopify.com", "s"))
		if err := s.SetShopCredentials(ctx, shop.ID, []byte("shpat_sealed_token")); err != nil {
			t.Fatal(err)
		}
		want := func(shopID int64, kind, subject string) store.WriteBack {
			t.Helper()
			var w store.WriteBack
			err := s.InTx(ctx, func(tx *store.Tx) (err error) {
				w, _, err = tx.WantStoreWrite(ctx, shopID, kind, subject, `{"order_id":"`+subject+`"}`, "h-"+subject)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return w
		}
		failed := want(shop.ID, store.StoreWriteOrder, "1001")
		if err := s.StoreWriteFailed(ctx, failed.ID, failed.WantedHash, "fulfillmentOrderHold: status 200: USER_ERROR: fulfillment order is closed", true); err != nil {
			t.Fatal(err)
		}
		want(shop.ID, store.StoreWriteSelling, "777")
		want(other.ID, store.StoreWriteOrder, "2002")
		r := adminRouter(t, s)

		for _, tc := range []struct {
			name, path string
			wantCode   int
			wantIDs    []string // subjects, newest first
		}{
			{"every write", "/api/v1/store-writes", 200, []string{"2002", "777", "1001"}},
			{"a shop's failed ones", "/api/v1/store-writes?shop=writes.myshopify.com&status=failed", 200, []string{"1001"}},
			{"a kind", "/api/v1/store-writes?kind=selling", 200, []string{"777"}},
			{"a page", "/api/v1/store-writes?limit=1", 200, []string{"2002"}},
			{"an unknown status", "/api/v1/store-writes?status=lost", 400, nil},
			{"an unknown kind", "/api/v1/store-writes?kind=tags", 400, nil},
			{"an unknown shop", "/api/v1/store-writes?shop=nope.myshopify.com", 404, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				req := httptest.NewRequest(http.MethodGet, tc.path, nil)
				req.Header.Set("Authorization", "Bearer "+adminToken)
				rec := httptest.NewRecorder()
				r.ServeHTTP(rec, req)
				if rec.Code != tc.wantCode {
					t.Fatalf("status %d, want %d: %s", rec.Code, tc.wantCode, rec.Body)
				}
				if tc.wantCode != 200 {
					return
				}
				if strings.Contains(rec.Body.String(), "shpat") {
					t.Fatalf("the listing shows credentials: %s", rec.Body)
				}
				var got struct {
					Items []struct {
						Subject   string `json:"subject"`
						Kind      string `json:"kind"`
						Status    string `json:"status"`
						Attempts  int    `json:"attempts"`
						LastError string `json:"last_error"`
					} `json:"items"`
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
					t.Fatal(err)
				}
				var subjects []string
				for _, it := range got.Items {
					subjects = append(subjects, it.Subject)
					if it.Subject == "1001" && (it.Status != "failed" || it.Attempts != 1 ||
						!strings.Contains(it.LastError, "fulfillment order is closed")) {
						t.Errorf("1001 = %+v, want failed after 1 attempt with the store's reason", it)
					}
				}
				if strings.Join(subjects, ",") != strings.Join(tc.wantIDs, ",") {
					t.Errorf("subjects %v, want %v", subjects, tc.wantIDs)
				}
			})
		}
	})
}
