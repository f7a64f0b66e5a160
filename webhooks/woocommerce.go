package webhooks

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/store"
)

// wooHeaders are the headers of a WooCommerce delivery worth keeping.
var wooHeaders = []string{
	"X-WC-Webhook-Source", "X-WC-Webhook-Topic", "X-WC-Webhook-Resource", "X-WC-Webhook-Event",
	"X-WC-Webhook-ID", "X-WC-Webhook-Delivery-ID",
}

// wooPing is the body WooCommerce sends, unsigned and without its headers,
// when a webhook is created or activated.
var wooPing = regexp.MustCompile(`^webhook_id=[0-9]+$`)

// woocommerce receives POST /webhooks/woocommerce.
func (rc *Receiver) woocommerce(c *gin.Context) {
	body, ok := rc.readBody(c, store.WooCommerce)
	if !ok {
		return
	}
	signature := c.GetHeader("X-WC-Webhook-Signature")
	if signature == "" && wooPing.Match(body) {
		// Answered before any shop lookup: anything but 200 marks the
		// new webhook failed.
		c.Set("outcome", "ping")
		rc.metrics.deliveries.WithLabelValues(string(store.WooCommerce), "ping").Inc()
		c.Status(http.StatusOK)
		return
	}
	topic := c.GetHeader("X-WC-Webhook-Topic")
	rc.receive(c, body, incoming{
		platform:  store.WooCommerce,
		source:    c.GetHeader("X-WC-Webhook-Source"),
		signature: signature,
		topic:     topic,
		headers:   keep(c, wooHeaders),
		dedupeKey: func(body []byte) string { return wooDedupeKey(topic, body) },
		secrets:   wooSecrets,
	})
}

// wooDedupeKey is (topic, resource id, hash of the body): WooCommerce sends
// no event id, and identical bodies are the same state.
func wooDedupeKey(topic string, body []byte) string {
	var r struct {
		ID json.Number `json:"id"`
	}
	_ = json.Unmarshal(body, &r) // a body that is not JSON is rejected by its job; its hash still names it
	return topic + "|" + r.ID.String() + "|" + bodyHash(body)
}

// wooSecrets are the keys WooCommerce signs with: it decodes the HTML
// entities WordPress stored in the secret (wp_specialchars_decode with
// ENT_QUOTES) before use.
func wooSecrets(shop store.Shop) []string {
	secrets := shop.Secrets()
	keys := make([]string, len(secrets))
	for i, s := range secrets {
		keys[i] = wpEntities.Replace(s)
	}
	return keys
}

var wpEntities = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`,
	"&#039;", "'", "&#39;", "'", "&#x27;", "'", "&#X27;", "'")
