package webhooks

import (
	"errors"
	"net/http"

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
	body, ok := rc.readBody(c)
	if !ok {
		return
	}
	domain := c.GetHeader("X-Shopify-Shop-Domain")
	if domain == "" {
		rc.unauthorized(c, "no X-Shopify-Shop-Domain", "")
		return
	}
	shop, err := rc.shops.Lookup(c.Request.Context(), store.Shopify, domain)
	if errors.Is(err, errUnknownShop) {
		rc.unauthorized(c, "unknown shop", domain)
		return
	}
	if err != nil {
		_ = c.Error(err)
		c.AbortWithStatusJSON(http.StatusServiceUnavailable, gin.H{"error": "cannot verify the delivery now; retry later"})
		return
	}
	if !validSignature(body, c.GetHeader("X-Shopify-Hmac-Sha256"), shop.Secrets()) {
		rc.unauthorized(c, "bad signature", domain)
		return
	}
	topic := c.GetHeader("X-Shopify-Topic")
	headers := make(map[string]string, len(shopifyHeaders))
	for _, h := range shopifyHeaders {
		if v := c.GetHeader(h); v != "" {
			headers[h] = v
		}
	}
	rc.accept(c, store.Delivery{
		ShopID:     shop.ID,
		Topic:      topic,
		DedupeKey:  shopifyDedupeKey(topic, c.GetHeader("X-Shopify-Event-Id"), c.GetHeader("X-Shopify-Webhook-Id"), body),
		Headers:    headers,
		Body:       body,
		ReceivedAt: rc.now(),
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
