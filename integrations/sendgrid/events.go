package sendgrid

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// ParsePublicKey reads the Event Webhook's verification key as SendGrid
// shows it: base64 of a DER (PKIX) ECDSA public key.
func ParsePublicKey(b64 string) (*ecdsa.PublicKey, error) {
	der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil {
		return nil, fmt.Errorf("not base64: %w", err)
	}
	key, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, fmt.Errorf("not a DER public key: %w", err)
	}
	ec, ok := key.(*ecdsa.PublicKey)
	if !ok {
		return nil, errors.New("not an ECDSA public key")
	}
	return ec, nil
}

// VerifyEvents reports whether signature (the base64 of
// X-Twilio-Email-Event-Webhook-Signature) signs timestamp (its -Timestamp
// header) followed by the raw body, with key.
func VerifyEvents(key *ecdsa.PublicKey, signature, timestamp string, body []byte) bool {
	sig, err := base64.StdEncoding.DecodeString(signature)
	if err != nil || len(sig) == 0 || timestamp == "" {
		return false
	}
	h := sha256.New()
	h.Write([]byte(timestamp))
	h.Write(body)
	return ecdsa.VerifyASN1(key, h.Sum(nil), sig)
}

// MessageID is the X-Message-Id an event's sg_message_id starts with
// (SendGrid adds a suffix per recipient and filter).
func MessageID(sgMessageID string) string {
	id, _, _ := strings.Cut(sgMessageID, ".")
	return id
}
