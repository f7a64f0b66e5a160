package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// shopWithOrder is a shop whose order names item 1517, which no product
// delivery has described.
func shopWithOrder(t *testing.T, s *store.Store) store.Shop {
	t.Helper()
	return storetest.ShopWithOrder(t, s, "https://b.example/")
}

func TestAnItemsTermsArePutShownWithTheSupplierAndDeleted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		shopWithOrder(t, s)
		r := adminRouter(t, s)
		_, sp := call(t, r, "POST", "/api/v1/suppliers", `{"name":"Linen Co","channel":"email","email":"po@linen.example"}`)
		path := "/api/v1/items/1517/suppliers/" + jsonID(sp["id"])
		code, got := call(t, r, "PUT", path, `{"supplier_sku":"LC-APR-9","unit_cost":"12.50","moq":10,"pack_size":5,"preferred":true}`)
		if code != http.StatusOK || got["unit_cost"] != "12.50" || got["supplier"] != "Linen Co" || got["pack_size"] != 5.0 ||
			got["lead_time_days"] != nil || got["preferred"] != true {
			t.Fatalf("PUT = %d %v, want the terms with the supplier's name", code, got)
		}
		code, item := call(t, r, "GET", "/api/v1/items/1517", "")
		terms, _ := item["suppliers"].([]any)
		if code != http.StatusOK || len(terms) != 1 || terms[0].(map[string]any)["supplier_sku"] != "LC-APR-9" ||
			terms[0].(map[string]any)["supplier"] != "Linen Co" {
			t.Fatalf("GET item = %d %v, want its one supplier's terms", code, item)
		}
		// PUT replaces: what is left out takes its default.
		if code, got := call(t, r, "PUT", path+"?shop=https://b.example/", `{"unit_cost":"9","lead_time_days":3}`); code != http.StatusOK ||
			got["moq"] != 0.0 || got["pack_size"] != 1.0 || got["lead_time_days"] != 3.0 || got["preferred"] != false {
			t.Errorf("second PUT = %d %v, want the whole terms replaced", code, got)
		}
		if code, _ := call(t, r, "DELETE", path, ""); code != http.StatusNoContent {
			t.Errorf("DELETE = %d, want 204", code)
		}
		if code, _ := call(t, r, "DELETE", path, ""); code != http.StatusNotFound {
			t.Errorf("second DELETE = %d, want 404", code)
		}
		if _, item := call(t, r, "GET", "/api/v1/items/1517", ""); len(item["suppliers"].([]any)) != 0 {
			t.Errorf("item after DELETE = %v, want no suppliers", item)
		}
	})
}

func TestTermsThatBreakARuleOrNameNoShopOrSupplierAreRefused(t *testing.T) {
	s := storetest.New(t, store.SQLite)
	ctx := context.Background()
	if _, err := s.AddShop(ctx, store.NewShop(store.Shopify, "a.myshopify.com", "s")); err != nil {
		t.Fatal(err)
	}
	r := adminRouter(t, s)
	_, sp := call(t, r, "POST", "/api/v1/suppliers", `{"name":"Linen Co","channel":"email","email":"po@linen.example"}`)
	path := "/api/v1/items/1517/suppliers/" + jsonID(sp["id"])
	for _, tt := range []struct{ body, field, says string }{
		{`{"unit_cost":12.5}`, "unit_cost", "string"},
		{`{"unit_cost":"12.505001"}`, "unit_cost", "decimal"},
		{`{"unit_cost":"-1"}`, "unit_cost", "decimal"},
		{`{"unit_cost":"1e3"}`, "unit_cost", "decimal"},
		{`{"moq":-1}`, "moq", "0 or more"},
		{`{"pack_size":0}`, "pack_size", "1 or more"},
		{`{"lead_time_days":-2}`, "lead_time_days", "days"},
		{`{"safety_stock":-1}`, "safety_stock", "0 or more"},
		{`{"preferred":"yes"}`, "preferred", "true or false"},
	} {
		code, body := call(t, r, "PUT", path, tt.body)
		if c, msg := errorOf(body); code != http.StatusUnprocessableEntity || c != "unprocessable" ||
			!strings.HasPrefix(msg, tt.field+":") || !strings.Contains(msg, tt.says) {
			t.Errorf("PUT %s = %d %v, want 422 naming %s and saying %q", tt.body, code, body, tt.field, tt.says)
		}
	}
	for _, tt := range []struct {
		path string
		want int
	}{
		{"/api/v1/items/1517/suppliers/99", http.StatusNotFound},
		{"/api/v1/items/1517/suppliers/x", http.StatusBadRequest},
		{path + "?shop=b.myshopify.com", http.StatusNotFound},
	} {
		if code, body := call(t, r, "PUT", tt.path, `{}`); code != tt.want {
			t.Errorf("PUT %s = %d %v, want %d", tt.path, code, body, tt.want)
		}
	}
	if _, err := s.AddShop(ctx, store.NewShop(store.Shopify, "b.myshopify.com", "s")); err != nil {
		t.Fatal(err)
	}
	code, body := call(t, r, "PUT", path, `{}`)
	if _, msg := errorOf(body); code != http.StatusBadRequest || !strings.HasPrefix(msg, "shop") {
		t.Errorf("PUT with two shops and no ?shop= = %d %v, want 400 naming shop", code, body)
	}
	if code, _ := call(t, r, "PUT", path+"?shop=b.myshopify.com", `{"unit_cost":"3.20"}`); code != http.StatusOK {
		t.Errorf("PUT naming the shop = %d, want 200", code)
	}
}
