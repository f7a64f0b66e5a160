package webhooks

import (
	"bytes"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/integrations/woocommerce"
	"github.com/backorderd/backorderd/store"
)

// woocommerce receives POST /webhooks/woocommerce.
func (rc *Receiver) woocommerce(c *gin.Context) {
	signature := c.GetHeader(woocommerce.HeaderSignature)
	if signature == "" && rc.ping(c) {
		return
	}
	topic := c.GetHeader(woocommerce.HeaderTopic)
	rc.receive(c, incoming{
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

// ping answers WooCommerce's ping, which comes unsigned and without the
// shop's headers, before any shop lookup: anything but 200 marks the new
// webhook failed. Only the first bytes of an unsigned body are read to
// tell; an unsigned body that is no ping is then refused as unsigned.
func (rc *Receiver) ping(c *gin.Context) bool {
	head, _ := io.ReadAll(io.LimitReader(c.Request.Body, woocommerce.MaxPingBytes+1))
	if !woocommerce.IsPing(head) {
		c.Request.Body = io.NopCloser(io.MultiReader(bytes.NewReader(head), c.Request.Body))
		return false
	}
	c.Set("outcome", "ping")
	rc.metrics.delivered(c, string(store.WooCommerce), "ping")
	c.Status(http.StatusOK)
	return true
}
