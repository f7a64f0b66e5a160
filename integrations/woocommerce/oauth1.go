package woocommerce

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// WooCommerce authenticates a REST request over plain HTTP with OAuth 1.0a
// "one-legged": no token, the consumer secret alone signs, and the oauth_*
// parameters travel in the query string. Its check
// (WC_REST_Authentication::check_oauth_signature) rebuilds the base string
// from the request's method, the home URL plus the path, and every query
// parameter but oauth_signature, sorted by key, each key and value
// percent-encoded as RFC 3986 says (PHP's rawurlencode) — so the signer
// below must sign exactly the query it sends, every key once.

// signatureMethod is the stronger of the two methods WooCommerce accepts
// (HMAC-SHA1, HMAC-SHA256).
const signatureMethod = "HMAC-SHA256"

// oauthSign adds the oauth_* parameters and their signature to query,
// which then holds the whole query string of a request to endpoint (the
// URL without its query) with method.
func oauthSign(method, endpoint string, query url.Values, key, secret, nonce string, timestamp int64) {
	query.Set("oauth_consumer_key", key)
	query.Set("oauth_nonce", nonce)
	query.Set("oauth_signature_method", signatureMethod)
	query.Set("oauth_timestamp", strconv.FormatInt(timestamp, 10))
	query.Del("oauth_signature")
	query.Set("oauth_signature", oauthSignature(method, endpoint, query, secret))
}

// oauthSignature is base64(HMAC-SHA256(secret+"&", base string)).
func oauthSignature(method, endpoint string, query url.Values, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret+"&"))
	mac.Write([]byte(oauthBaseString(method, endpoint, query)))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// oauthBaseString is METHOD&enc(endpoint)&enc(k1=v1&k2=v2…), the pairs
// sorted by key. A key sent twice would reach PHP's $_GET once (the last
// wins), so query must hold one value per key.
func oauthBaseString(method, endpoint string, query url.Values) string {
	keys := make([]string, 0, len(query))
	for k := range query {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	pairs := make([]string, 0, len(keys))
	for _, k := range keys {
		pairs = append(pairs, rfc3986(k)+"="+rfc3986(query.Get(k)))
	}
	return strings.ToUpper(method) + "&" + rfc3986(endpoint) + "&" + rfc3986(strings.Join(pairs, "&"))
}

// rfc3986 percent-encodes every byte but the unreserved ones (A-Z a-z 0-9
// - . _ ~), with upper-case hex, as PHP's rawurlencode does.
func rfc3986(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
