package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func shopOf(body map[string]any) map[string]any {
	s, _ := body["shop"].(map[string]any)
	return s
}

func TestAShopIsCreatedConfiguredAndItsSecretRotatedAsTheCLIDoes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		r := adminRouter(t, s)
		code, body := call(t, r, http.MethodPost, "/api/v1/shops",
			`{"platform": "woocommerce", "domain": "Larchwood-Goods.example", "name": "Larchwood", "handling_days": 2}`)
		secret, _ := body["webhook_secret"].(string)
		if code != http.StatusCreated || len(secret) < 40 {
			t.Fatalf("create = %d %v, want 201 with a generated secret", code, body)
		}
		shop := shopOf(body)
		id := jsonID(shop["id"])
		if shop["domain"] != "https://larchwood-goods.example/" || shop["handling_days"] != 2.0 || shop["webhook_secrets"] != 1.0 {
			t.Fatalf("created shop = %v, want the store URL as WooCommerce sends it, 2 handling days, one secret", shop)
		}
		stored, err := s.Shop(ctx, mustID(t, id))
		if err != nil || stored.WebhookSecret != secret {
			t.Fatalf("stored secret = %q, %v; want the one shown", stored.WebhookSecret, err)
		}
		// Shown once: never by a read.
		code, body = call(t, r, http.MethodGet, "/api/v1/shops/"+id, "")
		if code != http.StatusOK || strings.Contains(fmt.Sprint(body), secret) || shopOf(body)["store_credentials"] != false {
			t.Fatalf("get = %d %v, want the shop without its secret, and no credentials", code, body)
		}
		if code, body := call(t, r, http.MethodPost, "/api/v1/shops",
			`{"platform": "woocommerce", "domain": "https://larchwood-goods.example", "webhook_secret": "x"}`); code != http.StatusConflict {
			t.Errorf("second create of the same store = %d %v, want 409", code, body)
		} else if _, msg := errorOf(body); !strings.Contains(msg, "a woocommerce shop https://larchwood-goods.example/ is registered") {
			t.Errorf("second create says %q, want it to name the shop registered already", msg)
		}

		code, body = call(t, r, http.MethodPatch, "/api/v1/shops/"+id, `{"waiting_cap": 5, "max_wait_days": 21,
			"store_writes": ["eta", "status"], "customer_note": true, "template_ids": {"backordered": "d-1"},
			"reorder": "immediate", "time_zone": "America/Toronto", "merchant_email": "owner@larchwood.example"}`)
		shop = shopOf(body)
		if code != http.StatusOK || shop["waiting_cap"] != 5.0 || shop["max_wait_days"] != 21.0 ||
			fmt.Sprint(shop["store_writes"]) != "[eta status]" || shop["customer_note"] != true ||
			fmt.Sprint(shop["template_ids"]) != "map[backordered:d-1]" || shop["reorder"] != "immediate" {
			t.Fatalf("patch = %d %v, want every setting as sent", code, body)
		}
		code, body = call(t, r, http.MethodPatch, "/api/v1/shops/"+id, `{"waiting_cap": null, "max_wait_days": null, "store_writes": "all"}`)
		shop = shopOf(body)
		if code != http.StatusOK || shop["waiting_cap"] != nil || shop["max_wait_days"] != nil || len(shop["store_writes"].([]any)) != len(store.StoreWrites) {
			t.Fatalf("patch to none = %d %v, want no cap, no maximum wait, every write", code, body)
		}

		code, body = call(t, r, http.MethodPost, "/api/v1/shops/"+id+"/secrets", `{}`)
		rotated, _ := body["webhook_secret"].(string)
		if code != http.StatusCreated || rotated == "" || rotated == secret || shopOf(body)["webhook_secrets"] != 2.0 {
			t.Fatalf("rotate = %d %v, want a new secret and both accepted", code, body)
		}
		stored, _ = s.Shop(ctx, stored.ID)
		if stored.WebhookSecret != rotated || stored.WebhookSecretPrevious != secret {
			t.Fatalf("after rotation: current %q previous %q, want %q then %q", stored.WebhookSecret, stored.WebhookSecretPrevious, rotated, secret)
		}
		if code, body := call(t, r, http.MethodDelete, "/api/v1/shops/"+id+"/secrets/previous", ""); code != http.StatusOK ||
			shopOf(body)["webhook_secrets"] != 1.0 {
			t.Fatalf("drop previous = %d %v, want one secret left", code, body)
		}
		if code, _ := call(t, r, http.MethodDelete, "/api/v1/shops/"+id+"/secrets/previous", ""); code != http.StatusNotFound {
			t.Errorf("second drop = %d, want 404: there is none", code)
		}
	})
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	var id int64
	if _, err := fmt.Sscan(s, &id); err != nil {
		t.Fatalf("id %q: %v", s, err)
	}
	return id
}

func TestAShopSettingThatBreaksARuleIsRefusedNamingTheField(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		r := adminRouter(t, s)
		if code, body := call(t, r, http.MethodPost, "/api/v1/shops",
			`{"platform": "shopify", "domain": "harbor-kiln-supply.myshopify.com", "webhook_secret": "s1"}`); code != http.StatusCreated {
			t.Fatalf("create = %d %v", code, body)
		}
		for _, tc := range []struct{ method, path, body, field string }{
			{http.MethodPost, "/api/v1/shops", `{"platform": "magento", "domain": "x.example"}`, "platform"},
			{http.MethodPost, "/api/v1/shops", `{"platform": "shopify", "domain": "shop.harbor-kiln.example", "webhook_secret": "s"}`, "domain"},
			{http.MethodPost, "/api/v1/shops", `{"platform": "shopify", "domain": "b.myshopify.com"}`, "webhook_secret"},
			{http.MethodPatch, "/api/v1/shops/1", `{"handling_days": 400}`, "handling_days"},
			{http.MethodPatch, "/api/v1/shops/1", `{"handling_days": "2"}`, "handling_days"},
			{http.MethodPatch, "/api/v1/shops/1", `{"time_zone": "Mars/Olympus"}`, "time_zone"},
			{http.MethodPatch, "/api/v1/shops/1", `{"from_email": "not an address"}`, "from_email"},
			{http.MethodPatch, "/api/v1/shops/1", `{"store_writes": ["tag", "colour"]}`, "store_writes"},
			{http.MethodPatch, "/api/v1/shops/1", `{"waiting_cap": -1}`, "waiting_cap"},
			{http.MethodPatch, "/api/v1/shops/1", `{"max_wait_days": 5000}`, "max_wait_days"},
			{http.MethodPatch, "/api/v1/shops/1", `{"reorder": "hourly"}`, "reorder"},
			{http.MethodPatch, "/api/v1/shops/1", `{"po_approval": "yes"}`, "po_approval"},
			{http.MethodPatch, "/api/v1/shops/1", `{"customer_note": "yes"}`, "customer_note"},
			{http.MethodPatch, "/api/v1/shops/1", `{"template_ids": ["d-1"]}`, "template_ids"},
			{http.MethodPatch, "/api/v1/shops/1", `{"template_ids": {"backorderd": "d-1"}}`, "template_ids"},
			{http.MethodPatch, "/api/v1/shops/1", `{"colour": "teal"}`, "colour"},
			{http.MethodPatch, "/api/v1/shops/1", `{"reactivate": "please"}`, "reactivate"},
			{http.MethodPost, "/api/v1/shops/1/secrets", `{}`, "webhook_secret"},
			{http.MethodPut, "/api/v1/shops/1/items/1517/cap", `{"waiting_cap": "lots"}`, "waiting_cap"},
		} {
			code, body := call(t, r, tc.method, tc.path, tc.body)
			c, msg := errorOf(body)
			if code != http.StatusUnprocessableEntity || c != "unprocessable" || !strings.HasPrefix(msg, tc.field+": ") {
				t.Errorf("%s %s %s = %d %v, want 422 naming %s", tc.method, tc.path, tc.body, code, body, tc.field)
			}
		}
		shop, err := s.Shop(context.Background(), 1)
		if err != nil || shop.HandlingDays != 1 || shop.Reorder != store.ReorderPeriodic || shop.WebhookSecret != "s1" {
			t.Fatalf("shop after refusals = %+v, %v; want it unchanged", shop, err)
		}
		if code, _ := call(t, r, http.MethodPatch, "/api/v1/shops/9", `{"name": "x"}`); code != http.StatusNotFound {
			t.Errorf("patch of no shop = %d, want 404", code)
		}
	})
}

func TestHeldMailGoesOnceTheShopIsGivenASenderOverTheAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		r := adminRouter(t, s)
		shop, err := s.AddShop(ctx, store.NewShop(store.Shopify, "held.myshopify.com", "s"))
		if err != nil {
			t.Fatal(err)
		}
		var id int64
		err = s.InTx(ctx, func(tx *store.Tx) error {
			id, _, err = tx.AddEmail(ctx, store.Email{ShopID: shop.ID, Kind: "merchant_digest", DedupeKey: "d", ToEmail: "o@example.com",
				Subject: "s", TextBody: "t", HTMLBody: "h", Status: store.EmailHeld})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		code, body := call(t, r, http.MethodPatch, fmt.Sprint("/api/v1/shops/", shop.ID), `{"from_email": "shop@held.example"}`)
		if held, _ := body["held_emails"].(map[string]any); code != http.StatusOK || held["queued"] != 1.0 {
			t.Fatalf("patch = %d %v, want 1 held email queued", code, body)
		}
		if e, err := s.Email(ctx, id); err != nil || e.Status != store.EmailPending {
			t.Fatalf("held email after the sender was set = %+v, %v; want pending, queued to send", e, err)
		}
	})
}

func TestAnItemCapABounceAndReactivationAreSetOverTheAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		r := adminRouter(t, s)
		shop, err := s.AddShop(ctx, store.NewShop(store.Shopify, "caps.myshopify.com", "s"))
		if err != nil {
			t.Fatal(err)
		}
		base := fmt.Sprint("/api/v1/shops/", shop.ID)
		if code, body := call(t, r, http.MethodPut, base+"/items/1517/cap", `{"waiting_cap": 3}`); code != http.StatusOK || body["waiting_cap"] != 3.0 {
			t.Fatalf("item cap = %d %v, want 3", code, body)
		}
		if n := rowsWhere(t, s, `items WHERE shop_id = ? AND item_id = '1517' AND waiting_cap = 3`, shop.ID); n != 1 {
			t.Fatalf("items of 1517 with a cap of 3 = %d, want 1", n)
		}
		if code, body := call(t, r, http.MethodPut, base+"/items/1517/cap", `{"waiting_cap": null}`); code != http.StatusOK || body["waiting_cap"] != nil {
			t.Fatalf("item cap none = %d %v, want null", code, body)
		}

		if err := s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO suppressions (shop_id, address, reason, created_at)
				VALUES (?, 'wren@example.net', 'bounce', CURRENT_TIMESTAMP)`, shop.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if code, body := call(t, r, http.MethodDelete, base+"/suppressions/wren@example.net", ""); code != http.StatusNoContent {
			t.Fatalf("clear bounce = %d %v, want 204", code, body)
		}
		if code, _ := call(t, r, http.MethodDelete, base+"/suppressions/wren@example.net", ""); code != http.StatusNotFound {
			t.Errorf("second clear = %d, want 404: not suppressed", code)
		}

		if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.UninstallShop(ctx, shop.ID) }); err != nil {
			t.Fatal(err)
		}
		if code, body := call(t, r, http.MethodPost, base+"/connect", ""); code != http.StatusConflict {
			t.Errorf("connect of an uninstalled shop = %d %v, want 409", code, body)
		}
		if code, body := call(t, r, http.MethodPatch, base, `{"reactivate": true}`); code != http.StatusOK || shopOf(body)["status"] != "active" {
			t.Fatalf("reactivate = %d %v, want active", code, body)
		}
		if code, body := call(t, r, http.MethodPost, base+"/connect", ""); code != http.StatusConflict {
			t.Errorf("connect without credentials = %d %v, want 409", code, body)
		} else if _, msg := errorOf(body); !strings.Contains(msg, "PUT "+base+"/credentials") {
			t.Errorf("connect without credentials says %q, want it to name the request that gives them", msg)
		}
	})
}

// rowsWhere counts the rows of "table WHERE …" by touching them in a
// transaction (the store reads no table for tests).
func rowsWhere(t *testing.T, s *store.Store, from string, args ...any) int64 {
	t.Helper()
	ctx := context.Background()
	var n int64
	table, where, _ := strings.Cut(from, " WHERE ")
	err := s.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE `+table+` SET shop_id = shop_id WHERE `+where, args...)
		if err == nil {
			n, err = res.RowsAffected()
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestStoreCredentialsAreSetSealedNeverShownAndClearedOverTheAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		r := adminRouter(t, s)
		shop, err := s.AddShop(ctx, store.NewShop(store.Shopify, "creds.myshopify.com", "s"))
		if err != nil {
			t.Fatal(err)
		}
		base := fmt.Sprint("/api/v1/shops/", shop.ID, "/credentials")
		for _, tc := range []struct{ body, field string }{
			{`{"woo_key": "ck_1", "woo_secret": "cs_1"}`, "woo_key"},
			{`{"shopify_token": " "}`, "shopify_token"},
			{`{"password": "x"}`, "password"},
		} {
			code, body := call(t, r, http.MethodPut, base, tc.body)
			if _, msg := errorOf(body); code != http.StatusUnprocessableEntity || !strings.HasPrefix(msg, tc.field+": ") {
				t.Errorf("put %s = %d %v, want 422 naming %s", tc.body, code, body, tc.field)
			}
		}
		const token = "shpat_api-token-1"
		code, body := call(t, r, http.MethodPut, base, `{"shopify_token": "`+token+`"}`)
		if code != http.StatusOK || shopOf(body)["store_credentials"] != true || strings.Contains(fmt.Sprint(body), token) {
			t.Fatalf("put token = %d %v, want credentials set and not shown", code, body)
		}
		if got, err := s.Credentials(ctx, testSealer(t), shop.ID); err != nil || got.ShopifyToken != token {
			t.Fatalf("sealed credentials = %v, %v; want the token", got, err)
		}
		if code, body := call(t, r, http.MethodPost, fmt.Sprint("/api/v1/shops/", shop.ID, "/connect"), ""); code != http.StatusAccepted {
			t.Fatalf("connect = %d %v, want 202", code, body)
		}
		tasks, err := s.UnfinishedOutbox(ctx, time.Now().Add(time.Hour), 0, 10)
		if err != nil || len(tasks) != 1 || tasks[0].TaskType != jobs.TypeStoreConnect {
			t.Fatalf("outbox after connect = %+v, %v; want the connect task", tasks, err)
		}
		if code, body := call(t, r, http.MethodDelete, base, ""); code != http.StatusOK || shopOf(body)["store_credentials"] != false {
			t.Fatalf("delete = %d %v, want no credentials", code, body)
		}
	})
}
