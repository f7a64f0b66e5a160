package jobs

import (
	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/integrations/payload"
	"github.com/backorderd/backorderd/integrations/shopify"
	"github.com/backorderd/backorderd/integrations/woocommerce"
	"github.com/backorderd/backorderd/store"
)

// normalize turns a recorded delivery into the domain's facts with its
// shop's platform's decoders. Bad input is a *payload.RejectError.
func normalize(shop store.Shop, row store.InboxRow, headers map[string]string) (backorder.Facts, error) {
	d := payload.Delivery{Shop: shop.Domain, Topic: row.Topic, Headers: headers, Body: row.Body, ReceivedAt: row.ReceivedAt, InboxID: row.ID}
	switch shop.Platform {
	case store.Shopify:
		return shopify.Normalize(d)
	case store.WooCommerce:
		return woocommerce.Normalize(d)
	}
	return backorder.Facts{}, payload.Rejectf(row.Topic, "platform %q is not handled", shop.Platform)
}
