// Package supplier holds what backorderd knows of its suppliers' HTTP
// channel: the purchase order document it POSTs, the headers and signature
// that go with it, how a supplier's answer is classified (retry or give
// up), and the callback a supplier sends back. What to order, and when, is
// decided elsewhere.
package supplier

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// The headers of a purchase order POST, and of a supplier's callback.
const (
	// HeaderSignature carries "sha256=" and the hex HMAC-SHA256 of the body
	// with the supplier's secret.
	HeaderSignature = "X-Backorderd-Signature"
	// HeaderDelivery names the delivery, so a supplier can drop a retry of
	// one it already has.
	HeaderDelivery = "X-Backorderd-Delivery"
)

const signaturePrefix = "sha256="

// Sign returns the HeaderSignature value of body signed with secret.
func Sign(secret string, body []byte) string {
	return signaturePrefix + hex.EncodeToString(mac(secret, body))
}

// Verify reports whether header, a HeaderSignature value, is body signed
// with secret. It accepts exactly "sha256=" and 64 hex digits (either
// case), compares in constant time, and never accepts an empty secret:
// anyone can sign with that. The body is checked as received: re-encoded
// JSON would not match.
func Verify(secret, header string, body []byte) bool {
	if secret == "" || !strings.HasPrefix(header, signaturePrefix) || len(header) != len(signaturePrefix)+2*sha256.Size {
		return false
	}
	want, err := hex.DecodeString(header[len(signaturePrefix):])
	if err != nil {
		return false
	}
	return hmac.Equal(mac(secret, body), want)
}

func mac(secret string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return m.Sum(nil)
}
