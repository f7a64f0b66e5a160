package jobs

import (
	"context"
	"time"

	"github.com/backorderd/backorderd/email"
	"github.com/backorderd/backorderd/store"
)

// A store may stop sending webhooks without a word: Shopify deletes a
// subscription after failures in a row, WooCommerce disables one. Polling
// still finds the orders; the merchant is told the webhooks fell silent,
// once per silence, so that `shop connect` is run again.

// silenceFloor is the shortest silence told of, and silenceGaps how many of
// the shop's mean gaps between orders a silence must last: a shop of a few
// orders a week is not silent after a quiet day.
const (
	silenceFloor     = 6 * time.Hour
	silenceGaps      = 10
	silenceOrderRate = 50 // the last orders the mean gap is measured over
)

// OrderCreateTopic is the webhook topic of a new order on the platform.
func OrderCreateTopic(p store.Platform) string {
	if p == store.WooCommerce {
		return "order.created"
	}
	return "orders/create"
}

// checkSilence tells the merchant that the shop's order webhooks fell
// silent: no order-create webhook (polled deliveries aside) for
// max(silenceFloor, silenceGaps × the mean gap between its last orders),
// while orders placed since then were found. Once per silence: the message
// is keyed by the last webhook before it. A shop that never had one counts
// from when it was added. The silence is noted in the shop's poll state
// (SilenceNoticed) whether or not the shop has an address to tell: the
// merchant's dashboard shows it from there until a webhook comes again.
func (p *Poller) checkSilence(ctx context.Context, shop store.Shop, now time.Time) (bool, error) {
	last, err := p.store.LastWebhook(ctx, shop.ID, OrderCreateTopic(shop.Platform), HeaderSource)
	if err != nil {
		return false, err
	}
	since := shop.CreatedAt
	if last != nil {
		since = *last
	}
	times, err := p.store.RecentOrderTimes(ctx, shop.ID, silenceOrderRate)
	if err != nil {
		return false, err
	}
	limit := silenceFloor
	if n := len(times); n >= 2 {
		gap := times[0].Sub(times[n-1]) / time.Duration(n-1)
		limit = max(limit, silenceGaps*gap)
	}
	silent := now.Sub(since)
	if silent < limit {
		return false, nil
	}
	missed, err := p.store.OrdersPlacedAfter(ctx, shop.ID, since)
	if err != nil || missed == 0 {
		return false, err
	}
	if shop.MerchantEmail == "" {
		return p.store.NoteSilence(ctx, shop.ID, since)
	}
	created := false
	err = p.dispatcher.InTx(ctx, p.store, func(tx *store.Tx, out *Outbox) error {
		data := email.Merchant{Shop: emailShop(shop), Topics: []string{OrderCreateTopic(shop.Platform)},
			Since: since.UTC().Format(time.RFC3339), Hours: int(silent.Hours()), Missed: missed}
		key := "webhooks-silent:" + since.UTC().Format(time.RFC3339Nano)
		_, c, err := writeEmail(ctx, tx, out, shop, email.MerchantWebhooksSilent, key,
			recipient{email: shop.MerchantEmail, name: shop.Name}, data)
		created = c
		return err
	})
	if err != nil || !created {
		return false, err
	}
	_, err = p.store.NoteSilence(ctx, shop.ID, since)
	return true, err
}
