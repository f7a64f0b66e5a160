package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
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
	EmailID int64    `json:"email_id"`
	Subject *Subject `json:"subject,omitempty"` // for people: handlers ignore it
}

func (a SendArgs) subject() *Subject { return a.Subject }

// MailSender is the provider: SendGrid, or nil when no key is configured.
type MailSender interface {
	Send(ctx context.Context, m sendgrid.Mail) (string, error)
}

// Mailer sends email rows. Sending records the attempt before the call and
// the provider's answer after it, each in a transaction of its own (the
// second retried in-process): a message accepted once is never sent again,
// and one whose call was cut off (a crash) or got no answer (a timeout) stays
// sending, is counted and is sent again, since a rare duplicate beats a
// silent loss. A refused account (401/403) fails no message: they wait.
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

// QueueEmail schedules the sending of email row id, of kind, to shopID's
// customer about orderID ("": the merchant), through the outbox.
func QueueEmail(ctx context.Context, out *Outbox, id, shopID int64, kind, orderID string) error {
	about := about(shopID)
	about.Email = kind
	if orderID != "" {
		about.withOrders(orderID)
	}
	_, err := out.Add(ctx, TypeSendEmail, QueueDefault, SendArgs{EmailID: id, Subject: about}, time.Time{})
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
	a, err := m.begin(ctx, outboxID)
	if err != nil || !a.send {
		return err
	}
	e := a.email
	messageID, sendErr := m.sender.Send(ctx, mailOf(e, a.shop))
	o := outcomeOf(sendErr)
	err = m.record(ctx, func(ctx context.Context, tx *store.Tx) error {
		return recordOutcome(ctx, tx, outboxID, e.ID, o, messageID, sendErr)
	})
	if err != nil {
		// An accepted message not recorded is sent again by the retry,
		// counted as an unknown outcome: a rare duplicate beats a loss.
		return fmt.Errorf("record email %d outcome %s: %w", e.ID, o, err)
	}
	return m.afterSend(e, o, sendErr)
}

// attempt is what begin found: the email and its shop; send says to call
// the provider.
type attempt struct {
	email store.Email
	shop  store.Shop
	send  bool
}

// begin claims the task and its email and records the attempt, or keeps
// the email without sending it (done already, no provider, no address,
// suppressed). What it did is counted once its transaction has committed.
func (m *Mailer) begin(ctx context.Context, outboxID int64) (attempt, error) {
	var a attempt
	err := m.store.InTx(ctx, func(tx *store.Tx) error {
		a = attempt{}
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
		if a.email, err = tx.ClaimEmail(ctx, args.EmailID); err != nil {
			return err
		}
		if a.email.Status != store.EmailPending && a.email.Status != store.EmailSending {
			return tx.FinishOutbox(ctx, outboxID) // sent, failed, kept or suppressed already
		}
		if a.shop, err = tx.Shop(ctx, a.email.ShopID); err != nil {
			return err
		}
		status, reason, err := m.hold(ctx, tx, a.email, a.shop)
		if err != nil {
			return err
		}
		if status != "" {
			kind := a.email.Kind
			tx.AfterCommit(func() { m.metrics.countEmail(kind, status) })
			if err := tx.SetEmailStatus(ctx, a.email.ID, status, "", reason); err != nil {
				return err
			}
			return tx.FinishOutbox(ctx, outboxID)
		}
		// An attempt cut off in the call (a crash) left it sending; one
		// with no answer was counted when it was recorded.
		a.send = true
		if a.email.Status == store.EmailSending && !strings.HasPrefix(a.email.Reason, store.UnknownOutcome) {
			e := a.email
			tx.AfterCommit(func() {
				m.metrics.unknownOutcomes.Inc()
				m.log.Warn("email attempt with an unknown outcome: sending again", "email_id", e.ID, "kind", e.Kind)
			})
		}
		return tx.BeginSend(ctx, a.email.ID)
	})
	if err != nil {
		return attempt{}, err
	}
	return a, nil
}

// hold says why an email is not to be sent now (a status and its reason),
// or "" to send it.
func (m *Mailer) hold(ctx context.Context, tx *store.Tx, e store.Email, shop store.Shop) (string, string, error) {
	switch {
	case m.sender == nil:
		return store.EmailNotSent, "no provider: SENDGRID_API_KEY is not set", nil
	case e.ToEmail == "":
		return store.EmailFailed, "no recipient address (never given, or erased)", nil
	case shop.FromEmail == "":
		// Kept, not failed: it goes once the shop has a sender (ReleaseHeld).
		return store.EmailHeld, "the shop has no from address: set EMAIL_FROM or backorderd shop set --from", nil
	case e.Kind == string(email.Bounced):
		return "", "", nil // the merchant's own address: never suppressed
	}
	suppressed, err := tx.Suppressed(ctx, e.ShopID, e.ToEmail)
	if err != nil || !suppressed {
		return "", "", err
	}
	return store.EmailSuppressed, "the address bounced: not mailed until the merchant clears it", nil
}

// mailOf is the provider's message for an email row: the shop's name, from
// and reply-to; ids only in categories and custom args; the row's files.
func mailOf(e store.Email, shop store.Shop) sendgrid.Mail {
	m := sendgrid.Mail{
		FromEmail: shop.FromEmail, FromName: shop.Name, ReplyTo: shop.ReplyTo,
		ToEmail: e.ToEmail, ToName: e.ToName, Subject: e.Subject, Text: e.TextBody, HTML: e.HTMLBody,
		Categories: []string{"backorderd", e.Kind},
		CustomArgs: map[string]string{"email_id": strconv.FormatInt(e.ID, 10), "shop_id": strconv.FormatInt(e.ShopID, 10)},
	}
	if e.TemplateID != "" {
		m.TemplateID = e.TemplateID
		_ = json.Unmarshal([]byte(e.Data), &m.TemplateData) // written from a struct by OrderMessages
	}
	var files []email.Attachment
	_ = json.Unmarshal([]byte(e.Attachments), &files) // written by writeEmail; erased mail has "[]"
	for _, f := range files {
		m.Attachments = append(m.Attachments, sendgrid.Attachment{Filename: f.Filename, Type: f.Type, Content: f.Content})
	}
	return m
}
