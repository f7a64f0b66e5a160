package shopify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
)

// The OAuth install of a public app: Shopify sends the merchant to
// /admin/oauth/authorize, then back to the app's redirect URL with a
// signed query, whose code the app exchanges for the shop's access token.

// Scopes are the access scopes backorderd asks for: what write-back and
// polling need. read_orders/write_orders: orders, their tags, metafields
// (metafieldsSet on an order needs write access to the order), orderCancel
// and the orders/* webhooks; read_products/write_products: variants'
// inventoryPolicy (productVariantsBulkUpdate) and products/update;
// read_inventory/write_inventory: inventoryAdjustQuantities and
// inventory_levels/update; the merchant-managed fulfillment order scopes:
// fulfillmentOrderHold and fulfillmentOrderReleaseHold; read_locations:
// the location a receipt is added at.
const Scopes = "read_orders,write_orders,read_products,write_products,read_inventory,write_inventory," +
	"read_merchant_managed_fulfillment_orders,write_merchant_managed_fulfillment_orders,read_locations"

// InstallBase is where a shop's Admin API and OAuth endpoints are:
// https://{shop domain}, or override (SHOPIFY_API_BASE_URL: tests and
// proxies) when set.
func InstallBase(override, shopDomain string) string {
	if override != "" {
		return strings.TrimRight(override, "/")
	}
	return "https://" + shopDomain
}

// shopDomainPattern is the form of a shop's own domain that Shopify's
// libraries accept in an install's shop parameter.
var shopDomainPattern = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9-]*\.myshopify\.com$`)

// ValidShopDomain reports whether shop is a *.myshopify.com domain and
// nothing else: no scheme, path, port or user, so that no redirect or
// token request can be sent elsewhere.
func ValidShopDomain(shop string) bool { return shopDomainPattern.MatchString(shop) }

// AuthorizeURL is where to send the merchant to approve the install: the
// app's client id, the scopes it asks for, where Shopify returns, and the
// state that callback must bring back.
func AuthorizeURL(base, apiKey, scopes, redirectURI, state string) string {
	q := url.Values{"client_id": {apiKey}, "scope": {scopes}, "redirect_uri": {redirectURI}, "state": {state}}
	return strings.TrimRight(base, "/") + "/admin/oauth/authorize?" + q.Encode()
}

// ErrBadCallback is a callback query that Shopify did not sign with the
// app's secret.
var ErrBadCallback = errors.New("callback not signed by Shopify")

// VerifyCallback checks the hmac parameter of an OAuth callback (or of any
// query Shopify signs for the app): the hex HMAC-SHA256, with the app's
// secret, of every other parameter but signature, sorted and joined k=v&….
// A parameter given twice is refused: Shopify never sends one so.
func VerifyCallback(q url.Values, apiSecret string) error {
	got := q["hmac"]
	if len(got) != 1 || got[0] == "" {
		return fmt.Errorf("verify callback: no hmac: %w", ErrBadCallback)
	}
	sig, err := hex.DecodeString(got[0])
	if err != nil || len(sig) != sha256.Size {
		return fmt.Errorf("verify callback: hmac is not hex SHA-256: %w", ErrBadCallback)
	}
	keys := make([]string, 0, len(q))
	for k, vs := range q {
		if k == "hmac" || k == "signature" {
			continue
		}
		if len(vs) != 1 {
			return fmt.Errorf("verify callback: parameter %q given %d times: %w", k, len(vs), ErrBadCallback)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = escapeKey(k) + "=" + escapeValue(q.Get(k))
	}
	mac := hmac.New(sha256.New, []byte(apiSecret))
	mac.Write([]byte(strings.Join(pairs, "&")))
	if !hmac.Equal(mac.Sum(nil), sig) {
		return fmt.Errorf("verify callback: %w", ErrBadCallback)
	}
	return nil
}

// Shopify signs the query with & and % (and = in keys) escaped, so that
// the joined pairs cannot be read two ways.
var (
	keyEscaper   = strings.NewReplacer("%", "%25", "&", "%26", "=", "%3D")
	valueEscaper = strings.NewReplacer("%", "%25", "&", "%26")
)

func escapeKey(k string) string   { return keyEscaper.Replace(k) }
func escapeValue(v string) string { return valueEscaper.Replace(v) }

// tokenAnswerLimit bounds the token endpoint's answer.
const tokenAnswerLimit = 1 << 20

// ExchangeToken trades an install's code for the shop's offline access
// token and the scopes granted: POST {base}/admin/oauth/access_token. The
// error never holds the secret or a token.
func ExchangeToken(ctx context.Context, hc *http.Client, base, apiKey, apiSecret, code string) (token, scope string, err error) {
	body, err := json.Marshal(map[string]string{"client_id": apiKey, "client_secret": apiSecret, "code": code})
	if err != nil {
		return "", "", fmt.Errorf("exchange token: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+"/admin/oauth/access_token", bytes.NewReader(body))
	if err != nil {
		return "", "", fmt.Errorf("exchange token: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return "", "", fmt.Errorf("exchange token: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, tokenAnswerLimit))
	if err != nil {
		return "", "", fmt.Errorf("exchange token: read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", "", fmt.Errorf("exchange token: Shopify answered %s: %s", resp.Status, tokenError(raw))
	}
	var answer struct {
		AccessToken string `json:"access_token"`
		Scope       string `json:"scope"`
	}
	if err := json.Unmarshal(raw, &answer); err != nil || answer.AccessToken == "" {
		return "", "", errors.New("exchange token: the answer holds no access_token")
	}
	return answer.AccessToken, answer.Scope, nil
}

// tokenError is what a refused exchange says, for the operator: Shopify's
// error fields, never the raw body (which might echo what was sent).
func tokenError(raw []byte) string {
	var e struct {
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
		Errors           any    `json:"errors"`
	}
	if json.Unmarshal(raw, &e) != nil {
		return "(no JSON error)"
	}
	parts := []string{}
	for _, s := range []string{e.Error, e.ErrorDescription} {
		if s != "" {
			parts = append(parts, s)
		}
	}
	if s, ok := e.Errors.(string); ok && s != "" {
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "(no error given)"
	}
	return strings.Join(parts, ": ")
}

// MissingScopes lists the scopes of want (comma-separated) that granted
// lacks. A write scope implies its read scope, as Shopify grants it.
func MissingScopes(want, granted string) []string {
	have := map[string]bool{}
	for s := range strings.SplitSeq(granted, ",") {
		s = strings.TrimSpace(s)
		have[s] = true
		if r, ok := strings.CutPrefix(s, "write_"); ok {
			have["read_"+r] = true
		}
	}
	var missing []string
	for s := range strings.SplitSeq(want, ",") {
		if !have[s] {
			missing = append(missing, s)
		}
	}
	return missing
}
