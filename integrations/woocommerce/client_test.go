package woocommerce_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/backorderd/backorderd/integrations/storeapi"
	"github.com/backorderd/backorderd/integrations/woocommerce"
	"github.com/backorderd/backorderd/integrations/woocommerce/woocommercetest"
)

const (
	testKey    = "ck_4f1b6e0c2a9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f"
	testSecret = "cs_9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b"
)

// newStore is a fake store over plain HTTP (OAuth 1.0a) and a client of it.
func newStore(t *testing.T) (*woocommercetest.Server, *woocommerce.Client) {
	t.Helper()
	s := woocommercetest.New(t, testKey, testSecret)
	return s, woocommerce.NewClient(s.Client(), s.URL, testKey, testSecret)
}

// storeError is err as a *storeapi.Error, failing the test if it is not.
func storeError(t *testing.T, err error) *storeapi.Error {
	t.Helper()
	var e *storeapi.Error
	if !errors.As(err, &e) {
		t.Fatalf("error: got %v (%T), want a *storeapi.Error", err, err)
	}
	return e
}

func TestAuthAcceptedOverBothSchemesAndAWrongSecretRefused(t *testing.T) {
	for _, tc := range []struct {
		name     string
		tls      bool
		secret   string
		wantCode string // "" when accepted
	}{
		{"OAuth 1.0a over http", false, testSecret, ""},
		{"Basic over https", true, testSecret, ""},
		{"OAuth 1.0a over http, wrong secret", false, "cs_wrong", "woocommerce_rest_authentication_error"},
		{"Basic over https, wrong secret", true, "cs_wrong", "woocommerce_rest_authentication_error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			newServer := woocommercetest.New
			if tc.tls {
				newServer = woocommercetest.NewTLS
			}
			s := newServer(t, testKey, testSecret)
			s.AddProduct(`{"id":1534,"name":"Mug","type":"simple","backorders":"notify"}`)
			c := woocommerce.NewClient(s.Client(), s.URL, testKey, tc.secret)
			_, err := c.Resolve(context.Background(), "1534")
			if tc.wantCode == "" {
				if err != nil {
					t.Fatalf("Resolve: got %v, want no error", err)
				}
				return
			}
			e := storeError(t, err)
			if e.StatusCode != http.StatusUnauthorized || e.Code != tc.wantCode || !e.Permanent() {
				t.Errorf("error: got status %d code %q permanent %v, want 401 %q permanent", e.StatusCode, e.Code, e.Permanent(), tc.wantCode)
			}
		})
	}
}

// replay is a transport that sends each request twice, as an eavesdropper
// replaying a signed URL would, and returns the second answer.
type replay struct{ rt http.RoundTripper }

func (r replay) RoundTrip(req *http.Request) (*http.Response, error) {
	first, err := r.rt.RoundTrip(req.Clone(req.Context()))
	if err != nil {
		return nil, err
	}
	first.Body.Close()
	return r.rt.RoundTrip(req)
}

func TestFakeRefusesAReplayedNonceAndBasicOverPlainHTTP(t *testing.T) {
	s := woocommercetest.New(t, testKey, testSecret)
	s.AddProduct(`{"id":1534,"name":"Mug","type":"simple"}`)

	c := woocommerce.NewClient(&http.Client{Transport: replay{s.Client().Transport}}, s.URL, testKey, testSecret)
	_, err := c.Resolve(context.Background(), "1534")
	if e := storeError(t, err); e.StatusCode != http.StatusUnauthorized || !strings.Contains(e.Message, "nonce") {
		t.Errorf("replayed request: got %v, want 401 about the nonce", err)
	}

	req, _ := http.NewRequest(http.MethodGet, s.URL+"/wp-json/wc/v3/products/1534", nil)
	req.SetBasicAuth(testKey, testSecret)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("Basic over http: got status %d, want 401 (WooCommerce reads Basic only over https)", resp.StatusCode)
	}
}

func TestFaultsMapToStoreErrors(t *testing.T) {
	for _, tc := range []struct {
		status        int
		wantRetryable bool
		wantWait      time.Duration
		wantCode      string
	}{
		{http.StatusTooManyRequests, true, 7 * time.Second, "too_many_requests"},
		{http.StatusInternalServerError, true, 0, "internal_server_error"},
		{http.StatusServiceUnavailable, true, 0, "internal_server_error"},
		{http.StatusBadRequest, false, 0, "rest_invalid_param"},
		{http.StatusUnauthorized, false, 0, "woocommerce_rest_cannot_view"},
	} {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			s, c := newStore(t)
			s.AddProduct(`{"id":1534,"name":"Mug","type":"simple","backorders":"notify"}`)
			s.Fail(http.MethodGet, "products/1534", 1, tc.status)
			_, err := c.Resolve(context.Background(), "1534")
			e := storeError(t, err)
			if e.StatusCode != tc.status || e.Retryable != tc.wantRetryable || e.Wait != tc.wantWait || e.Code != tc.wantCode {
				t.Errorf("error: got status %d retryable %v wait %v code %q, want %d %v %v %q",
					e.StatusCode, e.Retryable, e.Wait, e.Code, tc.status, tc.wantRetryable, tc.wantWait, tc.wantCode)
			}
			if storeapi.IsPermanent(err) == tc.wantRetryable {
				t.Errorf("IsPermanent: got %v, want %v", storeapi.IsPermanent(err), !tc.wantRetryable)
			}
			// The fault is spent: the retry goes through.
			if _, err := c.Resolve(context.Background(), "1534"); err != nil {
				t.Errorf("retry: got %v, want no error", err)
			}
		})
	}
}

func TestMissingResourceAndTransportFailure(t *testing.T) {
	s, c := newStore(t)
	_, err := c.Resolve(context.Background(), "999")
	if e := storeError(t, err); e.StatusCode != http.StatusNotFound || e.Code != "woocommerce_rest_product_invalid_id" || e.Retryable {
		t.Errorf("missing product: got %+v, want a permanent 404 woocommerce_rest_product_invalid_id", e)
	}
	if _, err := c.Resolve(context.Background(), "1 OR 1"); !storeapi.IsPermanent(err) {
		t.Errorf("bad stock key: got %v, want a permanent error", err)
	}

	closed := woocommerce.NewClient(s.Client(), "http://127.0.0.1:1", testKey, testSecret)
	_, err = closed.Resolve(context.Background(), "1534")
	if e := storeError(t, err); !e.Retryable {
		t.Errorf("transport failure: got %+v, want retryable", e)
	}
}
