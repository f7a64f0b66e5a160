package webhooks_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
	"github.com/backorderd/backorderd/webhooks"
)

func signEvents(t *testing.T, key *ecdsa.PrivateKey, ts string, body []byte) string {
	t.Helper()
	h := sha256.Sum256(append([]byte(ts), body...))
	sig, err := ecdsa.SignASN1(rand.Reader, key, h[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

func TestSendGridEventsAreVerifiedDeduplicatedAndSuppressBounces(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := newHarness(t, s, nil)
		ctx := context.Background()
		shop := h.shop
		shop.MerchantEmail, shop.FromEmail, shop.Name = "owner@harborkiln.example", "shop@harborkiln.example", "Harbor & Kiln"
		if _, err := s.UpdateShop(ctx, shop); err != nil {
			t.Fatal(err)
		}
		var emailID int64
		err := s.InTx(ctx, func(tx *store.Tx) error {
			var err error
			if emailID, _, err = tx.AddEmail(ctx, store.Email{ShopID: shop.ID, Kind: "backordered", DedupeKey: "order:1:backordered",
				OrderID: "1", ToEmail: "Wren@Example.net", Subject: "s", TextBody: "t", HTMLBody: "h"}); err != nil {
				return err
			}
			return tx.SetEmailStatus(ctx, emailID, store.EmailSent, "msg-1", "")
		})
		if err != nil {
			t.Fatal(err)
		}
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		r := gin.New()
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		webhooks.NewSendGridEvents(&key.PublicKey, jobs.NewEmailEvents(s, h.dispatcher, log), 1<<20,
			h.wm).Mount(r)
		post := func(signer *ecdsa.PrivateKey, body string) int {
			req := httptest.NewRequest(http.MethodPost, "/webhooks/sendgrid", bytes.NewReader([]byte(body)))
			req.Header.Set("X-Twilio-Email-Event-Webhook-Timestamp", "1764115200")
			req.Header.Set("X-Twilio-Email-Event-Webhook-Signature", signEvents(t, signer, "1764115200", []byte(body)))
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, req)
			return rec.Code
		}
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

func suppressed(t *testing.T, s *store.Store, shopID int64, address string) bool {
	t.Helper()
	var yes bool
	err := s.InTx(context.Background(), func(tx *store.Tx) error {
		var err error
		yes, err = tx.Suppressed(context.Background(), shopID, address)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return yes
}

// downEvents is a database that cannot take events.
type downEvents struct{}

func (downEvents) RecordEmailEvents(context.Context, []store.EmailEvent) error {
	return errors.New("dial tcp 127.0.0.1:5432: connection refused")
}

func TestSendGridEventsBadBodyAndDatabaseDown(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	post := func(r webhooks.EventRecorder, body string) int {
		gin.SetMode(gin.TestMode)
		router := gin.New()
		webhooks.NewSendGridEvents(&key.PublicKey, r, 1<<20, webhooks.NewMetrics(prometheus.NewRegistry())).Mount(router)
		req := httptest.NewRequest(http.MethodPost, "/webhooks/sendgrid", bytes.NewReader([]byte(body)))
		req.Header.Set("X-Twilio-Email-Event-Webhook-Timestamp", "1764115200")
		req.Header.Set("X-Twilio-Email-Event-Webhook-Signature", signEvents(t, key, "1764115200", []byte(body)))
		rec := httptest.NewRecorder()
		router.ServeHTTP(rec, req)
		return rec.Code
	}
	// Signed but not a list of events: SendGrid resending it cannot help.
	if code := post(downEvents{}, `{"not":"a list"`); code != http.StatusOK {
		t.Errorf("malformed events answered %d, want 200", code)
	}
	// The database cannot take them: 503, and SendGrid retries for a day.
	if code := post(downEvents{}, `[{"event":"delivered","sg_message_id":"m.1","timestamp":1}]`); code != http.StatusServiceUnavailable {
		t.Errorf("events with the database down answered %d, want 503", code)
	}
}
