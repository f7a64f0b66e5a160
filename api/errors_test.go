package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// call sends an admin request with the token (unless noToken) and decodes
// the JSON answer.
func call(t *testing.T, r http.Handler, method, path, body string, headers ...string) (int, map[string]any) {
	t.Helper()
	var rd *bytes.Reader
	if body != "" {
		rd = bytes.NewReader([]byte(body))
	} else {
		rd = bytes.NewReader(nil)
	}
	req := httptest.NewRequest(method, path, rd)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
		} else {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out
}

// errorOf is an error answer's code and message.
func errorOf(body map[string]any) (code, message string) {
	e, _ := body["error"].(map[string]any)
	code, _ = e["code"].(string)
	message, _ = e["message"].(string)
	return code, message
}

func TestEveryAdminErrorSaysItsCodeAndAMessage(t *testing.T) {
	s := storetest.New(t, store.SQLite)
	if _, err := s.AddShop(context.Background(), store.NewShop(store.Shopify, "a.myshopify.com", "s")); err != nil {
		t.Fatal(err)
	}
	r := adminRouter(t, s)
	tests := []struct {
		name, method, path, body string
		headers                  []string
		status                   int
		code                     string
	}{
		{"bad query", "GET", "/api/v1/inbox?limit=0", "", nil, 400, "bad_request"},
		{"malformed JSON", "POST", "/api/v1/suppliers", `{"name":`, nil, 400, "bad_request"},
		{"unknown shop", "GET", "/api/v1/backorders?shop=nobody.myshopify.com", "", nil, 404, "not_found"},
		{"unknown backorder", "GET", "/api/v1/backorders/12", "", nil, 404, "not_found"},
		{"unknown email", "GET", "/api/v1/emails/12", "", nil, 404, "not_found"},
		{"unknown item", "GET", "/api/v1/items/12", "", nil, 404, "not_found"},
		{"rule broken", "POST", "/api/v1/suppliers", `{"name":"A","channel":"fax"}`, nil, 422, "unprocessable"},
		{"no token", "GET", "/api/v1/inbox", "", []string{"Authorization", ""}, 401, "unauthorized"},
		{"cross-site", "POST", "/api/v1/suppliers", `{}`, []string{"Sec-Fetch-Site", "cross-site"}, 403, "forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := call(t, r, tt.method, tt.path, tt.body, tt.headers...)
			code, msg := errorOf(body)
			if status != tt.status || code != tt.code || msg == "" {
				t.Errorf("%s %s = %d %v, want %d with code %q and a message", tt.method, tt.path, status, body,
					tt.status, tt.code)
			}
		})
	}
	t.Run("database down", func(t *testing.T) {
		s.Close()
		status, body := call(t, r, "GET", "/api/v1/suppliers", "")
		if code, _ := errorOf(body); status != 503 || code != "unavailable" {
			t.Errorf("with the database closed = %d %v, want 503 unavailable", status, body)
		}
	})
}
