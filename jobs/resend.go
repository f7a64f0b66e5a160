package jobs

import (
	"context"
	"fmt"

	"github.com/backorderd/backorderd/store"
)

// ResendEmail writes message id again as a new message that refers to it
// (resend_of) and sends it through the outbox like any message: the old
// row keeps its status, attempts and events, and the new one has a dedupe
// key and an email id of its own, so neither backorderd nor SendGrid takes
// it for the old one. It refuses, with ErrConflict, a message still on its
// way (pending or sending), one held for want of a sender (it goes when
// the shop has one), and one with a resend not yet finished (a second
// click); with ErrUnprocessable, one whose recipient was erased.
// store.ErrNotFound when there is no message id.
func (o *Operations) ResendEmail(ctx context.Context, id int64) (store.Email, error) {
	var resent store.Email
	err := o.dispatcher.InTx(ctx, o.store, func(tx *store.Tx, out *Outbox) error {
		// Locked: two resends of one message at once are one after the other.
		e, err := tx.ClaimEmail(ctx, id)
		if err != nil {
			return err
		}
		switch {
		case e.Status == store.EmailPending || e.Status == store.EmailSending:
			return fmt.Errorf("email %d is still being sent (%s): %w", id, e.Status, ErrConflict)
		case e.Status == store.EmailHeld:
			return fmt.Errorf("email %d is held until its shop has a from address, and goes then: %w", id, ErrConflict)
		case e.ToEmail == "":
			return fmt.Errorf("email %d has no recipient (never given, or erased): %w", id, ErrUnprocessable)
		}
		resends, err := tx.Resends(ctx, id)
		if err != nil {
			return err
		}
		for _, r := range resends {
			if r.Status == store.EmailPending || r.Status == store.EmailSending || r.Status == store.EmailHeld {
				return fmt.Errorf("email %d has a resend not finished yet (email %d, %s): %w", id, r.ID, r.Status, ErrConflict)
			}
		}
		resent = e
		resent.ID, resent.ResendOf = 0, &e.ID
		resent.DedupeKey = fmt.Sprintf("resend:%d:%d", id, len(resends)+1)
		resent.Status, resent.Reason = store.EmailPending, fmt.Sprintf("resend of email %d", id)
		resent.Attempts, resent.UnknownOutcomes, resent.ProviderMessageID, resent.SentAt = 0, 0, "", nil
		resent.Delivery = ""
		newID, written, err := tx.AddEmail(ctx, resent)
		if err != nil {
			return err
		}
		if !written {
			return fmt.Errorf("email %d: a message with dedupe key %s exists: %w", id, resent.DedupeKey, ErrConflict)
		}
		resent.ID = newID
		return QueueEmail(ctx, out, newID)
	})
	if err != nil {
		return store.Email{}, err
	}
	o.log.Info("email resent", "email_id", resent.ID, "resend_of", id, "kind", resent.Kind)
	return resent, nil
}
