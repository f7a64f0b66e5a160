package jobs

import (
	"context"
	"time"

	"github.com/backorderd/backorderd/email"
	"github.com/backorderd/backorderd/store"
)

// heldConfirmationMaxAge is how long a held customer confirmation is worth
// sending: later, the customer has heard from the shop otherwise, or the
// order has moved on.
const heldConfirmationMaxAge = 7 * 24 * time.Hour

// Released says what ReleaseHeld did with a shop's held mail.
type Released struct {
	Queued  int // sent through the outbox now
	Dropped int // confirmations too old to send
}

// ReleaseHeld sends the shop's mail that was held for want of a sender,
// now that it has one: each message gets a send task in the outbox (the
// relay enqueues it), except customer confirmations held more than 7 days,
// which are dropped with the reason.
func ReleaseHeld(ctx context.Context, tx *store.Tx, shopID int64, now time.Time) (Released, error) {
	return releaseHeld(ctx, tx, &Outbox{tx: tx}, shopID, now)
}

func releaseHeld(ctx context.Context, tx *store.Tx, out *Outbox, shopID int64, now time.Time) (Released, error) {
	var r Released
	held, err := tx.HeldEmails(ctx, shopID)
	if err != nil {
		return r, err
	}
	for _, e := range held {
		if e.Kind == string(email.Backordered) && now.Sub(e.CreatedAt) > heldConfirmationMaxAge {
			reason := "held more than 7 days for want of a sender: too late for a confirmation"
			if err := tx.SetEmailStatus(ctx, e.ID, store.EmailDropped, "", reason); err != nil {
				return r, err
			}
			r.Dropped++
			continue
		}
		if err := tx.SetEmailStatus(ctx, e.ID, store.EmailPending, "", "released: the shop has a sender"); err != nil {
			return r, err
		}
		if err := QueueEmail(ctx, out, e.ID); err != nil {
			return r, err
		}
		r.Queued++
	}
	return r, nil
}
