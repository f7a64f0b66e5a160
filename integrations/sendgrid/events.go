package sendgrid

import (
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/sendgrid/sendgrid-go/helpers/eventwebhook"
)

// ParsePublicKey reads the Event Webhook's verification key as SendGrid
// shows it: base64 of a DER (PKIX) ECDSA public key.
func ParsePublicKey(b64 string) (key *ecdsa.PublicKey, err error) {
	// sendgrid-go asserts the key's type unchecked: a DER key of another
	// kind (RSA) panics there.
	defer func() {
		if recover() != nil {
			key, err = nil, errors.New("not an ECDSA public key")
		}
	}()
	key, err = eventwebhook.ConvertPublicKeyBase64ToECDSA(strings.TrimSpace(b64))
	if err != nil {
		return nil, fmt.Errorf("parse the event webhook key: %w", err)
	}
	return key, nil
}

// VerifyEvents reports whether signature (the base64 of
// X-Twilio-Email-Event-Webhook-Signature) signs timestamp (its -Timestamp
// header) followed by the raw body, with key. sendgrid-go checks it.
func VerifyEvents(key *ecdsa.PublicKey, signature, timestamp string, body []byte) bool {
	if signature == "" || timestamp == "" {
		return false
	}
	ok, err := eventwebhook.VerifySignature(key, body, signature, timestamp)
	return err == nil && ok
}

// Event is one event of the Event Webhook that backorderd records.
type Event struct {
	SGMessageID string
	// MessageID is the X-Message-Id the event belongs to; EmailID, when
	// the message carried it back as a custom arg, names the email row
	// (both must agree: another install may use the same account).
	MessageID string
	EmailID   int64
	// Event is delivered, bounce, blocked (a bounce SendGrid calls
	// temporary), dropped or spamreport.
	Event     string
	Timestamp int64
	// Reason is SendGrid's text; it often holds the recipient's address:
	// never log it.
	Reason string
	// Suppress says the address is not to be mailed again: a hard
	// bounce, a drop or a complaint.
	Suppress bool
}

// rawEvent is one event as SendGrid posts it; custom args come back as
// top-level fields.
type rawEvent struct {
	Event       string          `json:"event"`
	Type        string          `json:"type"`
	Timestamp   int64           `json:"timestamp"`
	SGMessageID string          `json:"sg_message_id"`
	Reason      string          `json:"reason"`
	EmailID     json.RawMessage `json:"email_id"`
}

// suppresses lists the events recorded and whether each suppresses the
// address.
var suppresses = map[string]bool{"delivered": false, "bounce": true, "blocked": false, "dropped": true, "spamreport": true}

// ParseEvents reads a batch of the Event Webhook, keeping the events
// backorderd records (others, and events without a message id, are left
// out).
func ParseEvents(body []byte) ([]Event, error) {
	var raw []rawEvent
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("decode events: %w", err)
	}
	var evs []Event
	for _, r := range raw {
		name := r.Event
		if name == "bounce" && r.Type == "blocked" {
			name = "blocked" // temporary: the receiving server refused it for now
		}
		suppress, recorded := suppresses[name]
		if !recorded || r.SGMessageID == "" {
			continue
		}
		evs = append(evs, Event{SGMessageID: r.SGMessageID, MessageID: MessageID(r.SGMessageID),
			EmailID: customID(r.EmailID), Event: name, Timestamp: r.Timestamp, Reason: r.Reason, Suppress: suppress})
	}
	return evs, nil
}

// MessageID is the X-Message-Id an event's sg_message_id starts with
// (SendGrid adds a suffix per recipient and filter).
func MessageID(sgMessageID string) string {
	id, _, _ := strings.Cut(sgMessageID, ".")
	return id
}

// customID reads the email_id custom arg, a string or a number; 0 when
// absent.
func customID(raw json.RawMessage) int64 {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		s = string(raw)
	}
	id, _ := strconv.ParseInt(s, 10, 64)
	return id
}
