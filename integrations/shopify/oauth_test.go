package shopify_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/backorderd/backorderd/integrations/shopify"
)

// shopifyExample is the signed callback of Shopify's OAuth documentation,
// signed with the secret "hush".
const shopifyExample = "code=0907a61c0c8d55e99db179b68161bc00&hmac=700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf" +
	"&shop=some-shop.myshopify.com&state=0.6784241404160823&timestamp=1337178173"

func TestVerifyCallbackAcceptsOnlyWhatShopifySigned(t *testing.T) {
	example, _ := url.ParseQuery(shopifyExample)
	with := func(k, v string) url.Values {
		q, _ := url.ParseQuery(shopifyExample)
		q.Set(k, v)
		return q
	}
	without := func(k string) url.Values {
		q, _ := url.ParseQuery(shopifyExample)
		q.Del(k)
		return q
	}
	twice := func(k string) url.Values {
		q, _ := url.ParseQuery(shopifyExample)
		q.Add(k, q.Get(k))
		return q
	}
	tests := []struct {
		name   string
		q      url.Values
		secret string
		ok     bool
	}{
		{"shopify's example", example, "hush", true},
		{"a signature parameter is left out", with("signature", "anything"), "hush", true},
		{"upper-case hex", with("hmac", strings.ToUpper(example.Get("hmac"))), "hush", true},
		{"another secret", example, "hush2", false},
		{"another shop", with("shop", "evil.myshopify.com"), "hush", false},
		{"another state", with("state", "mine"), "hush", false},
		{"a parameter added", with("host", "x"), "hush", false},
		{"a parameter dropped", without("timestamp"), "hush", false},
		{"no hmac", without("hmac"), "hush", false},
		{"hmac not hex", with("hmac", "zz"), "hush", false},
		{"hmac too short", with("hmac", example.Get("hmac")[:62]), "hush", false},
		{"a parameter twice", twice("shop"), "hush", false},
		{"hmac twice", twice("hmac"), "hush", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := shopify.VerifyCallback(tt.q, tt.secret)
			if tt.ok && err != nil {
				t.Errorf("VerifyCallback = %v, want nil", err)
			}
			if !tt.ok && !errors.Is(err, shopify.ErrBadCallback) {
				t.Errorf("VerifyCallback = %v, want ErrBadCallback", err)
			}
		})
	}
}

func TestVerifyCallbackEscapesSoPairsCannotBeReadTwoWays(t *testing.T) {
	// Signed as a=1&b=2 unescaped, a value holding "&b=2" must not pass
	// for the two parameters a=1 and b=2.
	signed := shopify.SignQueryForTest(url.Values{"a": {"1"}, "b": {"2"}}, "k")
	q := url.Values{"a": {"1&b=2"}, "hmac": signed["hmac"]}
	if err := shopify.VerifyCallback(q, "k"); err == nil {
		t.Error("a value with & and = verified with the signature of two parameters")
	}
	if err := shopify.VerifyCallback(signed, "k"); err != nil {
		t.Errorf("the signed query itself: %v", err)
	}
	odd := shopify.SignQueryForTest(url.Values{"a%b": {"c&d%e"}, "x=y": {"z"}}, "k")
	if err := shopify.VerifyCallback(odd, "k"); err != nil {
		t.Errorf("keys and values with %%, & and =: %v", err)
	}
}

func TestAuthorizeURLAsksForTheScopesWithTheState(t *testing.T) {
	raw := shopify.AuthorizeURL("https://a-shop.myshopify.com", "client-1", shopify.Scopes,
		"https://backorderd.example/shopify/callback", "state-1")
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "https" || u.Host != "a-shop.myshopify.com" || u.Path != "/admin/oauth/authorize" {
		t.Errorf("authorize URL = %s, want https://a-shop.myshopify.com/admin/oauth/authorize", raw)
	}
	want := map[string]string{"client_id": "client-1", "scope": shopify.Scopes,
		"redirect_uri": "https://backorderd.example/shopify/callback", "state": "state-1"}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	for _, s := range []string{"write_orders", "write_products", "write_inventory", "write_merchant_managed_fulfillment_orders", "read_locations"} {
		if !slices.Contains(strings.Split(shopify.Scopes, ","), s) {
			t.Errorf("Scopes lacks %s", s)
		}
	}
}

func TestValidShopDomainTakesTheShopsOwnDomainAlone(t *testing.T) {
	for shop, ok := range map[string]bool{
		"a-shop.myshopify.com": true, "Shop9.myshopify.com": true,
		"": false, "myshopify.com": false, ".myshopify.com": false, "-a.myshopify.com": false,
		"a.example.com": false, "a.myshopify.com.evil.com": false, "evil.com/a.myshopify.com": false,
		"https://a.myshopify.com": false, "a.myshopify.com:443": false, "a.b.myshopify.com": false,
		"user@a.myshopify.com": false, "a.myshopify.com/admin": false, "a.myshopify.com\n": false,
	} {
		if got := shopify.ValidShopDomain(shop); got != ok {
			t.Errorf("ValidShopDomain(%q) = %t, want %t", shop, got, ok)
		}
	}
}

func TestExchangeTokenPostsTheCodeAndReadsTheToken(t *testing.T) {
	type answer struct {
		status int
		body   string
	}
	tests := []struct {
		name      string
		answer    answer
		wantToken string
		wantErr   string
	}{
		{"granted", answer{200, `{"access_token":"shpua_granted","scope":"write_orders,read_locations"}`}, "shpua_granted", ""},
		{"code refused", answer{400, `{"error":"invalid_request","error_description":"The authorization code was not found or was already used"}`},
			"", "400 Bad Request: invalid_request: The authorization code was not found or was already used"},
		{"server error", answer{502, `<html>bad gateway</html>`}, "", "502 Bad Gateway: (no JSON error)"},
		{"no token", answer{200, `{"scope":"read_orders"}`}, "", "holds no access_token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var got map[string]string
				if r.Method != http.MethodPost || r.URL.Path != "/admin/oauth/access_token" ||
					r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&got) != nil {
					t.Errorf("request = %s %s (%s), want POST /admin/oauth/access_token with JSON", r.Method, r.URL.Path, r.Header.Get("Content-Type"))
				}
				want := map[string]string{"client_id": "client-1", "client_secret": "app-secret", "code": "code-1"}
				for k, v := range want {
					if got[k] != v {
						t.Errorf("%s = %q, want %q", k, got[k], v)
					}
				}
				w.WriteHeader(tt.answer.status)
				_, _ = w.Write([]byte(tt.answer.body))
			}))
			defer srv.Close()
			token, scope, err := shopify.ExchangeToken(context.Background(), srv.Client(), srv.URL+"/", "client-1", "app-secret", "code-1")
			if token != tt.wantToken {
				t.Errorf("token = %q, want %q", token, tt.wantToken)
			}
			if tt.wantErr == "" {
				if err != nil || scope != "write_orders,read_locations" {
					t.Errorf("scope, err = %q, %v; want the scopes granted", scope, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "app-secret") {
				t.Errorf("the error shows the app's secret: %v", err)
			}
		})
	}
}

func TestMissingScopesCountsAWriteScopeAsItsRead(t *testing.T) {
	got := shopify.MissingScopes(shopify.Scopes, "write_orders,write_products,write_inventory,write_merchant_managed_fulfillment_orders")
	if want := []string{"read_locations"}; !slices.Equal(got, want) {
		t.Errorf("missing = %v, want %v", got, want)
	}
	if got := shopify.MissingScopes(shopify.Scopes, shopify.Scopes); len(got) != 0 {
		t.Errorf("all granted: missing = %v, want none", got)
	}
}
