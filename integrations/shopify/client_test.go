package shopify_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/backorderd/backorderd/integrations/shopify"
	"github.com/backorderd/backorderd/integrations/shopify/shopifytest"
	"github.com/backorderd/backorderd/integrations/storeapi"
)

func TestFaultsMapToStoreErrors(t *testing.T) {
	for _, tc := range []struct {
		name       string
		root       string // the call that fails
		fault      shopifytest.Fault
		wantStatus int
		wantCode   string
		retryable  bool
		wait       time.Duration
		message    string // a part of the message
	}{
		{"throttled waits for the points", "order", shopifytest.Throttled, 200, "THROTTLED", true, 7500 * time.Millisecond, "Throttled"},
		{"429 waits for Retry-After", "order", shopifytest.Status429, 429, "", true, 2 * time.Second, "Exceeded 2 calls per second"},
		{"500 backs off as usual", "tagsAdd", shopifytest.Status500, 500, "", true, 0, "Internal Server Error"},
		{"400 is permanent", "tagsAdd", shopifytest.Status400, 400, "", false, 0, "Required parameter missing"},
		{"403 missing scope is permanent", "fulfillmentOrderHold", shopifytest.Status403, 403, "", false, 0, "merchant approval"},
		{"user error is permanent with its message", "metafieldsSet", shopifytest.UserError, 200, "INVALID", false, 0, "id: injected failure"},
		{"a query's access denied is permanent", "order", shopifytest.UserError, 200, "ACCESS_DENIED", false, 0, "Access denied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, c := newShop(t)
			kettleOrder(s, "")
			s.Fail(tc.root, 1, tc.fault)
			err := c.SyncOrder(context.Background(), kettleState(1, 0), allWrites)
			e := storeError(t, err)
			if e.Op != tc.root || e.StatusCode != tc.wantStatus || e.Code != tc.wantCode {
				t.Errorf("op, status, code: got %s %d %q, want %s %d %q", e.Op, e.StatusCode, e.Code, tc.root, tc.wantStatus, tc.wantCode)
			}
			if e.Retryable != tc.retryable || storeapi.IsPermanent(err) == tc.retryable {
				t.Errorf("retryable: got %v (IsPermanent %v), want %v", e.Retryable, storeapi.IsPermanent(err), tc.retryable)
			}
			if got := storeapi.RetryAfter(err); got != tc.wait {
				t.Errorf("wait: got %v, want %v", got, tc.wait)
			}
			if !strings.Contains(e.Message, tc.message) {
				t.Errorf("message: got %q, want it to contain %q", e.Message, tc.message)
			}
		})
	}
}

func TestRequestsTheShopRefuses(t *testing.T) {
	s := shopifytest.New(t, testToken)
	closed := shopifytest.New(t, testToken)
	closed.Close()
	hc := &http.Client{Timeout: 5 * time.Second}
	for _, tc := range []struct {
		name       string
		c          *shopify.Client
		wantStatus int
		retryable  bool
	}{
		{"wrong token", shopify.NewClient(hc, s.URL, "shpat_revoked"), 401, false},
		{"wrong base path: no such API", shopify.NewClient(hc, s.URL+"/proxy", testToken), 404, false},
		{"shop unreachable", shopify.NewClient(hc, closed.URL, testToken), 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.c.SetSelling(context.Background(), storeapi.Item{ItemID: "1"})
			e := storeError(t, err)
			if e.StatusCode != tc.wantStatus || e.Retryable != tc.retryable {
				t.Errorf("status, retryable: got %d %v (%v), want %d %v", e.StatusCode, e.Retryable, e, tc.wantStatus, tc.retryable)
			}
		})
	}
}

func TestEveryCallNamesTheVersionAndToken(t *testing.T) {
	s, c := newShop(t)
	kettleOrder(s, "")
	// The fake answers 404 to another version and 401 to another token:
	// a call that succeeds named both.
	if err := c.SyncOrder(context.Background(), kettleState(1, 0), allWrites); err != nil {
		t.Fatalf("SyncOrder: %v", err)
	}
	if shopify.APIVersion != shopifytest.APIVersion {
		t.Errorf("APIVersion: got %s, want the fake's %s", shopify.APIVersion, shopifytest.APIVersion)
	}
	if n := len(s.Calls()); n < 2 {
		t.Errorf("calls: got %d, want a read and writes", n)
	}
}
