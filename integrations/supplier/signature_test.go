package supplier

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

func TestSignIsTheHexHMACOfTheBody(t *testing.T) {
	body := []byte(`{"purchase_order_id":42}`)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	if got, want := Sign(secret, body), "sha256="+hex.EncodeToString(m.Sum(nil)); got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

func TestVerifyAcceptsOnlyTheBodySignedWithTheSecret(t *testing.T) {
	body := []byte(`{"purchase_order_id":42,"status":"confirmed"}`)
	good := Sign(secret, body)
	hexPart := strings.TrimPrefix(good, "sha256=")
	tests := []struct {
		name   string
		secret string
		header string
		body   []byte
		want   bool
	}{
		{"signed", secret, good, body, true},
		{"signed, hex in capitals", secret, "sha256=" + strings.ToUpper(hexPart), body, true},
		{"another secret", "other", good, body, false},
		{"body changed", secret, good, []byte(`{"purchase_order_id":43,"status":"confirmed"}`), false},
		{"body re-encoded", secret, good, []byte(`{"purchase_order_id": 42, "status": "confirmed"}`), false},
		{"no header", secret, "", body, false},
		{"no prefix", secret, hexPart, body, false},
		{"another algorithm", secret, "sha1=" + hexPart, body, false},
		{"prefix in capitals", secret, "SHA256=" + hexPart, body, false},
		{"short", secret, good[:len(good)-2], body, false},
		{"long", secret, good + "00", body, false},
		{"not hex", secret, "sha256=" + strings.Repeat("zz", 32), body, false},
		{"space around", secret, " " + good, body, false},
		{"empty secret, signed with it", "", Sign("", body), body, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Verify(tt.secret, tt.header, tt.body); got != tt.want {
				t.Errorf("Verify(%q) = %v, want %v", tt.header, got, tt.want)
			}
		})
	}
}
