package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/email"
	"github.com/backorderd/backorderd/integrations/sendgrid"
	"github.com/backorderd/backorderd/store"
)

// TypeSendEmail sends one email row.
const TypeSendEmail = "email:send"

// SendArgs name the email an outbox task sends.
type SendArgs struct {
	EmailID int64 `json:"email_id"`
}

// MailSender is the provider: SendGrid, or nil when no key is configured.
type MailSender interface {
	Send(ctx context.Context, m sendgrid.Mail) (string, error)
}

// Mailer sends email rows. Sending records the attempt before the call and
// the provider's acceptance after it, each in a transaction of its own: a
// message accepted once is never sent again, and one whose call was cut off
// (a crash) is sent again and counted, since a rare duplicate beats a silent
// loss.
type Mailer struct {
	dispatcher *Dispatcher
	store      TxStore
	sender     MailSender
	metrics    *Metrics
	log        *slog.Logger
}

// NewMailer returns the mailer; with a nil sender every message is kept,
// rendered, with status not_sent.
func NewMailer(s TxStore, d *Dispatcher, sender MailSender, m *Metrics, log *slog.Logger) *Mailer {
	return &Mailer{dispatcher: d, store: s, sender: sender, metrics: m, log: log}
}

// QueueEmail schedules the sending of email row id through the outbox.
func QueueEmail(ctx context.Context, out *Outbox, id int64) error {
	_, err := out.Add(ctx, TypeSendEmail, QueueDefault, SendArgs{EmailID: id}, time.Time{})
	return err
}

// Handler is the asynq handler of TypeSendEmail.
func (m *Mailer) Handler() asynq.Handler {
	return asynq.HandlerFunc(m.process)
}

func (m *Mailer) process(ctx context.Context, t *asynq.Task) error {
	outboxID, err := decodeRow(t)
	if err != nil {
		return err
	}
	e, shop, send, err := m.begin(ctx, outboxID)
	if err != nil || !send {
		return err
	}
	messageID, sendErr := m.sender.Send(ctx, mailOf(e, shop))
	err = m.store.InTx(ctx, func(tx *store.Tx) error {
		switch {
		case sendErr == nil:
			if err := tx.SetEmailStatus(ctx, e.ID, store.EmailSent, messageID, ""); err != nil {
				return err
			}
			return tx.FinishOutbox(ctx, outboxID)
		case sendgrid.IsPermanent(sendErr):
			if err := tx.SetEmailStatus(ctx, e.ID, store.EmailFailed, "", sendErr.Error()); err != nil {
				return err
			}
			return tx.FinishOutbox(ctx, outboxID)
		default:
			// The outcome is known (not accepted): pending again, so the
			// next attempt is not counted as a possible duplicate.
			return tx.SetEmailStatus(ctx, e.ID, store.EmailPending, "", "retrying: "+sendErr.Error())
		}
	})
	if err != nil {
		return err
	}
	switch {
	case sendErr == nil:
		m.metrics.emails.WithLabelValues(store.EmailSent).Inc()
	case sendgrid.IsPermanent(sendErr):
		m.metrics.emails.WithLabelValues(store.EmailFailed).Inc()
		m.log.Error("email refused for good", "email_id", e.ID, "kind", e.Kind, "err", sendErr)
	default:
		return fmt.Errorf("send email %d: %w", e.ID, sendErr) // asynq retries; a 429 waits for the reset
	}
	return nil
}

// begin claims the task and its email and records the attempt; send is
// false when there is nothing to send (done, or kept without a provider).
func (m *Mailer) begin(ctx context.Context, outboxID int64) (store.Email, store.Shop, bool, error) {
	var e store.Email
	var shop store.Shop
	send := false
	err := m.store.InTx(ctx, func(tx *store.Tx) error {
		row, err := tx.ClaimOutbox(ctx, outboxID)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("outbox row %d is gone: %w", outboxID, asynq.SkipRetry)
		}
		if err != nil || row.Status == store.OutboxDone {
			return err
		}
		var args SendArgs
		if err := json.Unmarshal(row.Payload, &args); err != nil {
			return fmt.Errorf("decode send args %q: %w", row.Payload, asynq.SkipRetry)
		}
		if e, err = tx.ClaimEmail(ctx, args.EmailID); err != nil {
			return err
		}
		if shop, err = tx.Shop(ctx, e.ShopID); err != nil {
			return err
		}
		status, reason := "", ""
		switch {
		case e.Status != store.EmailPending && e.Status != store.EmailSending:
			return tx.FinishOutbox(ctx, outboxID) // sent, failed, kept or suppressed already
		case m.sender == nil:
			status, reason = store.EmailNotSent, "no provider: SENDGRID_API_KEY is not set"
		case e.ToEmail == "":
			status, reason = store.EmailFailed, "no recipient address (never given, or erased)"
		case shop.FromEmail == "":
			status, reason = store.EmailFailed, "the shop has no from address: backorderd shop set --from"
		}
		if status == "" && e.Kind != string(email.Bounced) {
			suppressed, err := tx.Suppressed(ctx, e.ShopID, e.ToEmail)
			if err != nil {
				return err
			}
			if suppressed {
				status, reason = store.EmailSuppressed, "the address bounced: not mailed until the merchant clears it"
			}
		}
		if status != "" {
			m.metrics.emails.WithLabelValues(status).Inc()
			if err := tx.SetEmailStatus(ctx, e.ID, status, "", reason); err != nil {
				return err
			}
			return tx.FinishOutbox(ctx, outboxID)
		}
		if e.Status == store.EmailSending {
			m.metrics.unknownOutcomes.Inc()
			m.log.Warn("email attempt with an unknown outcome: sending again", "email_id", e.ID, "kind", e.Kind)
		}
		send = true
		return tx.BeginSend(ctx, e.ID)
	})
	return e, shop, send, err
}

// mailOf is the provider's message for an email row: the shop's name, from
// and reply-to; ids only in categories and custom args.
func mailOf(e store.Email, shop store.Shop) sendgrid.Mail {
	m := sendgrid.Mail{
		FromEmail: shop.FromEmail, FromName: shop.Name, ReplyTo: shop.ReplyTo,
		ToEmail: e.ToEmail, ToName: e.ToName, Subject: e.Subject, Text: e.TextBody, HTML: e.HTMLBody,
		Categories: []string{"backorderd", e.Kind},
		CustomArgs: map[string]string{"email_id": strconv.FormatInt(e.ID, 10), "shop_id": strconv.FormatInt(e.ShopID, 10)},
	}
	if e.TemplateID != "" {
		m.TemplateID = e.TemplateID
		_ = json.Unmarshal([]byte(e.Data), &m.TemplateData) // written from a struct by the notifier
	}
	return m
}
