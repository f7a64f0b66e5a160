// Package woocommerce holds what backorderd knows of WooCommerce: the
// headers of its webhook deliveries and its ping, the topics it acts on
// and what each becomes in the domain's facts, how a delivery is named
// for deduplication and how its signature is checked — and its REST API
// client (client.go), which connects the store's webhooks, writes
// backorderd's state back and polls for the changes a webhook may have
// missed.
package woocommerce

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/backorderd/backorderd/integrations/payload"
)

// The headers of a WooCommerce delivery that backorderd reads.
const (
	HeaderSource    = "X-WC-Webhook-Source"
	HeaderTopic     = "X-WC-Webhook-Topic"
	HeaderSignature = "X-WC-Webhook-Signature"
)

// KeptHeaders are the headers of a delivery worth keeping with it.
var KeptHeaders = []string{
	HeaderSource, HeaderTopic, "X-WC-Webhook-Resource", "X-WC-Webhook-Event",
	"X-WC-Webhook-ID", "X-WC-Webhook-Delivery-ID",
}

// MaxPingBytes bounds what is read of an unsigned body to tell a ping.
const MaxPingBytes = 64

// ping is the body WooCommerce sends, unsigned and without its headers,
// when a webhook is created or activated.
var ping = regexp.MustCompile(`^webhook_id=[0-9]+$`)

// IsPing reports whether an unsigned body is WooCommerce's ping, which
// must be answered 200 or the new webhook is marked failed.
func IsPing(body []byte) bool {
	return ping.Match(body)
}

// DedupeKey is (topic, resource id, hash of the body): WooCommerce sends
// no event id, and identical bodies are the same state.
func DedupeKey(topic string, body []byte) string {
	var r struct {
		ID json.Number `json:"id"`
	}
	_ = json.Unmarshal(body, &r) // a body that is not JSON is rejected by its job; its hash still names it
	return topic + "|" + r.ID.String() + "|" + payload.Hash(body)
}

// Verify reports whether signature (X-WC-Webhook-Signature) is body signed
// with one of the store's secrets. WooCommerce decodes the HTML entities
// WordPress stored in the secret (wp_specialchars_decode with ENT_QUOTES)
// before use, so the keys are the decoded secrets.
func Verify(body []byte, signature string, secrets []string) bool {
	keys := make([]string, len(secrets))
	for i, s := range secrets {
		keys[i] = wpEntities.Replace(s)
	}
	return payload.SignedWith(body, signature, keys)
}

var wpEntities = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`,
	"&#039;", "'", "&#39;", "'", "&#x27;", "'", "&#X27;", "'")
