package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/backorderd/backorderd/integrations/sendgrid"
	"github.com/backorderd/backorderd/store"
)

// afterSend counts and reports an attempt's recorded outcome, and returns
// what asynq is to do with the task.
func (m *Mailer) afterSend(e store.Email, o sendOutcome, sendErr error) error {
	account := m.metrics.account
	switch o {
	case sentOK:
		m.metrics.countEmail(e.Kind, store.EmailSent)
		if account.accept(e.ShopID) {
			m.log.Info("SendGrid accepts the shop's mail again", "shop_id", e.ShopID, "email_id", e.ID)
		}
		return nil
	case sentRefused:
		m.metrics.countEmail(e.Kind, store.EmailFailed)
		m.log.Error("email refused for good", "email_id", e.ID, "kind", e.Kind, "err", sendErr)
		return nil
	case sentAccountRefused:
		streak, changed := account.refuse(e.ShopID, sendErr)
		if changed {
			m.log.Error("SendGrid refuses the account: the shop's mail waits and is retried until it is fixed",
				"shop_id", e.ShopID, "err", sendErr)
		}
		return &accountRefusal{err: fmt.Errorf("send email %d: %w", e.ID, sendErr), streak: streak}
	case sentUnknown:
		m.metrics.unknownOutcomes.Inc()
		return fmt.Errorf("send email %d: %s%w", e.ID, store.UnknownOutcome, sendErr)
	default:
		return fmt.Errorf("send email %d: %w", e.ID, sendErr) // asynq retries; a 429 waits for the reset
	}
}

// sendOutcome is what an attempt's answer says of the message.
type sendOutcome string

const (
	sentOK             sendOutcome = "sent"
	sentRefused        sendOutcome = "refused"         // this message, for good (400, 413)
	sentAccountRefused sendOutcome = "account_refused" // the account (401, 403): waits
	sentUnknown        sendOutcome = "unknown"         // it may have gone: never pending again
	sentNot            sendOutcome = "not_accepted"    // certainly not accepted: pending
)

func outcomeOf(err error) sendOutcome {
	switch {
	case err == nil:
		return sentOK
	case sendgrid.IsPermanent(err):
		return sentRefused
	case sendgrid.IsAccount(err):
		return sentAccountRefused
	case sendgrid.Unknown(err):
		return sentUnknown
	default:
		return sentNot
	}
}

// recordOutcome writes an attempt's outcome on its email, finishing the
// task when nothing is left to do.
func recordOutcome(ctx context.Context, tx *store.Tx, outboxID, emailID int64, o sendOutcome, messageID string, sendErr error) error {
	var err error
	switch o {
	case sentOK:
		err = tx.SetEmailStatus(ctx, emailID, store.EmailSent, messageID, "")
	case sentRefused:
		err = tx.SetEmailStatus(ctx, emailID, store.EmailFailed, "", sendErr.Error())
	case sentAccountRefused:
		return tx.SetEmailStatus(ctx, emailID, store.EmailPending, "", store.AccountWaitReason+sendErr.Error())
	case sentUnknown:
		return tx.MarkSendUnknown(ctx, emailID, sendErr.Error())
	default:
		// Known not accepted: pending again, so the next attempt is not
		// counted as a possible duplicate.
		return tx.SetEmailStatus(ctx, emailID, store.EmailPending, "", "retrying: "+sendErr.Error())
	}
	if err != nil {
		return err
	}
	return tx.FinishOutbox(ctx, outboxID)
}

// Writing an attempt's outcome is retried in-process: a message SendGrid
// accepted whose acceptance is lost would be sent again.
const (
	recordAttempts = 5
	recordFirstGap = 100 * time.Millisecond
	recordTimeout  = 15 * time.Second
)

// record runs fn in a transaction, retrying a failure a few times with a
// short backoff, on a context (the one fn is given) that outlives the
// task's: that is cancelled at shutdown or at its deadline, and the send
// happened either way.
func (m *Mailer) record(ctx context.Context, fn func(ctx context.Context, tx *store.Tx) error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	gap := recordFirstGap
	for attempt := 1; ; attempt++ {
		err := m.store.InTx(ctx, func(tx *store.Tx) error { return fn(ctx, tx) })
		if err == nil || attempt == recordAttempts {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(gap):
		}
		gap *= 2
	}
}
