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
}

const emailColumns = `id, shop_id, kind, dedupe_key, order_id, to_email, to_name, subject, text_body, html_body,
	data, template_id, status, reason, attempts, unknown_outcomes, provider_message_id, created_at, sent_at`

// AddEmail writes a message unless the shop has one with its dedupe key; it
// returns the id and whether it was written now.
func (tx *Tx) AddEmail(ctx context.Context, e Email) (int64, bool, error) {
	const q = `INSERT INTO emails (shop_id, kind, dedupe_key, order_id, to_email, to_name, subject, text_body,
		html_body, data, template_id, status, reason, created_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (shop_id, dedupe_key) DO NOTHING
	RETURNING id`
	if e.Status == "" {
		e.Status = EmailPending
	}
	var id int64
	err := translate(tx.tx.QueryRowxContext(ctx, tx.tx.Rebind(q), e.ShopID, e.Kind, e.DedupeKey, e.OrderID, e.ToEmail,
		e.ToName, e.Subject, e.TextBody, e.HTMLBody, e.Data, e.TemplateID, e.Status, e.Reason, tx.store.nowUTC()).Scan(&id))
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

// BeginSend records an attempt before the provider is called. An attempt
// that began earlier and never recorded its outcome (a crash in the call)
// is counted: this one may send the message a second time.
func (tx *Tx) BeginSend(ctx context.Context, id int64) error {
	const q = `UPDATE emails SET attempts = attempts + 1,
		unknown_outcomes = unknown_outcomes + CASE WHEN status = 'sending' THEN 1 ELSE 0 END,
		status = 'sending' WHERE id = ?`
	if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(q), id); err != nil {
		return fmt.Errorf("begin sending email %d: %w", id, translate(err))
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
	ShopID int64
	Kind   string
	Status string
	To     string
	Order  string
	Before int64
	Limit  int
}

// ListEmails lists messages matching f, newest first.
func (s *Store) ListEmails(ctx context.Context, f EmailFilter) ([]Email, error) {
	q := `SELECT ` + emailColumns + ` FROM emails
	WHERE (? = 0 OR shop_id = ?) AND (? = '' OR kind = ?) AND (? = '' OR status = ?)
		AND (? = '' OR lower(to_email) = lower(?)) AND (? = '' OR order_id = ?) AND (? = 0 OR id < ?)
	ORDER BY id DESC LIMIT ?`
	var es []Email
	if err := s.db.SelectContext(ctx, &es, s.db.Rebind(q), f.ShopID, f.ShopID, f.Kind, f.Kind, f.Status, f.Status,
		f.To, f.To, f.Order, f.Order, f.Before, f.Before, f.Limit); err != nil {
		return nil, fmt.Errorf("list emails: %w", translate(err))
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
// their orders), or every message of the shop when all is set, keeping the
// rows: who got what kind of message when, without the personal data.
func (tx *Tx) RedactEmails(ctx context.Context, shopID int64, email string, orderIDs []string, all bool) error {
	where, args := `shop_id = ?`, []any{shopID}
	if !all {
		var or []string
		if email != "" {
			or, args = append(or, `lower(to_email) = lower(?)`), append(args, email)
		}
		if len(orderIDs) > 0 {
			or, args = append(or, `order_id IN (?)`), append(args, orderIDs)
		}
		if len(or) == 0 {
			return nil
		}
		var err error
		if where, args, err = sqlx.In(where+` AND (`+strings.Join(or, " OR ")+`)`, args...); err != nil {
			return fmt.Errorf("bind email redaction: %w", err)
		}
	}
	q := `UPDATE emails SET to_email = '', to_name = '', subject = '', text_body = '', html_body = '', data = '{}'
	WHERE ` + where
	if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(q), args...); err != nil {
		return fmt.Errorf("redact emails: %w", translate(err))
	}
	return nil
}
