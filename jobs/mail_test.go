package jobs_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/integrations/sendgrid"
	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func TestRateLimitedThenAcceptedIsOneMessage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		m := jobs.NewHarness(t, s, jobs.Offline())
		shop := m.MailShop()
		f := &jobs.FakeSendGrid{Replies: []int{http.StatusTooManyRequests, http.StatusAccepted}}
		sg := f.Start(t)
		emailID, task := m.QueueEmail(shop.ID, "k")
		err := m.SendWith(sg, task)
		if err == nil || sendgrid.RetryAfter(err) <= 0 {
			t.Fatalf("first attempt = %v, want a retry after the rate limit resets", err)
		}
		if e := m.Email(emailID); e.Status != store.EmailPending {
			t.Fatalf("after a 429 the email is %q, want pending", e.Status)
		}
		if err := m.SendWith(sg, task); err != nil {
			t.Fatalf("retry: %v", err)
		}
		// asynq delivers it once more (at least once): nothing is sent.
		if err := m.SendWith(sg, task); err != nil {
			t.Fatal(err)
		}
		e := m.Email(emailID)
		if f.Accepted.Load() != 1 || e.Status != store.EmailSent || e.ProviderMessageID != "msg-1" || e.Attempts != 2 || e.UnknownOutcomes != 0 {
			t.Fatalf("accepted %d, email %+v; want exactly one message, sent", f.Accepted.Load(), e)
		}
	})
}

func TestRefusedIsFailedAndNotRetried(t *testing.T) {
	m := jobs.NewHarness(t, storetest.New(t, store.SQLite), jobs.Offline())
	shop := m.MailShop()
	f := &jobs.FakeSendGrid{Replies: []int{http.StatusBadRequest}}
	sg := f.Start(t)
	emailID, task := m.QueueEmail(shop.ID, "k")
	if err := m.SendWith(sg, task); err != nil {
		t.Fatalf("a permanent refusal returned %v: asynq would retry it", err)
	}
	if err := m.SendWith(sg, task); err != nil || f.Calls.Load() != 1 {
		t.Fatalf("the refused email was tried again (%d calls, %v)", f.Calls.Load(), err)
	}
	if e := m.Email(emailID); e.Status != store.EmailFailed || e.Reason == "" {
		t.Fatalf("email = %+v, want failed with the reason", e)
	}
}

func TestServerErrorsAreRetried(t *testing.T) {
	m := jobs.NewHarness(t, storetest.New(t, store.SQLite), jobs.Offline())
	shop := m.MailShop()
	f := &jobs.FakeSendGrid{Replies: []int{http.StatusBadGateway, http.StatusAccepted}}
	sg := f.Start(t)
	emailID, task := m.QueueEmail(shop.ID, "k")
	if err := m.SendWith(sg, task); err == nil || errors.Is(err, asynq.SkipRetry) {
		t.Fatalf("a 502 = %v, want a retryable error", err)
	}
	if err := m.SendWith(sg, task); err != nil {
		t.Fatal(err)
	}
	if e := m.Email(emailID); e.Status != store.EmailSent || f.Accepted.Load() != 1 {
		t.Fatalf("email = %+v", e)
	}
}

func TestAttemptCutOffMidCallIsSentAgainAndCounted(t *testing.T) {
	m := jobs.NewHarness(t, storetest.New(t, store.SQLite), jobs.Offline())
	shop := m.MailShop()
	f := &jobs.FakeSendGrid{Replies: []int{http.StatusAccepted}}
	sg := f.Start(t)
	emailID, task := m.QueueEmail(shop.ID, "k")
	// An earlier attempt recorded its start, then the process died in the call.
	err := m.Store.InTx(context.Background(), func(tx *store.Tx) error { return tx.BeginSend(context.Background(), emailID) })
	if err != nil {
		t.Fatal(err)
	}
	if err := m.SendWith(sg, task); err != nil {
		t.Fatal(err)
	}
	if e := m.Email(emailID); e.Status != store.EmailSent || e.UnknownOutcomes != 1 || e.Attempts != 2 {
		t.Fatalf("email = %+v, want sent again with the unknown outcome counted", e)
	}
}

func TestWithoutAProviderMailIsKeptNotDropped(t *testing.T) {
	m := jobs.NewHarness(t, storetest.New(t, store.SQLite), jobs.Offline())
	shop := m.MailShop()
	emailID, task := m.QueueEmail(shop.ID, "k")
	if err := m.SendWith(nil, task); err != nil {
		t.Fatal(err)
	}
	e := m.Email(emailID)
	if e.Status != store.EmailNotSent || e.TextBody == "" || e.HTMLBody == "" {
		t.Fatalf("email = %+v, want not_sent with its rendered parts kept", e)
	}
}

func TestSuppressedAddressIsNotMailed(t *testing.T) {
	m := jobs.NewHarness(t, storetest.New(t, store.SQLite), jobs.Offline())
	shop := m.MailShop()
	f := &jobs.FakeSendGrid{Replies: []int{http.StatusAccepted}}
	sg := f.Start(t)
	emailID, task := m.QueueEmail(shop.ID, "k")
	ctx := context.Background()
	err := m.Store.InTx(ctx, func(tx *store.Tx) error {
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
	next, nextTask := m.QueueEmail(shop.ID, "k2")
	if err := m.SendWith(sg, nextTask); err != nil {
		t.Fatal(err)
	}
	if e := m.Email(next); e.Status != store.EmailSuppressed || f.Calls.Load() != 0 {
		t.Fatalf("email to a bounced address = %+v after %d calls, want suppressed and not sent", e, f.Calls.Load())
	}
}
