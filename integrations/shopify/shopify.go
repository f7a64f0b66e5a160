// Package shopify holds what backorderd knows of Shopify: the headers of
// its webhook deliveries, the topics it acts on and what each becomes in
// the domain's facts, how a delivery is named for deduplication and how
// its signature is checked — and its Admin GraphQL API client (client.go),
// which connects the shop's webhooks, writes backorderd's state back to the
// store and polls for the changes a webhook may have missed.
package shopify

import (
	"github.com/backorderd/backorderd/integrations/payload"
)

// The headers of a Shopify delivery that backorderd reads.
const (
	HeaderTopic       = "X-Shopify-Topic"
	HeaderShopDomain  = "X-Shopify-Shop-Domain"
	HeaderSignature   = "X-Shopify-Hmac-Sha256"
	HeaderEventID     = "X-Shopify-Event-Id"
	HeaderWebhookID   = "X-Shopify-Webhook-Id"
	HeaderTriggeredAt = "X-Shopify-Triggered-At"
)

// KeptHeaders are the headers of a delivery worth keeping with it (the
// signature is not: it has done its work).
var KeptHeaders = []string{
	HeaderTopic, HeaderShopDomain, "X-Shopify-API-Version", HeaderWebhookID,
	HeaderEventID, HeaderTriggeredAt, "X-Shopify-Name", "X-Shopify-Sub-Topic",
}

// Verify reports whether signature (X-Shopify-Hmac-Sha256) is body signed
// with one of the shop's secrets.
func Verify(body []byte, signature string, secrets []string) bool {
	return payload.SignedWith(body, signature, secrets)
}

// DedupeKey is (topic, event id): one merchant action fans out to
// several topics with one event id. Without an event id (privacy topics)
// the webhook id, which a retry repeats, serves; without either, the body.
func DedupeKey(topic, eventID, webhookID string, body []byte) string {
	switch {
	case eventID != "":
		return topic + "|event:" + eventID
	case webhookID != "":
		return topic + "|webhook:" + webhookID
	default:
		return topic + "|body:" + payload.Hash(body)
	}
}
