package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/backorderd/backorderd/email"
	"github.com/backorderd/backorderd/store"
)

// EmailEvents records what SendGrid's Event Webhook says of the messages
// sent, and tells the merchant of a customer address that bounced.
type EmailEvents struct {
	dispatcher *Dispatcher
	store      TxStore
	log        *slog.Logger
}

// NewEmailEvents returns the recorder.
func NewEmailEvents(s TxStore, d *Dispatcher, log *slog.Logger) *EmailEvents {
	return &EmailEvents{dispatcher: d, store: s, log: log}
}

// RecordEmailEvents applies a batch of events in one transaction: each once,
// marking its email, suppressing an address that bounced, dropped or
// complained, and writing the merchant's notice of each address suppressed.
// Each suppression is logged once committed, by its event: SendGrid's
// reason names the address and is never logged.
func (e *EmailEvents) RecordEmailEvents(ctx context.Context, evs []store.EmailEvent) error {
	return e.dispatcher.InTx(ctx, e.store, func(tx *store.Tx, out *Outbox) error {
		fresh, err := tx.ApplyEmailEvents(ctx, evs)
		if err != nil {
			return err
		}
		for _, s := range fresh {
			out.AfterCommit(func() { e.log.Warn("customer address suppressed", "shop_id", s.ShopID, "event", s.Event) })
			shop, err := tx.Shop(ctx, s.ShopID)
			if err != nil {
				return err
			}
			data := email.Merchant{Shop: emailShop(shop), Address: s.Address, Reason: s.Reason}
			key := "bounce:" + s.Address + ":" + time.Now().UTC().Format(time.DateOnly)
			to := recipient{email: shop.MerchantEmail, name: shop.Name}
			if _, _, err := writeEmail(ctx, tx, out, shop, email.Bounced, key, to, data); err != nil {
				return err
			}
		}
		return nil
	})
}
