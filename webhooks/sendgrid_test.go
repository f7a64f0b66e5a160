package webhooks_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func TestSendGridEventsAreVerifiedDeduplicatedAndSuppressBounces(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := newHarness(t, s)
		ctx := context.Background()
		shop := h.mailingShop(t)
		emailID := h.sentEmail(t, shop.ID, "Wren@Example.net")
		key := h.eventsKey
		post := func(signer *ecdsa.PrivateKey, body string) int { return h.postEvents(t, signer, body) }
		bounce := fmt.Sprintf(`[{"email":"wren@example.net","timestamp":1764115100,"event":"delivered","sg_message_id":"msg-1.filter0001.1.0"},`+
			`{"email":"wren@example.net","timestamp":1764115150,"event":"bounce","reason":"550 mailbox does not exist",`+
			`"sg_message_id":"msg-1.filter0001.1.0","email_id":"%d"},{"event":"open","sg_message_id":"msg-1.x","timestamp":1}]`, emailID)
		forger, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if code := post(forger, bounce); code != http.StatusUnauthorized {
			t.Fatalf("forged signature answered %d, want 401", code)
		}
		if e, _ := s.Email(ctx, emailID); e.Status != store.EmailSent || h.metric(t, "backorderd_webhook_refused_total", "platform", "sendgrid") != 1 {
			t.Fatal("a forged event changed something, or was not counted")
		}
		for i := 0; i < 3; i++ { // SendGrid duplicates often
			if code := post(key, bounce); code != http.StatusOK {
				t.Fatalf("valid events answered %d", code)
			}
		}
		e, _ := s.Email(ctx, emailID)
		if e.Status != store.EmailSent || e.ProviderMessageID != "msg-1" {
			t.Fatalf("email = %+v", e)
		}
		notices, _ := s.ListEmails(ctx, store.EmailFilter{Kind: "merchant_bounced", Limit: 10})
		if len(notices) != 1 || notices[0].ToEmail != "owner@harborkiln.example" {
			t.Fatalf("merchant notices = %+v, want one to the merchant", notices)
		}
		// The address is not mailed again until the merchant clears it.
		if blocked := suppressed(t, s, shop.ID, "wren@example.net"); !blocked {
			t.Fatal("the bounced address is not suppressed")
		}
		if ok, err := s.ClearSuppression(ctx, shop.ID, "WREN@example.net"); !ok || err != nil {
			t.Fatalf("clear = %v, %v", ok, err)
		}
		if suppressed(t, s, shop.ID, "wren@example.net") {
			t.Fatal("cleared, yet suppressed")
		}
	})
}

func TestSendGridEventsBadBodyAndDatabaseDown(t *testing.T) {
	h := newHarness(t, storetest.New(t, store.SQLite), offline(), withEventRecorder(downEvents{}))
	// Signed but not a list of events: SendGrid resending it cannot help.
	if code := h.postEvents(t, h.eventsKey, `{"not":"a list"`); code != http.StatusOK {
		t.Errorf("malformed events answered %d, want 200", code)
	}
	// The database cannot take them: 503, and SendGrid retries for a day.
	if code := h.postEvents(t, h.eventsKey, `[{"event":"delivered","sg_message_id":"m.1","timestamp":1}]`); code != http.StatusServiceUnavailable {
		t.Errorf("events with the database down answered %d, want 503", code)
	}
}

func TestSendGridBounceReasonsNameNoAddressInTheLogs(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := storetest.New(t, store.SQLite)
	h := newHarness(t, s, offline(), withLog(log))
	shop := h.mailingShop(t)
	emailID := h.sentEmail(t, shop.ID, "wren@example.net")
	h.deliverEvents(t, fmt.Sprintf(`[{"email":"wren@example.net","timestamp":1764115150,"event":"bounce","type":"bounce",`+
		`"reason":"550 5.1.1 <wren@example.net>: Recipient address rejected","sg_message_id":"msg-1.filter0001.1.0","email_id":"%d"}]`,
		emailID))
	if !suppressed(t, s, shop.ID, "wren@example.net") || !strings.Contains(logs.String(), "suppressed") {
		t.Fatalf("the bounce was not applied and logged; the test would prove nothing:\n%s", logs.String())
	}
	if strings.Contains(strings.ToLower(logs.String()), "wren@example.net") {
		t.Fatalf("the logs name the customer's address:\n%s", logs.String())
	}
}

func TestABlockedBounceThenASendToTheSameAddressIsSent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		fake := &fakeSendGrid{}
		h := newHarness(t, s, offline(), withSender(fake.start(t)))
		shop := h.mailingShop(t)
		emailID := h.sentEmail(t, shop.ID, "wren@example.net")
		h.deliverEvents(t, fmt.Sprintf(`[{"email":"wren@example.net","timestamp":1764115150,"event":"bounce","type":"blocked",`+
			`"reason":"421 4.7.0 try again later","sg_message_id":"msg-1.filter0001.1.0","email_id":"%d"}]`, emailID))
		if suppressed(t, s, shop.ID, "wren@example.net") {
			t.Fatal("a temporary block suppressed the address")
		}
		ctx := context.Background()
		var next int64
		err := h.dispatcher.InTx(ctx, s, func(tx *store.Tx, out *jobs.Outbox) error {
			var err error
			if next, _, err = tx.AddEmail(ctx, store.Email{ShopID: shop.ID, Kind: "ready", DedupeKey: "order:1:ready",
				OrderID: "1", ToEmail: "wren@example.net", Subject: "s", TextBody: "t", HTMLBody: "h"}); err != nil {
				return err
			}
			return jobs.QueueEmail(ctx, out, next, shop.ID, "ready", "1")
		})
		if err != nil {
			t.Fatal(err)
		}
		h.sendQueued(t)
		if e, _ := s.Email(ctx, next); e.Status != store.EmailSent || fake.accepted.Load() != 1 {
			t.Fatalf("the next email to a temporarily blocked address is %q after %d sends, want sent once", e.Status, fake.accepted.Load())
		}
	})
}
