package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func getJSON(t *testing.T, r http.Handler, path string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	var body map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	return rec.Code, body
}

func TestAnItemKnownOnlyFromAnOrderIsFoundBySKUAndID(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		// An order arrives before any product or inventory delivery named
		// its item.
		shopWithOrder(t, s)
		r := adminRouter(t, s)
		for _, path := range []string{"/api/v1/items?sku=LW-APRON-CHR", "/api/v1/items/1517"} {
			code, body := getJSON(t, r, path)
			if code != http.StatusOK || body["item_id"] != "1517" || body["sku"] != "LW-APRON-CHR" ||
				body["title"] != "Apron — Charcoal" {
				t.Errorf("GET %s = %d %v, want item 1517 from its order line", path, code, body)
			}
		}
		if code, _ := getJSON(t, r, "/api/v1/items?sku=NOPE"); code != http.StatusNotFound {
			t.Errorf("unknown sku = %d, want 404", code)
		}
	})
}

func TestAnUnknownEmailKindIsABadRequestNamingTheKinds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		r := adminRouter(t, s)
		code, body := getJSON(t, r, "/api/v1/emails?kind=nope")
		if c, msg := errorOf(body); code != http.StatusBadRequest || c != "bad_request" || !strings.Contains(msg, "backordered") {
			t.Errorf("kind=nope = %d %v, want 400 listing the kinds", code, body)
		}
		if code, _ := getJSON(t, r, "/api/v1/emails?kind=backordered"); code != http.StatusOK {
			t.Errorf("kind=backordered = %d, want 200", code)
		}
	})
}
