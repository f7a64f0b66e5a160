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
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/backorderd/backorderd/api"
	"github.com/backorderd/backorderd/integrations/sendgrid"
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

// eventsSite is a shop with one email to wren, sent as message msg-1, and
// the signed Event Webhook in front of it, logging to log.
type eventsSite struct {
	s       *store.Store
	d       *jobs.Dispatcher
	shopID  int64
	emailID int64
	key     *ecdsa.PrivateKey
	router  *gin.Engine
}

func newEventsSite(t *testing.T, s *store.Store, log *slog.Logger) eventsSite {
	t.Helper()
	ctx := context.Background()
	shop := store.NewShop(store.Shopify, "events.myshopify.com", "secret")
	shop.Name, shop.FromEmail, shop.MerchantEmail = "Harbor & Kiln", "shop@harborkiln.example", "owner@harborkiln.example"
	shop, err := s.AddShop(ctx, shop)
	if err != nil {
		t.Fatal(err)
	}
	// No Redis: the outbox rows are the record, enqueueing after commit
	// may fail.
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 10 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { _ = dead.Close() })
	d := jobs.NewDispatcher(asynq.NewClientFromRedisClient(dead), log)
	site := eventsSite{s: s, d: d, shopID: shop.ID}
	err = s.InTx(ctx, func(tx *store.Tx) error {
		if site.emailID, _, err = tx.AddEmail(ctx, store.Email{ShopID: shop.ID, Kind: "backordered", DedupeKey: "order:1:backordered",
			OrderID: "1", ToEmail: "wren@example.net", Subject: "s", TextBody: "t", HTMLBody: "h"}); err != nil {
			return err
		}
		if err := tx.BeginSend(ctx, site.emailID); err != nil {
			return err
		}
		return tx.SetEmailStatus(ctx, site.emailID, store.EmailSent, "msg-1", "")
	})
	if err != nil {
		t.Fatal(err)
	}
	site.key, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	gin.SetMode(gin.TestMode)
	site.router = gin.New()
	site.router.Use(api.RequestLog(log))
	webhooks.NewSendGridEvents(&site.key.PublicKey, jobs.NewEmailEvents(s, d, log), 1<<20,
		webhooks.NewMetrics(prometheus.NewRegistry())).Mount(site.router)
	return site
}

func (e eventsSite) post(t *testing.T, body string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/webhooks/sendgrid", bytes.NewReader([]byte(body)))
	req.Header.Set("X-Twilio-Email-Event-Webhook-Timestamp", "1764115200")
	req.Header.Set("X-Twilio-Email-Event-Webhook-Signature", signEvents(t, e.key, "1764115200", []byte(body)))
	rec := httptest.NewRecorder()
	e.router.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("events answered %d: %s", rec.Code, rec.Body)
	}
}

func TestSendGridBounceReasonsNameNoAddressInTheLogs(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	site := newEventsSite(t, storetest.New(t, store.SQLite), log)
	site.post(t, fmt.Sprintf(`[{"email":"wren@example.net","timestamp":1764115150,"event":"bounce","type":"bounce",`+
		`"reason":"550 5.1.1 <wren@example.net>: Recipient address rejected","sg_message_id":"msg-1.filter0001.1.0","email_id":"%d"}]`,
		site.emailID))
	if !suppressed(t, site.s, site.shopID, "wren@example.net") || !strings.Contains(logs.String(), "suppressed") {
		t.Fatalf("the bounce was not applied and logged; the test would prove nothing:\n%s", logs.String())
	}
	if strings.Contains(strings.ToLower(logs.String()), "wren@example.net") {
		t.Fatalf("the logs name the customer's address:\n%s", logs.String())
	}
}

func TestABlockedBounceThenASendToTheSameAddressIsSent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		site := newEventsSite(t, s, log)
		site.post(t, fmt.Sprintf(`[{"email":"wren@example.net","timestamp":1764115150,"event":"bounce","type":"blocked",`+
			`"reason":"421 4.7.0 try again later","sg_message_id":"msg-1.filter0001.1.0","email_id":"%d"}]`, site.emailID))
		if suppressed(t, s, site.shopID, "wren@example.net") {
			t.Fatal("a temporary block suppressed the address")
		}
		var accepted atomic.Int32
		fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			accepted.Add(1)
			w.Header().Set("X-Message-Id", "msg-2")
			w.WriteHeader(http.StatusAccepted)
		}))
		defer fake.Close()
		ctx := context.Background()
		var next int64
		err := site.d.InTx(ctx, s, func(tx *store.Tx, out *jobs.Outbox) error {
			var err error
			if next, _, err = tx.AddEmail(ctx, store.Email{ShopID: site.shopID, Kind: "ready", DedupeKey: "order:1:ready",
				OrderID: "1", ToEmail: "wren@example.net", Subject: "s", TextBody: "t", HTMLBody: "h"}); err != nil {
				return err
			}
			return jobs.QueueEmail(ctx, out, next)
		})
		if err != nil {
			t.Fatal(err)
		}
		tasks, err := s.UnfinishedOutbox(ctx, time.Now().Add(time.Hour), 0, 10)
		if err != nil || len(tasks) != 1 {
			t.Fatalf("send tasks = %v, %v", tasks, err)
		}
		mailer := jobs.NewMailer(s, site.d, sendgrid.New("SG.test", fake.URL, time.Second), jobs.NewMetrics(prometheus.NewRegistry()), log)
		task := asynq.NewTask(jobs.TypeSendEmail, []byte(fmt.Sprintf(`{"id":%d}`, tasks[0].ID)))
		if err := mailer.Handler().ProcessTask(ctx, task); err != nil {
			t.Fatal(err)
		}
		if e, _ := s.Email(ctx, next); e.Status != store.EmailSent || accepted.Load() != 1 {
			t.Fatalf("the next email to a temporarily blocked address is %q after %d sends, want sent once", e.Status, accepted.Load())
		}
	})
}
