package webhooks

import (
	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/store"
)

// shopifyHeaders are the headers of a Shopify delivery worth keeping with it
// (the signature is not: it has done its work).
var shopifyHeaders = []string{
	"X-Shopify-Topic", "X-Shopify-Shop-Domain", "X-Shopify-API-Version", "X-Shopify-Webhook-Id",
	"X-Shopify-Event-Id", "X-Shopify-Triggered-At", "X-Shopify-Name", "X-Shopify-Sub-Topic",
}

// shopify receives POST /webhooks/shopify.
func (rc *Receiver) shopify(c *gin.Context) {
	body, ok := rc.readBody(c, store.Shopify)
	if !ok {
		return
	}
	topic := c.GetHeader("X-Shopify-Topic")
	eventID, webhookID := c.GetHeader("X-Shopify-Event-Id"), c.GetHeader("X-Shopify-Webhook-Id")
	rc.receive(c, body, incoming{
		platform:  store.Shopify,
		source:    c.GetHeader("X-Shopify-Shop-Domain"),
		signature: c.GetHeader("X-Shopify-Hmac-Sha256"),
		topic:     topic,
		headers:   keep(c, shopifyHeaders),
		dedupeKey: func(body []byte) string { return shopifyDedupeKey(topic, eventID, webhookID, body) },
		secrets:   store.Shop.Secrets,
	})
}

// shopifyDedupeKey is (topic, event id): one merchant action fans out to
// several topics with one event id. Without an event id (privacy topics)
// the webhook id, which a retry repeats, serves; without either, the body.
func shopifyDedupeKey(topic, eventID, webhookID string, body []byte) string {
	switch {
	case eventID != "":
		return topic + "|event:" + eventID
	case webhookID != "":
		return topic + "|webhook:" + webhookID
	default:
		return topic + "|body:" + bodyHash(body)
	}
}
