package webhooks

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/integrations/woocommerce"
	"github.com/backorderd/backorderd/store"
)

// woocommerce receives POST /webhooks/woocommerce.
func (rc *Receiver) woocommerce(c *gin.Context) {
	body, ok := rc.readBody(c, store.WooCommerce)
	if !ok {
		return
	}
	signature := c.GetHeader(woocommerce.HeaderSignature)
	if signature == "" && woocommerce.IsPing(body) {
		// Answered before any shop lookup: anything but 200 marks the
		// new webhook failed.
		c.Set("outcome", "ping")
		rc.metrics.deliveries.WithLabelValues(string(store.WooCommerce), "ping").Inc()
		c.Status(http.StatusOK)
		return
	}
	topic := c.GetHeader(woocommerce.HeaderTopic)
	rc.receive(c, body, incoming{
		platform:  store.WooCommerce,
		source:    c.GetHeader(woocommerce.HeaderSource),
		signature: signature,
		topic:     topic,
		headers:   keep(c, woocommerce.KeptHeaders),
		dedupeKey: func(body []byte) string { return woocommerce.DedupeKey(topic, body) },
		verify:    woocommerce.Verify,
		handled:   woocommerce.Handled,
	})
}
