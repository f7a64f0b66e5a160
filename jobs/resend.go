package jobs

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/backorderd/backorderd/store"
)

// ResendEmail writes message id again as a new message that refers to it
// (resend_of) and sends it through the outbox like any message: the old
// row keeps its status, attempts and events, and the new one has a dedupe
// key and an email id of its own, so neither backorderd nor SendGrid takes
// it for the old one. It refuses, with ErrConflict, a message still on its
// way (pending or sending with its send task to run; one whose task asynq
// archived may be resent), one held for want of a sender (it goes when the
// shop has one), and one with a resend still on its way (a second click);
// with ErrUnprocessable, one whose recipient was erased.
// store.ErrNotFound when there is no message id.
func (o *Operations) ResendEmail(ctx context.Context, id int64) (store.Email, error) {
	var resent store.Email
	err := o.dispatcher.InTx(ctx, o.store, func(tx *store.Tx, out *Outbox) error {
		// Locked: two resends of one message at once are one after the other.
		e, err := tx.ClaimEmail(ctx, id)
		if err != nil {
			return err
		}
		n, err := resendable(ctx, tx, e)
		if err != nil {
			return err
		}
		resent = resendOf(e, n+1)
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
	return resent, nil
}

// resendable says why message e may not be resent now, or how many
// resends it has.
func resendable(ctx context.Context, tx *store.Tx, e store.Email) (int, error) {
	if way, err := onItsWay(ctx, tx, e); err != nil || way != "" {
		if err == nil {
			err = fmt.Errorf("email %d %s: %w", e.ID, way, ErrConflict)
		}
		return 0, err
	}
	if e.ToEmail == "" {
		return 0, fmt.Errorf("email %d has no recipient (never given, or erased): %w", e.ID, ErrUnprocessable)
	}
	resends, err := tx.Resends(ctx, e.ID)
	if err != nil {
		return 0, err
	}
	for _, r := range resends {
		if way, err := onItsWay(ctx, tx, r); err != nil || way != "" {
			if err == nil {
				err = fmt.Errorf("email %d has a resend, email %d, that %s: %w", e.ID, r.ID, way, ErrConflict)
			}
			return 0, err
		}
	}
	return len(resends), nil
}

// resendOf is message e written again as its nth resend: the same
// message, with a dedupe key of its own and no attempts.
func resendOf(e store.Email, n int) store.Email {
	r := e
	r.ID, r.ResendOf = 0, &e.ID
	r.DedupeKey = fmt.Sprintf("resend:%d:%d", e.ID, n)
	r.Status, r.Reason = store.EmailPending, fmt.Sprintf("resend of email %d", e.ID)
	r.Attempts, r.UnknownOutcomes, r.ProviderMessageID, r.SentAt, r.Delivery = 0, 0, "", nil, ""
	return r
}

// onItsWay says how message e is still on its way ("" when it is not):
// held for a sender, or pending or sending with its send task still to
// run. A pending or sending message whose send task asynq archived is
// going nowhere.
func onItsWay(ctx context.Context, tx *store.Tx, e store.Email) (string, error) {
	switch e.Status {
	case store.EmailHeld:
		return "is held until its shop has a from address, and goes then", nil
	case store.EmailPending, store.EmailSending:
		payload, _ := json.Marshal(SendArgs{EmailID: e.ID}) // as Outbox.Add writes it
		pending, err := tx.OutboxPending(ctx, TypeSendEmail, payload)
		if err != nil || !pending {
			return "", err
		}
		return "is still being sent (" + e.Status + ")", nil
	}
	return "", nil
}
