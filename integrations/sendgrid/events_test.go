package sendgrid

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"testing"
)

// SignEvents signs a body as SendGrid's Event Webhook does; tests of other
// packages have their own copy.
func signEvents(t *testing.T, key *ecdsa.PrivateKey, timestamp string, body []byte) string {
	t.Helper()
	h := sha256.Sum256(append([]byte(timestamp), body...))
	sig, err := ecdsa.SignASN1(rand.Reader, key, h[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

func TestVerifyEvents(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pub, err := ParsePublicKey(base64.StdEncoding.EncodeToString(der))
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`[{"event":"delivered","sg_message_id":"abc.filter1"}]`)
	sig := signEvents(t, key, "1700000000", body)
	if !VerifyEvents(pub, sig, "1700000000", body) {
		t.Fatal("a valid signature did not verify")
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for name, ok := range map[string]bool{
		"forged":       VerifyEvents(pub, signEvents(t, other, "1700000000", body), "1700000000", body),
		"tampered":     VerifyEvents(pub, sig, "1700000000", append(body, ' ')),
		"other time":   VerifyEvents(pub, sig, "1700000001", body),
		"not base64":   VerifyEvents(pub, "%%%", "1700000000", body),
		"no signature": VerifyEvents(pub, "", "1700000000", body),
		"no timestamp": VerifyEvents(pub, sig, "", body),
	} {
		if ok {
			t.Errorf("%s signature verified", name)
		}
	}
	if _, err := ParsePublicKey("bm90IGEga2V5"); err == nil {
		t.Error("a key that is not DER parsed")
	}
	if MessageID("14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0") != "14c5d75ce93" {
		t.Error("MessageID does not strip SendGrid's suffix")
	}
}
