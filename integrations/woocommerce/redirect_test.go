package woocommerce_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/backorderd/backorderd/integrations/storeapi"
	"github.com/backorderd/backorderd/integrations/woocommerce"
)

// A store URL that redirects (to www., to https) is refused with where it
// goes: followed, Go would send the write as a GET without its body, which
// answers 200 and writes nothing.
func TestARedirectingStoreURLIsRefusedNotFollowed(t *testing.T) {
	var followed []string
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		followed = append(followed, r.Method+" "+r.URL.Path)
		_, _ = w.Write([]byte(`{"status":"on-hold","meta_data":[]}`))
	}))
	defer target.Close()
	store := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+r.URL.Path, http.StatusMovedPermanently)
	}))
	defer store.Close()
	c := woocommerce.NewClient(store.Client(), store.URL, "ck_key", "cs_secret")
	err := c.SetSelling(context.Background(), storeapi.Item{ItemID: "5", ProductID: "5", StopSelling: true})
	if !storeapi.IsPermanent(err) || !strings.Contains(err.Error(), "redirects to "+target.URL) {
		t.Fatalf("SetSelling on a redirecting store = %v, want a permanent error naming where it redirects", err)
	}
	if len(followed) != 0 {
		t.Errorf("the redirect was followed: %v", followed)
	}
}

// A store that cannot be reached over plain http fails with a message that
// does not carry the signed query (the consumer key): operators see it.
func TestATransportErrorDoesNotShowTheSignedQuery(t *testing.T) {
	store := httptest.NewServer(http.NotFoundHandler())
	url := store.URL
	store.Close() // refused from now on
	c := woocommerce.NewClient(nil, url, "ck_visible_key", "cs_secret")
	err := c.SetSelling(context.Background(), storeapi.Item{ItemID: "5", ProductID: "5"})
	if err == nil || storeapi.IsPermanent(err) {
		t.Fatalf("SetSelling on a closed port = %v, want a retryable error", err)
	}
	if strings.Contains(err.Error(), "ck_visible_key") || strings.Contains(err.Error(), "oauth_signature") {
		t.Errorf("error shows the signed query: %v", err)
	}
}
