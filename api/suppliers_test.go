package api_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func TestASupplierIsCreatedReadListedAndPatchedWithItsSecretShownOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		r := adminRouter(t, s)
		code, sp := call(t, r, "POST", "/api/v1/suppliers",
			`{"name":"Copperworks","email":"orders@copperworks.example","channel":"http","url":"https://copperworks.example/po","currency":"EUR"}`)
		secret, _ := sp["secret"].(string)
		if code != http.StatusCreated || sp["id"] == nil || len(secret) != 64 || sp["lead_time_days"] != 14.0 ||
			sp["currency"] != "EUR" {
			t.Fatalf("POST = %d %v, want 201 with an id, a generated 64-hex secret and lead time 14", code, sp)
		}
		id := jsonID(sp["id"])
		code, got := call(t, r, "GET", "/api/v1/suppliers/"+id, "")
		if _, shown := got["secret"]; code != http.StatusOK || shown || got["name"] != "Copperworks" {
			t.Errorf("GET = %d %v, want the supplier without its secret", code, got)
		}
		code, got = call(t, r, "PATCH", "/api/v1/suppliers/"+id, `{"lead_time_days":21}`)
		if _, shown := got["secret"]; code != http.StatusOK || shown || got["lead_time_days"] != 21.0 ||
			got["url"] != "https://copperworks.example/po" {
			t.Errorf("PATCH lead time = %d %v, want only lead_time_days changed, no secret shown", code, got)
		}
		stored, err := s.Supplier(context.Background(), int64(sp["id"].(float64)))
		if err != nil || stored.Secret != secret {
			t.Errorf("stored secret = %q (%v), want the one shown at creation", stored.Secret, err)
		}
		code, got = call(t, r, "PATCH", "/api/v1/suppliers/"+id, `{"secret":""}`)
		if rotated, _ := got["secret"].(string); code != http.StatusOK || len(rotated) != 64 || rotated == secret {
			t.Errorf("PATCH secret \"\" = %d %v, want a new generated secret shown", code, got)
		}
		if code, _ := call(t, r, "POST", "/api/v1/suppliers", `{"name":"Copperworks","channel":"email","email":"a@b.example"}`); code != http.StatusConflict {
			t.Errorf("a second Copperworks = %d, want 409", code)
		}
		if code, _ := call(t, r, "POST", "/api/v1/suppliers", `{"name":"Tinsmiths","channel":"email","email":"t@b.example"}`); code != http.StatusCreated {
			t.Fatalf("Tinsmiths = %d", code)
		}
		if code, got := call(t, r, "PATCH", "/api/v1/suppliers/"+id, `{"name":"Tinsmiths"}`); code != http.StatusConflict {
			t.Errorf("renaming onto another's name = %d %v, want 409", code, got)
		}
		code, l := call(t, r, "GET", "/api/v1/suppliers?limit=1", "")
		items, _ := l["items"].([]any)
		if code != http.StatusOK || len(items) != 1 || l["next_cursor"] != id {
			t.Fatalf("list page 1 = %d %v, want Copperworks and a cursor", code, l)
		}
		code, l = call(t, r, "GET", "/api/v1/suppliers?limit=1&cursor="+id, "")
		items, _ = l["items"].([]any)
		if code != http.StatusOK || len(items) != 1 || items[0].(map[string]any)["name"] != "Tinsmiths" {
			t.Errorf("list page 2 = %d %v, want Tinsmiths", code, l)
		}
		if _, shown := items[0].(map[string]any)["secret"]; shown {
			t.Error("the list shows a secret")
		}
	})
}

func TestASupplierThatBreaksARuleIsRefusedNamingTheField(t *testing.T) {
	s := storetest.New(t, store.SQLite)
	r := adminRouter(t, s)
	tests := []struct{ body, field string }{
		{`{"channel":"email","email":"a@b.example"}`, "name"},
		{`{"name":"A","channel":"fax"}`, "channel"},
		{`{"name":"A","channel":"email"}`, "email"},
		{`{"name":"A","channel":"email","email":"not an address"}`, "email"},
		{`{"name":"A","channel":"http"}`, "url"},
		{`{"name":"A","channel":"http","url":"ftp://x.example/"}`, "url"},
		{`{"name":"A","channel":"http","url":"https://x.example/","secret":"short"}`, "secret"},
		{`{"name":"A","channel":"email","email":"a@b.example","lead_time_days":-1}`, "lead_time_days"},
		{`{"name":"A","channel":"email","email":"a@b.example","lead_time_days":"3"}`, "lead_time_days"},
		{`{"name":"A","channel":"email","email":"a@b.example","currency":"usd"}`, "currency"},
	}
	for _, tt := range tests {
		code, body := call(t, r, "POST", "/api/v1/suppliers", tt.body)
		if c, msg := errorOf(body); code != http.StatusUnprocessableEntity || c != "unprocessable" || !strings.HasPrefix(msg, tt.field+":") {
			t.Errorf("POST %s = %d %v, want 422 naming %s", tt.body, code, body, tt.field)
		}
	}
	for _, body := range []string{`{"name":"A","colour":"red"}`, `[1]`, ``} {
		if code, got := call(t, r, "POST", "/api/v1/suppliers", body); code != http.StatusBadRequest {
			t.Errorf("POST %q = %d %v, want 400", body, code, got)
		}
	}
	for path, want := range map[string]int{"/api/v1/suppliers/99": 404, "/api/v1/suppliers/x": 400} {
		if code, _ := call(t, r, "GET", path, ""); code != want {
			t.Errorf("GET %s = %d, want %d", path, code, want)
		}
		if code, _ := call(t, r, "PATCH", path, `{}`); code != want {
			t.Errorf("PATCH %s = %d, want %d", path, code, want)
		}
	}
}

// jsonID is a JSON number id as a path segment.
func jsonID(v any) string {
	f, _ := v.(float64)
	return strconv.FormatInt(int64(f), 10)
}
