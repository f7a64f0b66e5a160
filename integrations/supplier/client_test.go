package supplier

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

const secret = "supplier-test-secret"

// order is the document the tests send.
var order = PODocument{PurchaseOrderID: 42, Revision: 2, Shop: "Harbor & Kiln Supply", Currency: "EUR",
	CreatedAt: time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC),
	Lines: []PODocLine{{ItemID: "4471", SKU: "HK-KETTLE-1L-CPR", SupplierSKU: "CU-1000",
		Title: "Copper Stovetop Kettle - 1 L", Quantity: 24, UnitCost: "12.50"}}}

// fakeSupplier answers every POST with status, headers and answer, after
// checking what it was sent the way a supplier would: method, path,
// content type, the delivery id, and the signature over the bytes received.
func fakeSupplier(t *testing.T, status int, headers map[string]string, answer string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/orders" {
			t.Errorf("request %s %s, want POST /orders", r.Method, r.URL.Path)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("content type = %q, want application/json", ct)
		}
		if d := r.Header.Get(HeaderDelivery); d != "po-42-r2" {
			t.Errorf("%s = %q, want po-42-r2", HeaderDelivery, d)
		}
		body, _ := io.ReadAll(r.Body)
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(body)
		if got, want := r.Header.Get(HeaderSignature), "sha256="+hex.EncodeToString(m.Sum(nil)); got != want {
			t.Errorf("%s = %q, want %q: the HMAC of the body received", HeaderSignature, got, want)
		}
		var got PODocument
		if err := json.Unmarshal(body, &got); err != nil {
			t.Errorf("body is not a purchase order: %v", err)
		}
		if got.PurchaseOrderID != 42 || got.Revision != 2 || got.Currency != "EUR" || len(got.Lines) != 1 ||
			got.Lines[0].SupplierSKU != "CU-1000" || got.Lines[0].Quantity != 24 || got.Lines[0].UnitCost != "12.50" {
			t.Errorf("purchase order received = %+v", got)
		}
		for _, field := range []string{`"purchase_order_id":42`, `"unit_cost":"12.50"`, `"created_at":"2026-11-20T09:30:00Z"`} {
			if !strings.Contains(string(body), field) {
				t.Errorf("body lacks %s: %s", field, body)
			}
		}
		for k, v := range headers {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(answer))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func send(t *testing.T, url string, timeout time.Duration) error {
	t.Helper()
	body, err := json.Marshal(order)
	if err != nil {
		t.Fatal(err)
	}
	return New(timeout).SendPO(context.Background(), url, secret, "po-42-r2", body)
}

func TestASupplierThatAnswers2xxHasTheOrder(t *testing.T) {
	for _, status := range []int{http.StatusOK, http.StatusCreated, http.StatusAccepted, http.StatusNoContent} {
		srv := fakeSupplier(t, status, nil, "")
		if err := send(t, srv.URL+"/orders", time.Second); err != nil {
			t.Errorf("answer %d: SendPO = %v, want accepted", status, err)
		}
	}
}

func TestASupplierAnswerSaysWhetherToRetry(t *testing.T) {
	long := `{"error": "unknown supplier_sku CU-1000` + strings.Repeat(" and more", 100) + `"}`
	tests := []struct {
		name       string
		status     int
		headers    map[string]string
		answer     string
		permanent  bool
		retryAfter time.Duration
		detail     string
	}{
		{"rate limited", http.StatusTooManyRequests, map[string]string{"Retry-After": "7"}, "slow down", false, 7 * time.Second, "slow down"},
		{"rate limited without a wait", http.StatusTooManyRequests, nil, "", false, 0, "Too Many Requests"},
		{"server error", http.StatusInternalServerError, nil, "boom", false, 0, "boom"},
		{"unavailable", http.StatusServiceUnavailable, nil, "", false, 0, "Service Unavailable"},
		{"refused order", http.StatusBadRequest, nil, long, true, 0, `{"error": "unknown supplier_sku CU-1000 and more`},
		{"wrong secret", http.StatusUnauthorized, nil, "bad signature", true, 0, "bad signature"},
		{"moved", http.StatusMovedPermanently, map[string]string{"Location": "https://new.example/orders"}, "", true, 0, "redirected to https://new.example/orders"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := send(t, fakeSupplier(t, tt.status, tt.headers, tt.answer).URL+"/orders", time.Second)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("SendPO = %v, want *Error", err)
			}
			if e.Status != tt.status || IsPermanent(err) != tt.permanent || RetryAfter(err) != tt.retryAfter {
				t.Errorf("error = %+v, want status %d, permanent %v, retry after %v", e, tt.status, tt.permanent, tt.retryAfter)
			}
			if !strings.HasPrefix(e.Detail, tt.detail) || len(e.Detail) > maxDetail+len("…") {
				t.Errorf("detail = %q (%d bytes), want it to start %q and be at most %d bytes", e.Detail, len(e.Detail), tt.detail, maxDetail)
			}
		})
	}
}

func TestRetryAfterAsAnHTTPDate(t *testing.T) {
	c := New(time.Second)
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return now }
	if got := c.retryAfter(now.Add(90 * time.Second).Format(http.TimeFormat)); got != 90*time.Second {
		t.Errorf("retry after = %v, want 1m30s", got)
	}
	if got := c.retryAfter("soon"); got != 0 {
		t.Errorf("retry after an unreadable value = %v, want 0 (the caller's backoff)", got)
	}
}

func TestASupplierThatDoesNotAnswerInTimeIsRetried(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { time.Sleep(500 * time.Millisecond) }))
	defer slow.Close()
	err := send(t, slow.URL+"/orders", 50*time.Millisecond)
	if err == nil || IsPermanent(err) {
		t.Fatalf("timeout = %v, want a retryable error", err)
	}
}

func TestASupplierNobodyListensForIsRetried(t *testing.T) {
	gone := httptest.NewServer(http.NotFoundHandler())
	url := gone.URL
	gone.Close()
	if err := send(t, url+"/orders", time.Second); err == nil || IsPermanent(err) {
		t.Fatalf("dial error = %v, want a retryable error", err)
	}
}

func TestAnUnusableURLFailsForGood(t *testing.T) {
	if err := send(t, "http://bad host/orders", time.Second); !IsPermanent(err) {
		t.Fatalf("SendPO to a bad url = %v, want a permanent error", err)
	}
}
