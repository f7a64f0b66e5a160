package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// EmailEvent is one event of SendGrid's Event Webhook.
type EmailEvent struct {
	SGMessageID string
	// MessageID is the X-Message-Id it belongs to; EmailID, when the
	// message carried it back as a custom arg, names the row too.
	MessageID string
	EmailID   int64
	Event     string // delivered, bounce, blocked, dropped, spamreport
	Timestamp int64
	Reason    string
	// Suppress says the address is not to be mailed again.
	Suppress bool
}

// ApplyEmailEvents records each event of a message of ours once (on
// message, event and time) and marks its email row; an event marked
// Suppress suppresses the address for the email's shop. Events about no
// message of ours (another install on the same account) are left out. It
// returns the addresses suppressed now.
func (tx *Tx) ApplyEmailEvents(ctx context.Context, evs []EmailEvent) ([]Suppression, error) {
	var fresh []Suppression
	for _, ev := range evs {
		e, found, err := tx.eventEmail(ctx, ev)
		if err != nil {
			return nil, err
		}
		if !found {
			continue // not ours: neither recorded nor applied
		}
		const insert = `INSERT INTO email_events (sg_message_id, event, occurred_at, email_id, reason, received_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sg_message_id, event, occurred_at) DO NOTHING RETURNING event`
		var got string
		err = translate(tx.tx.QueryRowxContext(ctx, tx.tx.Rebind(insert), ev.SGMessageID, ev.Event, ev.Timestamp,
			e.ID, ev.Reason, tx.store.nowUTC()).Scan(&got))
		if errors.Is(err, ErrNotFound) {
			continue // seen before
		}
		if err != nil {
			return nil, fmt.Errorf("record email event: %w", err)
		}
		const mark = `UPDATE emails SET delivery = ?, delivery_at = ? WHERE id = ?`
		if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(mark), ev.Event, time.Unix(ev.Timestamp, 0).UTC(), e.ID); err != nil {
			return nil, fmt.Errorf("mark email %d: %w", e.ID, translate(err))
		}
		if !ev.Suppress || e.ToEmail == "" {
			continue
		}
		s, created, err := tx.suppress(ctx, e.ShopID, e.ToEmail, ev.Event+": "+ev.Reason)
		if err != nil {
			return nil, err
		}
		if created {
			s.Event = ev.Event
			fresh = append(fresh, s)
		}
	}
	return fresh, nil
}

// eventEmail finds the email an event is about: by its message id, and
// when the event carries an email id, only if that row has this message
// id (another install sharing the account has rows with the same ids).
func (tx *Tx) eventEmail(ctx context.Context, ev EmailEvent) (Email, bool, error) {
	if ev.MessageID == "" {
		return Email{}, false, nil
	}
	const q = `SELECT ` + emailColumns + ` FROM emails
	WHERE provider_message_id = :message_id AND (:email_id = 0 OR id = :email_id)`
	bound, args, err := tx.tx.BindNamed(q, map[string]any{"message_id": ev.MessageID, "email_id": ev.EmailID})
	if err != nil {
		return Email{}, false, fmt.Errorf("bind email of event: %w", err)
	}
	var e Email
	err = translate(tx.tx.GetContext(ctx, &e, bound, args...))
	if errors.Is(err, ErrNotFound) {
		return Email{}, false, nil
	}
	if err != nil {
		return Email{}, false, fmt.Errorf("email of event: %w", err)
	}
	return e, true, nil
}
