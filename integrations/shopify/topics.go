package shopify

import (
	"strings"
	"time"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/integrations/payload"
)

// delivery is what a topic's decoder reads.
type delivery struct {
	shop  string // this shop's domain
	topic string
	body  []byte
	// seq is X-Shopify-Triggered-At in nanoseconds: it orders states that
	// share updated_at's whole second. 0 when absent.
	seq int64
}

// decoders are the topics backorderd acts on: the one list, so that what
// is subscribed and what is decoded cannot drift apart.
var decoders = map[string]func(delivery) (backorder.Facts, error){
	"orders/create":              decodeOrder,
	"orders/updated":             decodeOrder,
	"orders/cancelled":           decodeOrder,
	"orders/fulfilled":           decodeOrder,
	"orders/partially_fulfilled": decodeOrder,
	"orders/paid":                decodeOrder,
	"orders/edited":              decodeOrderEdit,
	"refunds/create":             decodeRefund,
	"inventory_levels/update":    decodeLevel,
	"products/create":            decodeProduct,
	"products/update":            decodeProduct,
	"customers/data_request":     decodeCustomerPrivacy,
	"customers/redact":           decodeCustomerPrivacy,
	"shop/redact":                decodeShopRedact,
	"app/uninstalled":            decodeUninstalled,
}

// Handled reports whether backorderd acts on this topic.
func Handled(topic string) bool {
	return decoders[topic] != nil
}

// Normalize turns a verified delivery into the domain's facts. Bad input
// is a *payload.RejectError.
func Normalize(in payload.Delivery) (backorder.Facts, error) {
	decoder := decoders[in.Topic]
	if decoder == nil {
		return backorder.Facts{}, payload.Rejectf(in.Topic, "topic is not handled for platform %q", "shopify")
	}
	d := delivery{shop: in.Shop, topic: in.Topic, body: in.Body}
	// Unparsable is as good as absent.
	if t, err := time.Parse(time.RFC3339Nano, in.Headers[HeaderTriggeredAt]); err == nil {
		d.seq = t.UnixNano()
	}
	return decoder(d)
}

// checkShop rejects a body that names another shop than the one it was
// delivered for: the signature covers the body, not the shop header, and
// a privacy request or an uninstall is only this shop's to carry out.
func checkShop(d delivery, field, named string) error {
	if named == "" {
		return payload.Rejectf(d.topic, "body lacks %s", field)
	}
	if !strings.EqualFold(strings.TrimSpace(named), d.shop) {
		return payload.Rejectf(d.topic, "%s %q is not this shop (%s)", field, named, d.shop)
	}
	return nil
}
