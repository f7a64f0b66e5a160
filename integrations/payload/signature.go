package payload

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// SignedWith reports whether signature, a base64 HMAC-SHA256 as Shopify
// and WooCommerce send it, is body signed with one of secrets. The body is
// checked as received: re-serialised JSON would not match.
func SignedWith(body []byte, signature string, secrets []string) bool {
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

// Hash names a body by its SHA-256, in hex: for dedupe keys of deliveries
// that carry no id of their own.
func Hash(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}
