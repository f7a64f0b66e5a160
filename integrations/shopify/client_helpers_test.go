package shopify_test

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/backorderd/backorderd/integrations/shopify"
	"github.com/backorderd/backorderd/integrations/shopify/shopifytest"
	"github.com/backorderd/backorderd/integrations/storeapi"
)

const testToken = "shpat_test_token"

// newShop is a fake shop and a client of it.
func newShop(t *testing.T) (*shopifytest.Server, *shopify.Client) {
	t.Helper()
	s := shopifytest.New(t, testToken)
	return s, shopify.NewClient(&http.Client{Timeout: 5 * time.Second}, s.URL, testToken)
}

// storeError is err as a *storeapi.Error, failing the test if it is not
// one.
func storeError(t *testing.T, err error) *storeapi.Error {
	t.Helper()
	var e *storeapi.Error
	if !errors.As(err, &e) {
		t.Fatalf("error: got %v (%T), want a *storeapi.Error", err, err)
	}
	return e
}

// roots are the root fields of calls, in order.
func roots(calls []shopifytest.Call) []string {
	out := make([]string, 0, len(calls))
	for _, c := range calls {
		out = append(out, c.Root)
	}
	return out
}
