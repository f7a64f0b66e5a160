package woocommerce

import (
	"net/url"
	"testing"
)

// TestOAuthSignatureMatchesWooCommercesCheck pins the signer to a vector
// computed outside Go by WC_REST_Authentication::check_oauth_signature's
// steps (keys sorted, key and value rawurlencoded, each "k=v" encoded
// again, joined with %26), including a value that needs escaping.
func TestOAuthSignatureMatchesWooCommercesCheck(t *testing.T) {
	query := url.Values{
		"per_page": {"100"}, "page": {"2"}, "modified_after": {"2025-11-18T14:42:22"},
		"dates_are_gmt": {"true"}, "search": {"mug & apron ~ 100%"},
	}
	oauthSign("get", "http://larchwood-goods.example/wp-json/wc/v3/orders", query, "ck_test", "cs_secret", "abc123", 1763477000)

	wantBase := "GET&http%3A%2F%2Flarchwood-goods.example%2Fwp-json%2Fwc%2Fv3%2Forders&dates_are_gmt%3Dtrue%26" +
		"modified_after%3D2025-11-18T14%253A42%253A22%26oauth_consumer_key%3Dck_test%26oauth_nonce%3Dabc123%26" +
		"oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp%3D1763477000%26page%3D2%26per_page%3D100%26" +
		"search%3Dmug%2520%2526%2520apron%2520~%2520100%2525"
	unsigned := url.Values{}
	for k, v := range query {
		if k != "oauth_signature" {
			unsigned[k] = v
		}
	}
	if got := oauthBaseString("GET", "http://larchwood-goods.example/wp-json/wc/v3/orders", unsigned); got != wantBase {
		t.Errorf("base string:\n got %s\nwant %s", got, wantBase)
	}
	for k, want := range map[string]string{
		"oauth_signature":        "+lAlMpN4pEz+lTEI51gy0CYNHHqKyy3eHv4IeLC01WU=",
		"oauth_consumer_key":     "ck_test",
		"oauth_signature_method": "HMAC-SHA256",
		"oauth_nonce":            "abc123",
		"oauth_timestamp":        "1763477000",
	} {
		if got := query[k]; len(got) != 1 || got[0] != want {
			t.Errorf("%s: got %q, want [%q]", k, got, want)
		}
	}
}

func TestRFC3986EncodesAllButUnreserved(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"AZaz09-._~", "AZaz09-._~"},
		{"a b+c/d=e&f", "a%20b%2Bc%2Fd%3De%26f"},
		{"Zoë", "Zo%C3%AB"},
		{"100%", "100%25"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := rfc3986(tc.in); got != tc.want {
				t.Errorf("rfc3986(%q): got %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
