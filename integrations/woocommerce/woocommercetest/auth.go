package woocommercetest

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // WooCommerce accepts HMAC-SHA1 signatures; the fake must too
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"hash"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// authenticate follows WC_REST_Authentication: over HTTPS the consumer key
// and secret in HTTP Basic (or the consumer_key and consumer_secret query
// parameters); otherwise, and when those are absent, the OAuth 1.0a
// parameters in the query. It returns 0 when the request is
// authenticated, or the status and WP_Error that refuse it.
func (s *Server) authenticate(r *http.Request) (int, string, string) {
	q := r.URL.Query()
	if r.TLS != nil {
		key, secret := q.Get("consumer_key"), q.Get("consumer_secret")
		if key == "" || secret == "" {
			key, secret, _ = r.BasicAuth()
		}
		if key != "" && secret != "" {
			if key != s.key {
				return unauthenticated()
			}
			if subtle.ConstantTimeCompare([]byte(secret), []byte(s.secret)) != 1 {
				return http.StatusUnauthorized, "woocommerce_rest_authentication_error", "Consumer secret is invalid."
			}
			return 0, "", ""
		}
	}
	params := map[string]string{}
	for k, v := range q {
		params[k] = v[len(v)-1] // PHP's $_GET keeps the last
	}
	required := []string{"oauth_consumer_key", "oauth_timestamp", "oauth_nonce", "oauth_signature", "oauth_signature_method"}
	var missing []string
	for _, k := range required {
		if params[k] == "" {
			missing = append(missing, k)
		}
	}
	if len(missing) == len(required) {
		return unauthenticated()
	}
	if len(missing) > 0 {
		return http.StatusUnauthorized, "woocommerce_rest_authentication_missing_parameter", "Missing OAuth parameters " + strings.Join(missing, ", ")
	}
	if params["oauth_consumer_key"] != s.key {
		return http.StatusUnauthorized, "woocommerce_rest_authentication_error", "Consumer key is invalid."
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if msg := checkSignature(r.Method, scheme+"://"+r.Host+r.URL.EscapedPath(), params, s.secret); msg != "" {
		return http.StatusUnauthorized, "woocommerce_rest_authentication_error", msg
	}
	ts, _ := strconv.ParseInt(params["oauth_timestamp"], 10, 64)
	if d := time.Since(time.Unix(ts, 0)); d > 15*time.Minute || d < -15*time.Minute {
		return http.StatusUnauthorized, "woocommerce_rest_authentication_error", "Invalid timestamp."
	}
	if s.nonces[params["oauth_nonce"]] {
		return http.StatusUnauthorized, "woocommerce_rest_authentication_error", "Invalid nonce - nonce has already been used."
	}
	s.nonces[params["oauth_nonce"]] = true
	return 0, "", ""
}

// unauthenticated is a request with no credentials: the endpoint's
// permission check refuses it.
func unauthenticated() (int, string, string) {
	return http.StatusUnauthorized, "woocommerce_rest_cannot_view", "Sorry, you cannot list resources."
}

// checkSignature is check_oauth_signature: the parameters but
// oauth_signature sorted by key (strcmp), each key and value encoded
// (wc_rest_urlencode_rfc3986), joined "k=v", each pair encoded again and
// the pairs joined with %26; METHOD&rawurlencode(url)&pairs, signed with
// HMAC of secret+"&". It returns why the signature is refused, or "".
func checkSignature(method, endpoint string, params map[string]string, secret string) string {
	given := strings.ReplaceAll(params["oauth_signature"], " ", "+")
	keys := make([]string, 0, len(params))
	for k := range params {
		if k != "oauth_signature" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	pairs := make([]string, 0, len(keys))
	for _, k := range keys {
		pairs = append(pairs, rawurlencode(rawurlencode(k)+"="+rawurlencode(params[k])))
	}
	base := strings.ToUpper(method) + "&" + rawurlencode(endpoint) + "&" + strings.Join(pairs, "%26")
	var h func() hash.Hash
	switch params["oauth_signature_method"] {
	case "HMAC-SHA1":
		h = sha1.New
	case "HMAC-SHA256":
		h = sha256.New
	default:
		return "Invalid signature - signature method is invalid."
	}
	mac := hmac.New(h, []byte(secret+"&"))
	mac.Write([]byte(base))
	if !hmac.Equal([]byte(base64.StdEncoding.EncodeToString(mac.Sum(nil))), []byte(given)) {
		return "Invalid signature - provided signature does not match."
	}
	return ""
}

// rawurlencode is PHP's: every byte but A-Z a-z 0-9 - _ . ~ as %XX.
func rawurlencode(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', strings.IndexByte("-_.~", c) >= 0:
			b.WriteByte(c)
		default:
			b.WriteString("%" + strings.ToUpper(strconv.FormatInt(int64(c)+0x100, 16)[1:]))
		}
	}
	return b.String()
}
