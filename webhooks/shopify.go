package webhooks

import (
	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/integrations/shopify"
	"github.com/backorderd/backorderd/store"
)

// shopify receives POST /webhooks/shopify.
func (rc *Receiver) shopify(c *gin.Context) {
	topic := c.GetHeader(shopify.HeaderTopic)
	eventID, webhookID := c.GetHeader(shopify.HeaderEventID), c.GetHeader(shopify.HeaderWebhookID)
	rc.receive(c, incoming{
		platform:  store.Shopify,
		source:    c.GetHeader(shopify.HeaderShopDomain),
		signature: c.GetHeader(shopify.HeaderSignature),
		topic:     topic,
		headers:   keep(c, shopify.KeptHeaders),
		dedupeKey: func(body []byte) string { return shopify.DedupeKey(topic, eventID, webhookID, body) },
		verify:    shopify.Verify,
		handled:   shopify.Handled,
	})
}
