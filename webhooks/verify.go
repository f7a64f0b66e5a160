package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
)

// validSignature reports whether signature, a base64 HMAC-SHA256 as Shopify
// and WooCommerce send it, is body signed with one of secrets. The body is
// checked as received: re-serialised JSON would not match.
func validSignature(body []byte, signature string, secrets []string) bool {
	want, err := base64.StdEncoding.DecodeString(signature)
	if err != nil || len(want) != sha256.Size {
		return false
	}
	ok := false
	for _, s := range secrets {
		if s == "" {
			continue
		}
		mac := hmac.New(sha256.New, []byte(s))
		mac.Write(body)
		// Check every secret so the time taken does not say which matched.
		if hmac.Equal(mac.Sum(nil), want) {
			ok = true
		}
	}
	return ok
}
