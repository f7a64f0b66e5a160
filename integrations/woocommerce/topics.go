package woocommerce

import (
	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/integrations/payload"
)

// delivery is what a topic's decoder reads.
type delivery struct {
	topic string
	body  []byte
	// arrival versions states: WooCommerce builds them at sending, so
	// arrival order (the inbox id) is their order.
	arrival backorder.Version
}

// decoders are the topics backorderd acts on: the one list, so that what
// is subscribed and what is decoded cannot drift apart.
var decoders = map[string]func(delivery) (backorder.Facts, error){
	"order.created":    decodeOrder,
	"order.updated":    decodeOrder,
	"order.restored":   decodeOrder,
	"order.deleted":    decodeOrderDeleted,
	"product.created":  decodeProduct,
	"product.updated":  decodeProduct,
	"product.restored": decodeProduct,
	"product.deleted":  decodeProductDeleted,
}

// Handled reports whether backorderd acts on this topic.
func Handled(topic string) bool {
	return decoders[topic] != nil
}

// Normalize turns a verified delivery into the domain's facts; its arrival
// (ReceivedAt, InboxID) versions them. Bad input is a
// *payload.RejectError.
func Normalize(in payload.Delivery) (backorder.Facts, error) {
	decoder := decoders[in.Topic]
	if decoder == nil {
		return backorder.Facts{}, payload.Rejectf(in.Topic, "topic is not handled for platform %q", "woocommerce")
	}
	return decoder(delivery{topic: in.Topic, body: in.Body,
		arrival: backorder.Version{At: in.ReceivedAt.UTC(), Seq: in.InboxID}})
}
