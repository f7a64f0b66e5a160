package api_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func TestHeldAndFailedMailIsListedInOneRequest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		r := adminRouter(t, s)
		shop, err := s.AddShop(ctx, store.NewShop(store.Shopify, "mail.myshopify.com", "s"))
		if err != nil {
			t.Fatal(err)
		}
		ids := map[string]int64{}
		err = s.InTx(ctx, func(tx *store.Tx) error {
			for _, status := range []string{store.EmailHeld, store.EmailFailed, store.EmailSent, store.EmailPending, store.EmailHeld} {
				id, _, err := tx.AddEmail(ctx, store.Email{ShopID: shop.ID, Kind: "merchant_digest", DedupeKey: fmt.Sprint("d", len(ids)),
					ToEmail: "o@example.com", Subject: "s", TextBody: "t", HTMLBody: "h", Status: status})
				if err != nil {
					return err
				}
				if status != store.EmailHeld && status != store.EmailPending {
					if err := tx.SetEmailStatus(ctx, id, status, "", ""); err != nil {
						return err
					}
				}
				ids[fmt.Sprint(status, len(ids))] = id
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{jsonID(float64(ids["held4"])), jsonID(float64(ids["failed1"])), jsonID(float64(ids["held0"]))}
		for _, q := range []string{"status=held,failed", "status=held&status=failed", "status=failed,%20held&status=held"} {
			code, body := call(t, r, http.MethodGet, "/api/v1/emails?"+q, "")
			var got []string
			items, _ := body["items"].([]any)
			for _, it := range items {
				got = append(got, jsonID(it.(map[string]any)["id"]))
			}
			if code != http.StatusOK || !slices.Equal(got, want) {
				t.Errorf("%s = %d %v, want the held and failed mail, newest first: %v", q, code, got, want)
			}
		}
		// Paged as any list: the cursor goes on in the same statuses.
		code, body := call(t, r, http.MethodGet, "/api/v1/emails?status=held,failed&limit=2", "")
		cursor, _ := body["next_cursor"].(string)
		if code != http.StatusOK || cursor == "" {
			t.Fatalf("first page = %d %v, want a cursor", code, body)
		}
		code, body = call(t, r, http.MethodGet, "/api/v1/emails?status=held&status=failed&limit=2&cursor="+cursor, "")
		if items, _ := body["items"].([]any); code != http.StatusOK || len(items) != 1 || jsonID(items[0].(map[string]any)["id"]) != want[2] {
			t.Errorf("second page = %d %v, want the oldest held one", code, body)
		}
		code, body = call(t, r, http.MethodGet, "/api/v1/emails?status=held,stuck", "")
		if c, msg := errorOf(body); code != http.StatusBadRequest || c != "bad_request" || !strings.Contains(msg, "must be one of") {
			t.Errorf("status=held,stuck = %d %v, want 400 naming the statuses", code, body)
		}
	})
}

func TestAListThatFiltersOnOneStatusRefusesSeveralInsteadOfIgnoringAllButOne(t *testing.T) {
	s := storetest.New(t, store.SQLite)
	r := adminRouter(t, s)
	for _, path := range []string{"/api/v1/inbox?status=failed&status=rejected", "/api/v1/backorders?status=waiting,cancelled"} {
		code, body := call(t, r, http.MethodGet, path, "")
		if c, msg := errorOf(body); code != http.StatusBadRequest || c != "bad_request" || !strings.Contains(msg, "one value") {
			t.Errorf("%s = %d %v, want 400: this list takes one status", path, code, body)
		}
	}
}
