package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/backorderd/backorderd/integrations/sendgrid"
	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// fakeSendGrid answers each send with the next status of replies (the last
// repeats) and counts the messages it accepted.
type fakeSendGrid struct {
	replies  []int
	calls    atomic.Int32
	accepted atomic.Int32
}

func (f *fakeSendGrid) start(t *testing.T) *sendgrid.Client {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(f.calls.Add(1)) - 1
		status := f.replies[min(n, len(f.replies)-1)]
		if status == http.StatusTooManyRequests {
			w.Header().Set("X-RateLimit-Reset", strconv.FormatInt(time.Now().Add(time.Second).Unix(), 10))
		}
		if status < 300 {
			f.accepted.Add(1)
			w.Header().Set("X-Message-Id", fmt.Sprint("msg-", n))
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return sendgrid.New("SG.test", srv.URL, 2*time.Second)
}

type mailEnv struct {
	s      *store.Store
	d      *jobs.Dispatcher
	shopID int64
	log    *slog.Logger
}

func newMailEnv(t *testing.T, s *store.Store) mailEnv {
	ctx := context.Background()
	shop := store.NewShop(store.Shopify, "m.myshopify.com", "s")
	shop.Name, shop.FromEmail, shop.ReplyTo = "Harbor & Kiln", "shop@example.com", "orders@example.com"
	shop, err := s.AddShop(ctx, shop)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 10 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { _ = dead.Close() })
	return mailEnv{s: s, d: jobs.NewDispatcher(asynq.NewClientFromRedisClient(dead), log), shopID: shop.ID, log: log}
}

// queue writes an email and its send task; it returns both ids.
func (m mailEnv) queue(t *testing.T, key string) (emailID, outboxID int64) {
	ctx := context.Background()
	err := m.d.InTx(ctx, m.s, func(tx *store.Tx, out *jobs.Outbox) error {
		id, _, err := tx.AddEmail(ctx, store.Email{ShopID: m.shopID, Kind: "backordered", DedupeKey: key, OrderID: "1",
			ToEmail: "wren@example.net", Subject: "Your order #1", TextBody: "t", HTMLBody: "<p>h</p>"})
		if err != nil {
			return err
		}
		emailID = id
		return jobs.QueueEmail(ctx, out, id)
	})
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := m.s.UnfinishedOutbox(ctx, time.Now().Add(time.Hour), 0, 100)
	if err != nil || len(tasks) == 0 {
		t.Fatalf("send task: %v", err)
	}
	return emailID, tasks[len(tasks)-1].ID
}

func (m mailEnv) send(sender jobs.MailSender, outboxID int64) error {
	mailer := jobs.NewMailer(m.s, m.d, sender, jobs.NewMetrics(prometheus.NewRegistry()), m.log)
	return mailer.Handler().ProcessTask(context.Background(), asynq.NewTask(jobs.TypeSendEmail, []byte(fmt.Sprintf(`{"id":%d}`, outboxID))))
}

func (m mailEnv) email(t *testing.T, id int64) store.Email {
	e, err := m.s.Email(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestRateLimitedThenAcceptedIsOneMessage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		m := newMailEnv(t, s)
		f := &fakeSendGrid{replies: []int{http.StatusTooManyRequests, http.StatusAccepted}}
		sg := f.start(t)
		emailID, task := m.queue(t, "k")
		err := m.send(sg, task)
		if err == nil || sendgrid.RetryAfter(err) <= 0 {
			t.Fatalf("first attempt = %v, want a retry after the rate limit resets", err)
		}
		if e := m.email(t, emailID); e.Status != store.EmailPending {
			t.Fatalf("after a 429 the email is %q, want pending", e.Status)
		}
		if err := m.send(sg, task); err != nil {
			t.Fatalf("retry: %v", err)
		}
		// asynq delivers it once more (at least once): nothing is sent.
		if err := m.send(sg, task); err != nil {
			t.Fatal(err)
		}
		e := m.email(t, emailID)
		if f.accepted.Load() != 1 || e.Status != store.EmailSent || e.ProviderMessageID != "msg-1" || e.Attempts != 2 || e.UnknownOutcomes != 0 {
			t.Fatalf("accepted %d, email %+v; want exactly one message, sent", f.accepted.Load(), e)
		}
	})
}

func TestRefusedIsFailedAndNotRetried(t *testing.T) {
	m := newMailEnv(t, storetest.New(t, store.SQLite))
	f := &fakeSendGrid{replies: []int{http.StatusBadRequest}}
	sg := f.start(t)
	emailID, task := m.queue(t, "k")
	if err := m.send(sg, task); err != nil {
		t.Fatalf("a permanent refusal returned %v: asynq would retry it", err)
	}
	if err := m.send(sg, task); err != nil || f.calls.Load() != 1 {
		t.Fatalf("the refused email was tried again (%d calls, %v)", f.calls.Load(), err)
	}
	if e := m.email(t, emailID); e.Status != store.EmailFailed || e.Reason == "" {
		t.Fatalf("email = %+v, want failed with the reason", e)
	}
}

func TestServerErrorsAreRetried(t *testing.T) {
	m := newMailEnv(t, storetest.New(t, store.SQLite))
	f := &fakeSendGrid{replies: []int{http.StatusBadGateway, http.StatusAccepted}}
	sg := f.start(t)
	emailID, task := m.queue(t, "k")
	if err := m.send(sg, task); err == nil || errors.Is(err, asynq.SkipRetry) {
		t.Fatalf("a 502 = %v, want a retryable error", err)
	}
	if err := m.send(sg, task); err != nil {
		t.Fatal(err)
	}
	if e := m.email(t, emailID); e.Status != store.EmailSent || f.accepted.Load() != 1 {
		t.Fatalf("email = %+v", e)
	}
}

func TestAttemptCutOffMidCallIsSentAgainAndCounted(t *testing.T) {
	m := newMailEnv(t, storetest.New(t, store.SQLite))
	f := &fakeSendGrid{replies: []int{http.StatusAccepted}}
	sg := f.start(t)
	emailID, task := m.queue(t, "k")
	// An earlier attempt recorded its start, then the process died in the call.
	err := m.s.InTx(context.Background(), func(tx *store.Tx) error { return tx.BeginSend(context.Background(), emailID) })
	if err != nil {
		t.Fatal(err)
	}
	if err := m.send(sg, task); err != nil {
		t.Fatal(err)
	}
	if e := m.email(t, emailID); e.Status != store.EmailSent || e.UnknownOutcomes != 1 || e.Attempts != 2 {
		t.Fatalf("email = %+v, want sent again with the unknown outcome counted", e)
	}
}

func TestWithoutAProviderMailIsKeptNotDropped(t *testing.T) {
	m := newMailEnv(t, storetest.New(t, store.SQLite))
	emailID, task := m.queue(t, "k")
	if err := m.send(nil, task); err != nil {
		t.Fatal(err)
	}
	e := m.email(t, emailID)
	if e.Status != store.EmailNotSent || e.TextBody == "" || e.HTMLBody == "" {
		t.Fatalf("email = %+v, want not_sent with its rendered parts kept", e)
	}
}

func TestSuppressedAddressIsNotMailed(t *testing.T) {
	m := newMailEnv(t, storetest.New(t, store.SQLite))
	f := &fakeSendGrid{replies: []int{http.StatusAccepted}}
	sg := f.start(t)
	emailID, task := m.queue(t, "k")
	ctx := context.Background()
	err := m.s.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.SetEmailStatus(ctx, emailID, store.EmailSent, "msg-0", ""); err != nil {
			return err
		}
		_, err := tx.ApplyEmailEvents(ctx, []store.EmailEvent{{SGMessageID: "msg-0.f", MessageID: "msg-0", Event: "bounce", Timestamp: 1, Suppress: true}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = task
	next, nextTask := m.queue(t, "k2")
	if err := m.send(sg, nextTask); err != nil {
		t.Fatal(err)
	}
	if e := m.email(t, next); e.Status != store.EmailSuppressed || f.calls.Load() != 0 {
		t.Fatalf("email to a bounced address = %+v after %d calls, want suppressed and not sent", e, f.calls.Load())
	}
}
