package jobs

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/backorderd/backorderd/email"
	"github.com/backorderd/backorderd/store"
)

// pastMaxWait tells of the lines waiting past their shop's maximum wait
// at now, each shop as of its calendar day, a transaction per shop: see
// shopPastMaxWait.
func (p *Purchasing) pastMaxWait(ctx context.Context, now time.Time) error {
	shops, err := p.activeShops(ctx)
	if err != nil {
		return err
	}
	for _, shop := range shops {
		if shop.MaxWaitDays == nil {
			continue
		}
		err := p.dispatcher.InTx(ctx, p.store, func(tx *store.Tx, out *Outbox) error { return shopPastMaxWait(ctx, tx, out, shop, shopDay(shop, now)) })
		if err != nil {
			return fmt.Errorf("tell of shop %d's orders past the maximum wait: %w", shop.ID, err)
		}
	}
	return nil
}

// shopPastMaxWait tells of a shop's lines still waiting past its maximum
// wait (none without one) on today, the calendar day: each order's
// customer a wait_exceeded message (order:{id}:wait-exceeded, once per
// order), the merchant one merchant_wait_exceeded message a day listing
// the orders (wait-exceeded:{date}). A line is told once: it is marked
// when its merchant's message is written (or the shop has no merchant
// address); one that the day's message, written earlier, could not list
// goes in the next day's.
func shopPastMaxWait(ctx context.Context, tx *store.Tx, out *Outbox, shop store.Shop, today time.Time) error {
	if shop.MaxWaitDays == nil {
		return nil
	}
	lines, err := tx.BackordersPastMaxWait(ctx, shop.ID, today.AddDate(0, 0, -*shop.MaxWaitDays))
	if err != nil || len(lines) == 0 {
		return err
	}
	byOrder := map[string][]store.BackorderEntry{}
	at := map[string]int{} // order id → its entry in late
	var late []email.LateOrder
	ids := make([]int64, len(lines))
	for i, b := range lines {
		ids[i] = b.ID
		if _, ok := at[b.OrderID]; !ok {
			at[b.OrderID] = len(late)
			late = append(late, email.LateOrder{OrderName: b.OrderName, Days: int(today.Sub(utcDate(b.PlacedAt)).Hours() / 24)})
		}
		byOrder[b.OrderID] = append(byOrder[b.OrderID], b)
		late[at[b.OrderID]].Waiting += b.Waiting
	}
	cancelling := false
	for _, orderID := range slices.Sorted(maps.Keys(byOrder)) {
		// An order the store cancels (and refunds) is told so by the
		// cancelled message once the store's cancellation comes back:
		// one message, not a wait_exceeded one before it.
		cancelled, err := wantCancel(ctx, tx, out, shop, orderID)
		if err != nil {
			return err
		}
		if cancelled {
			cancelling = true
			continue
		}
		if err := waitExceededNotice(ctx, tx, out, shop, orderID, byOrder[orderID]); err != nil {
			return err
		}
	}
	if shop.MerchantEmail != "" {
		data := email.Merchant{Shop: emailShop(shop), MaxWaitDays: *shop.MaxWaitDays, Orders: late, Cancelling: cancelling}
		key := "wait-exceeded:" + today.Format(time.DateOnly)
		_, created, err := writeEmail(ctx, tx, out, shop, email.MerchantWaitExceeded, key,
			recipient{email: shop.MerchantEmail, name: shop.Name}, data)
		if err != nil || !created {
			return err
		}
	}
	return tx.MarkWaitExceeded(ctx, ids, today)
}

// tellWaitExceeded writes the wait_exceeded message of an order whose
// cancellation the store refused, listing its lines that still wait.
func tellWaitExceeded(ctx context.Context, tx *store.Tx, out *Outbox, shop store.Shop, orderID string) error {
	if shop.MaxWaitDays == nil {
		return nil
	}
	bos, err := tx.OrderBackorders(ctx, shop.ID, orderID)
	if err != nil {
		return err
	}
	late := slices.DeleteFunc(bos, func(b store.BackorderEntry) bool { return b.Waiting == 0 })
	if len(late) == 0 {
		return nil
	}
	return waitExceededNotice(ctx, tx, out, shop, orderID, late)
}

// waitExceededNotice writes an order's wait_exceeded message, once per
// order, listing its lines waiting past the maximum wait.
func waitExceededNotice(ctx context.Context, tx *store.Tx, out *Outbox, shop store.Shop, orderID string, late []store.BackorderEntry) error {
	return customerNotice(ctx, tx, out, shop, orderID, email.WaitExceeded, "order:"+orderID+":wait-exceeded",
		func(d *email.Order, b store.BackorderEntry) bool {
			d.MaxWaitDays = *shop.MaxWaitDays
			return slices.ContainsFunc(late, func(l store.BackorderEntry) bool { return l.ID == b.ID })
		})
}
