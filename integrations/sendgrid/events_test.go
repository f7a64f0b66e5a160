package sendgrid

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
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

func TestAKeyThatIsNotECDSAIsRefused(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&rsaKey.PublicKey)
	if _, err := ParsePublicKey(base64.StdEncoding.EncodeToString(der)); err == nil {
		t.Fatal("an RSA key was taken for the Event Webhook's ECDSA key")
	}
}

func TestParseEventsKeepsWhatMattersAndSaysWhatSuppresses(t *testing.T) {
	body := []byte(`[
	{"event":"delivered","sg_message_id":"m1.filter0001","timestamp":10,"email_id":"7"},
	{"event":"bounce","type":"bounce","sg_message_id":"m1.filter0002","timestamp":11,"email_id":7,"reason":"550 no such user"},
	{"event":"bounce","type":"blocked","sg_message_id":"m2.filter0001","timestamp":12,"reason":"421 try again later"},
	{"event":"dropped","sg_message_id":"m3.x","timestamp":13,"reason":"Bounced Address"},
	{"event":"spamreport","sg_message_id":"m4.x","timestamp":14},
	{"event":"open","sg_message_id":"m5.x","timestamp":15},
	{"event":"delivered","timestamp":16}]`)
	evs, err := ParseEvents(body)
	if err != nil {
		t.Fatal(err)
	}
	want := []Event{
		{SGMessageID: "m1.filter0001", MessageID: "m1", EmailID: 7, Event: "delivered", Timestamp: 10},
		{SGMessageID: "m1.filter0002", MessageID: "m1", EmailID: 7, Event: "bounce", Timestamp: 11, Reason: "550 no such user", Suppress: true},
		{SGMessageID: "m2.filter0001", MessageID: "m2", Event: "blocked", Timestamp: 12, Reason: "421 try again later"},
		{SGMessageID: "m3.x", MessageID: "m3", Event: "dropped", Timestamp: 13, Reason: "Bounced Address", Suppress: true},
		{SGMessageID: "m4.x", MessageID: "m4", Event: "spamreport", Timestamp: 14, Suppress: true},
	}
	if len(evs) != len(want) {
		t.Fatalf("events = %+v, want %+v", evs, want)
	}
	for i := range want {
		if evs[i] != want[i] {
			t.Errorf("event %d = %+v, want %+v", i, evs[i], want[i])
		}
	}
	if _, err := ParseEvents([]byte(`{"not":"a list"}`)); err == nil {
		t.Error("a body that is not a list of events parsed")
	}
}
