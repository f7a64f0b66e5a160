package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Email statuses.
const (
	EmailPending    = "pending"    // written; not sent yet (or a retryable attempt failed)
	EmailSending    = "sending"    // an attempt began; its outcome is not recorded
	EmailSent       = "sent"       // the provider accepted it: never sent again
	EmailFailed     = "failed"     // the provider refused it for good
	EmailNotSent    = "not_sent"   // no provider configured: kept, rendered, for the admin API
	EmailSuppressed = "suppressed" // the address bounced; not mailed until the merchant clears it
)

// Statuses of mail kept back for want of a sender.
const (
	EmailHeld    = "held"    // the shop has no sender: sent once it has one
	EmailDropped = "dropped" // held too long to be worth sending; the reason says why
)

// Email is one message, written before it is sent.
type Email struct {
	ID                int64      `db:"id"`
	ShopID            int64      `db:"shop_id"`
	Kind              string     `db:"kind"`
	DedupeKey         string     `db:"dedupe_key"`
	OrderID           string     `db:"order_id"`
	ToEmail           string     `db:"to_email"`
	ToName            string     `db:"to_name"`
	Subject           string     `db:"subject"`
	TextBody          string     `db:"text_body"`
	HTMLBody          string     `db:"html_body"`
	Data              string     `db:"data"`
	TemplateID        string     `db:"template_id"`
	Status            string     `db:"status"`
	Reason            string     `db:"reason"`
	Attempts          int        `db:"attempts"`
	UnknownOutcomes   int        `db:"unknown_outcomes"`
	ProviderMessageID string     `db:"provider_message_id"`
	CreatedAt         time.Time  `db:"created_at"`
	SentAt            *time.Time `db:"sent_at"`
	// Delivery is the last event SendGrid reported (delivered, bounce,
	// blocked, dropped, spamreport), "" before any.
	Delivery string `db:"delivery"`
	// Attachments is a JSON array of the files sent with the message,
	// [{"filename", "type", "content"}] with content in base64; "[]" for none.
	Attachments string `db:"attachments"`
	// ResendOf is the message this one sends again, at an operator's
	// request; nil for a message written by backorderd's own rules.
	ResendOf *int64 `db:"resend_of"`
}

const emailColumns = `id, shop_id, kind, dedupe_key, order_id, to_email, to_name, subject, text_body, html_body,
	data, template_id, status, reason, attempts, unknown_outcomes, provider_message_id, created_at, sent_at, delivery,
	attachments, resend_of`

// AddEmail writes a message unless the shop has one with its dedupe key; it
// returns the id and whether it was written now.
func (tx *Tx) AddEmail(ctx context.Context, e Email) (int64, bool, error) {
	const q = `INSERT INTO emails (shop_id, kind, dedupe_key, order_id, to_email, to_name, subject, text_body,
		html_body, data, template_id, status, reason, attachments, resend_of, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (shop_id, dedupe_key) DO NOTHING
	RETURNING id`
	if e.Status == "" {
		e.Status = EmailPending
	}
	if e.Attachments == "" {
		e.Attachments = "[]"
	}
	var id int64
	err := translate(tx.tx.QueryRowxContext(ctx, tx.tx.Rebind(q), e.ShopID, e.Kind, e.DedupeKey, e.OrderID, e.ToEmail,
		e.ToName, e.Subject, e.TextBody, e.HTMLBody, e.Data, e.TemplateID, e.Status, e.Reason, e.Attachments, e.ResendOf, tx.store.nowUTC()).Scan(&id))
	if errors.Is(err, ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("add email %s: %w", e.DedupeKey, err)
	}
	return id, true, nil
}

// ClaimEmail reads a message and locks it for the transaction.
func (tx *Tx) ClaimEmail(ctx context.Context, id int64) (Email, error) {
	q := `SELECT ` + emailColumns + ` FROM emails WHERE id = ?` + tx.store.forUpdate()
	var e Email
	if err := tx.tx.GetContext(ctx, &e, tx.tx.Rebind(q), id); err != nil {
		return Email{}, fmt.Errorf("claim email %d: %w", id, translate(err))
	}
	return e, nil
}

// UnknownOutcome starts the reason of an email whose last attempt may or
// may not have reached the provider (it stays sending).
const UnknownOutcome = "outcome unknown: "

// BeginSend records an attempt before the provider is called. An attempt
// that began earlier and never recorded its outcome (a crash in the call)
// is counted: this one may send the message a second time. One recorded
// as unknown (MarkSendUnknown) was counted then.
func (tx *Tx) BeginSend(ctx context.Context, id int64) error {
	const q = `UPDATE emails SET attempts = attempts + 1,
		unknown_outcomes = unknown_outcomes + CASE WHEN status = 'sending' AND reason NOT LIKE ? THEN 1 ELSE 0 END,
		status = 'sending', reason = '' WHERE id = ?`
	if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(q), UnknownOutcome+"%", id); err != nil {
		return fmt.Errorf("begin sending email %d: %w", id, translate(err))
	}
	return nil
}

// MarkSendUnknown records that an attempt may have reached the provider
// without an answer: the email stays sending (never pending: it may have
// gone), the unknown outcome is counted, and the next attempt sends again.
func (tx *Tx) MarkSendUnknown(ctx context.Context, id int64, detail string) error {
	const q = `UPDATE emails SET unknown_outcomes = unknown_outcomes + 1, reason = ? WHERE id = ? AND status = 'sending'`
	if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(q), UnknownOutcome+detail, id); err != nil {
		return fmt.Errorf("mark email %d unknown: %w", id, translate(err))
	}
	return nil
}

// SetEmailStatus records an attempt's outcome (sent with the provider's
// message id, failed, not_sent, suppressed, or pending again with the
// reason a retry is coming).
func (tx *Tx) SetEmailStatus(ctx context.Context, id int64, status, messageID, reason string) error {
	q := `UPDATE emails SET status = ?, provider_message_id = ?, reason = ?, sent_at = ? WHERE id = ?`
	var sentAt any
	if status == EmailSent {
		sentAt = tx.store.nowUTC()
	}
	if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(q), status, messageID, reason, sentAt, id); err != nil {
		return fmt.Errorf("set email %d %s: %w", id, status, translate(err))
	}
	return nil
}

// EmailFilter selects messages for operators. Zero values select all.
type EmailFilter struct {
	ShopID int64  `db:"shop_id"`
	Kind   string `db:"kind"`
	Status string `db:"status"`
	// Statuses selects messages in any of them (nil: any status), as
	// operators look for the held and failed ones at once.
	Statuses []string `db:"statuses"`
	To       string   `db:"to"`
	Order    string   `db:"order"`
	// ResendOf selects the resends of one message (0: any message).
	ResendOf int64 `db:"resend_of"`
	Before   int64 `db:"before"`
	Limit    int   `db:"limit"`
}

// ListEmails lists messages matching f, newest first.
func (s *Store) ListEmails(ctx context.Context, f EmailFilter) ([]Email, error) {
	q := `SELECT ` + emailColumns + ` FROM emails
	WHERE (:shop_id = 0 OR shop_id = :shop_id) AND (:kind = '' OR kind = :kind)
		AND (:status = '' OR status = :status) AND (:to = '' OR lower(to_email) = lower(:to))
		AND (:order = '' OR order_id = :order) AND (:resend_of = 0 OR resend_of = :resend_of)
		AND (:before = 0 OR id < :before)`
	if len(f.Statuses) > 0 {
		q += ` AND status IN (:statuses)`
	}
	q += ` ORDER BY id DESC LIMIT :limit`
	var es []Email
	if err := s.selectNamedIn(ctx, &es, q, f); err != nil {
		return nil, fmt.Errorf("list emails: %w", err)
	}
	return es, nil
}

// Email reads one message.
func (s *Store) Email(ctx context.Context, id int64) (Email, error) {
	const q = `SELECT ` + emailColumns + ` FROM emails WHERE id = ?`
	var e Email
	if err := s.db.GetContext(ctx, &e, s.db.Rebind(q), id); err != nil {
		return Email{}, fmt.Errorf("email %d: %w", id, translate(err))
	}
	return e, nil
}

// RedactEmails erases the messages written to a customer (by address or for
// their orders) and the merchant's messages that name them (a bounce, their
// data document), or every message of the shop when all is set, keeping the
// rows: who got what kind of message when, without the personal data.
func (tx *Tx) RedactEmails(ctx context.Context, shopID int64, customerID, email string, orderIDs []string, all bool) error {
	where, args := `shop_id = ?`, []any{shopID}
	if !all {
		var or []string
		if email != "" {
			or, args = append(or, `lower(to_email) = lower(?)`), append(args, email)
			or, args = append(or, `(kind LIKE 'merchant_%' AND lower(text_body) LIKE ?)`), append(args, "%"+strings.ToLower(email)+"%")
		}
		if customerID != "" {
			or, args = append(or, `(kind LIKE 'merchant_%' AND text_body LIKE ?)`), append(args, "%"+customerID+"%")
		}
		if len(orderIDs) > 0 {
			or, args = append(or, `order_id IN (?)`), append(args, orderIDs)
		}
		if len(or) == 0 {
			or = append(or, `1 = 0`)
		}
		var err error
		if where, args, err = sqlx.In(where+` AND (`+strings.Join(or, " OR ")+`)`, args...); err != nil {
			return fmt.Errorf("bind email redaction: %w", err)
		}
	}
	// SendGrid's reasons name the recipient: erased (the events are kept,
	// for counts) before the messages that find them lose their address.
	eq := `UPDATE email_events SET reason = '' WHERE reason <> '' AND email_id IN (SELECT id FROM emails WHERE ` + where + `)`
	if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(eq), args...); err != nil {
		return fmt.Errorf("redact email events: %w", translate(err))
	}
	// A merchant's message keeps its address (the merchant's own) but not
	// its text; its dedupe key may name the customer (bounce:{address}).
	q := `UPDATE emails SET to_email = CASE WHEN kind LIKE 'merchant_%' THEN to_email ELSE '' END, to_name = '',
		subject = '', text_body = '', html_body = '', data = '{}', attachments = '[]',
		dedupe_key = CASE WHEN kind LIKE 'merchant_%' THEN 'redacted:' || CAST(id AS TEXT) ELSE dedupe_key END
	WHERE ` + where
	if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(q), args...); err != nil {
		return fmt.Errorf("redact emails: %w", translate(err))
	}
	// A suppressed address is personal data too.
	const sq = `DELETE FROM suppressions WHERE shop_id = :shop_id AND (:all OR address = lower(:email))`
	if _, err := tx.tx.NamedExecContext(ctx, sq, map[string]any{"shop_id": shopID, "all": all, "email": email}); err != nil {
		return fmt.Errorf("redact suppressions: %w", translate(err))
	}
	return nil
}

// EmailExists reports whether the shop has a message with dedupe key.
func (tx *Tx) EmailExists(ctx context.Context, shopID int64, key string) (bool, error) {
	const q = `SELECT COUNT(*) FROM emails WHERE shop_id = ? AND dedupe_key = ?`
	var n int
	if err := tx.tx.GetContext(ctx, &n, tx.tx.Rebind(q), shopID, key); err != nil {
		return false, fmt.Errorf("email exists: %w", translate(err))
	}
	return n > 0, nil
}

// OrderEmailSince reports whether the shop wrote an order a message of
// kind at or after since (an ETA change is told at most once a day).
func (tx *Tx) OrderEmailSince(ctx context.Context, shopID int64, orderID, kind string, since time.Time) (bool, error) {
	const q = `SELECT COUNT(*) FROM emails WHERE shop_id = ? AND order_id = ? AND kind = ? AND created_at >= ?`
	var n int
	if err := tx.tx.GetContext(ctx, &n, tx.tx.Rebind(q), shopID, orderID, kind, since.UTC()); err != nil {
		return false, fmt.Errorf("%s emails of order %s: %w", kind, orderID, translate(err))
	}
	return n > 0, nil
}

// OrderEmailData lists the data of an order's messages of one kind.
func (tx *Tx) OrderEmailData(ctx context.Context, shopID int64, orderID, kind string) ([]string, error) {
	const q = `SELECT data FROM emails WHERE shop_id = ? AND order_id = ? AND kind = ? ORDER BY id`
	var data []string
	if err := tx.tx.SelectContext(ctx, &data, tx.tx.Rebind(q), shopID, orderID, kind); err != nil {
		return nil, fmt.Errorf("emails of order %s: %w", orderID, translate(err))
	}
	return data, nil
}

// HeldEmails reads, and locks for the transaction, the shop's held mail,
// oldest first.
func (tx *Tx) HeldEmails(ctx context.Context, shopID int64) ([]Email, error) {
	q := `SELECT ` + emailColumns + ` FROM emails WHERE shop_id = ? AND status = 'held' ORDER BY id` + tx.store.forUpdate()
	var es []Email
	if err := tx.tx.SelectContext(ctx, &es, tx.tx.Rebind(q), shopID); err != nil {
		return nil, fmt.Errorf("held emails: %w", translate(err))
	}
	return es, nil
}

// Resends reads the resends of message id, oldest first.
func (tx *Tx) Resends(ctx context.Context, id int64) ([]Email, error) {
	const q = `SELECT ` + emailColumns + ` FROM emails WHERE resend_of = ? ORDER BY id`
	var es []Email
	if err := tx.tx.SelectContext(ctx, &es, tx.tx.Rebind(q), id); err != nil {
		return nil, fmt.Errorf("resends of email %d: %w", id, translate(err))
	}
	return es, nil
}
