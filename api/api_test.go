package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/api"
)

func serve(r http.Handler, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	return rec
}

func TestRequireToken(t *testing.T) {
	gin.SetMode(gin.TestMode)
	const token = "0123456789abcdef-token"
	r := gin.New()
	r.GET("/x", api.RequireToken(token), func(c *gin.Context) { c.String(http.StatusOK, "in") })
	tests := []struct {
		name string
		set  func(*http.Request)
		want int
	}{
		{"bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }, http.StatusOK},
		{"basic password", func(r *http.Request) { r.SetBasicAuth("operator", token) }, http.StatusOK},
		{"wrong bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token+"x") }, http.StatusUnauthorized},
		{"prefix of the token", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token[:8]) }, http.StatusUnauthorized},
		{"wrong basic", func(r *http.Request) { r.SetBasicAuth("operator", "guess") }, http.StatusUnauthorized},
		{"none", func(*http.Request) {}, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/x", nil)
			tt.set(req)
			rec := serve(r, req)
			if rec.Code != tt.want {
				t.Fatalf("status = %d, want %d", rec.Code, tt.want)
			}
			if rec.Code == http.StatusUnauthorized && rec.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate: a browser would not ask for the token")
			}
		})
	}
}

func TestReadiness(t *testing.T) {
	gin.SetMode(gin.TestMode)
	down := func(context.Context) error { return errors.New("connection refused") }
	up := func(context.Context) error { return nil }
	tests := []struct {
		name     string
		any      bool
		checks   []api.Check
		want     int
		wantDown []string
	}{
		{"all up", false, []api.Check{{Name: "database", Check: up}, {Name: "redis", Check: up}}, http.StatusOK, nil},
		{"redis down", false, []api.Check{{Name: "database", Check: up}, {Name: "redis", Check: down}}, http.StatusServiceUnavailable, []string{"redis"}},
		{"both down", false, []api.Check{{Name: "database", Check: down}, {Name: "redis", Check: down}}, http.StatusServiceUnavailable, []string{"database", "redis"}},
		{"any: redis down", true, []api.Check{{Name: "database", Check: up}, {Name: "redis", Check: down}}, http.StatusOK, nil},
		{"any: database down", true, []api.Check{{Name: "database", Check: down}, {Name: "redis", Check: up}}, http.StatusOK, nil},
		{"any: both down", true, []api.Check{{Name: "database", Check: down}, {Name: "redis", Check: down}}, http.StatusServiceUnavailable, []string{"database", "redis"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gin.New()
			api.MountHealth(r, api.Readiness{Checks: tt.checks, Any: tt.any})
			if rec := serve(r, httptest.NewRequest(http.MethodGet, "/healthz", nil)); rec.Code != http.StatusOK {
				t.Fatalf("healthz = %d, want 200 whatever is down", rec.Code)
			}
			rec := serve(r, httptest.NewRequest(http.MethodGet, "/readyz", nil))
			if rec.Code != tt.want {
				t.Fatalf("readyz = %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
			var body struct {
				Down   []string          `json:"down"`
				Checks map[string]string `json:"checks"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if rec.Code == http.StatusServiceUnavailable && strings.Join(body.Down, ",") != strings.Join(tt.wantDown, ",") {
				t.Errorf("down = %v, want %v", body.Down, tt.wantDown)
			}
			if len(body.Checks) != len(tt.checks) {
				t.Errorf("checks = %v, want every check reported", body.Checks)
			}
		})
	}
}

func TestPanicIsRecoveredAndLoggedOnce(t *testing.T) {
	gin.SetMode(gin.TestMode)
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	r := gin.New()
	r.Use(api.Recover(log), api.RequestLog(log))
	r.GET("/boom", func(*gin.Context) { panic("kaboom") })
	req := httptest.NewRequest(http.MethodGet, "/boom", nil)
	req.Header.Set(api.RequestIDHeader, "req-123")
	rec := serve(r, req)
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status = %d, want 500", rec.Code)
	}
	if got := strings.Count(logs.String(), "kaboom"); got != 1 {
		t.Errorf("panic logged %d times, want once:\n%s", got, logs.String())
	}
	if !strings.Contains(logs.String(), `"request_id":"req-123"`) {
		t.Errorf("logs lack the request id:\n%s", logs.String())
	}
	if rec.Header().Get(api.RequestIDHeader) != "req-123" {
		t.Errorf("response request id = %q, want the caller's", rec.Header().Get(api.RequestIDHeader))
	}
}

// TestTheRequestLogNeverNamesAnAddressInAPath: clearing a bounce names
// the customer's email address in its path; the request's log line names
// the route's parameter instead, and keeps the shop's id.
func TestTheRequestLogNeverNamesAnAddressInAPath(t *testing.T) {
	gin.SetMode(gin.TestMode)
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	r := gin.New()
	r.Use(api.Recover(log), api.RequestLog(log))
	r.DELETE("/api/v1/shops/:id/suppressions/:address", func(c *gin.Context) {
		if c.Query("panic") != "" {
			panic("kaboom")
		}
		c.Status(http.StatusNoContent)
	})
	serve(r, httptest.NewRequest(http.MethodDelete, "/api/v1/shops/7/suppressions/wren.tanaka%40example.net", nil))
	serve(r, httptest.NewRequest(http.MethodDelete, "/api/v1/shops/7/suppressions/wren.tanaka%40example.net?panic=1", nil))
	if strings.Contains(logs.String(), "wren") {
		t.Errorf("the request log names the address:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), `"path":"/api/v1/shops/7/suppressions/:address"`) {
		t.Errorf("the request log lacks the path with the shop's id:\n%s", logs.String())
	}
}

func TestSameOriginRefusesOnlyABrowsersCrossOriginStateChange(t *testing.T) {
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.Any("/x", api.SameOrigin(), func(c *gin.Context) { c.Status(http.StatusNoContent) })
	tests := []struct {
		name, method string
		headers      map[string]string
		want         int
	}{
		{"cross-site post", http.MethodPost, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"same-site post", http.MethodDelete, map[string]string{"Sec-Fetch-Site": "same-site"}, http.StatusForbidden},
		{"foreign origin, old browser", http.MethodPost, map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"same origin", http.MethodPost, map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://example.com"}, http.StatusNoContent},
		{"own origin, old browser", http.MethodPost, map[string]string{"Origin": "http://example.com"}, http.StatusNoContent},
		{"address bar", http.MethodPost, map[string]string{"Sec-Fetch-Site": "none"}, http.StatusNoContent},
		{"script", http.MethodPost, nil, http.StatusNoContent},
		{"cross-site read", http.MethodGet, map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusNoContent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, "http://example.com/x", nil)
			for k, v := range tt.headers {
				req.Header.Set(k, v)
			}
			if got := serve(r, req).Code; got != tt.want {
				t.Errorf("status = %d, want %d", got, tt.want)
			}
		})
	}
}
