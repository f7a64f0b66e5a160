package jobs_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func TestAnAccountSendGridRefusesWaitsAndIsSentOnceWhenFixed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := &jobs.FakeSendGrid{Replies: []int{http.StatusUnauthorized, http.StatusUnauthorized, http.StatusUnauthorized,
			http.StatusAccepted}, Timeout: time.Second}
		m := jobs.NewHarness(t, s, jobs.Offline(), jobs.WithSender(f.Start(t)))
		shop := m.MailShop()
		metrics := m.Metrics
		emailID, task := m.QueueEmail(shop.ID, "k")
		ctx := context.Background()
		for i := 0; i < 3; i++ {
			err := m.Send(task)
			if err == nil || errors.Is(err, asynq.SkipRetry) {
				t.Fatalf("attempt %d under a refused account = %v, want a retry", i, err)
			}
			if e := m.Email(emailID); e.Status != store.EmailPending {
				t.Fatalf("attempt %d: email %q (%s), want pending: never failed for the account", i, e.Status, e.Reason)
			}
			if m.Metric("backorderd_sendgrid_account_refused") != 1 || metrics.MailAccount().Check(ctx) == nil {
				t.Fatalf("attempt %d: the account refusal is not shown to the operator", i)
			}
		}
		if err := m.Send(task); err != nil {
			t.Fatalf("the account is fixed: %v", err)
		}
		if err := m.Send(task); err != nil {
			t.Fatal(err)
		}
		e := m.Email(emailID)
		if e.Status != store.EmailSent || f.Accepted.Load() != 1 || e.UnknownOutcomes != 0 {
			t.Fatalf("email %+v after %d accepted, want sent once", e, f.Accepted.Load())
		}
		if m.Metric("backorderd_sendgrid_account_refused") != 0 || metrics.MailAccount().Check(ctx) != nil {
			t.Fatal("the account refusal is still shown after a message went")
		}
		if got := m.Metric("backorderd_sendgrid_account_refusals_total"); got != 3 {
			t.Errorf("refusals counted = %v, want 3", got)
		}
	})
}

// flakyStore loses the commit of the writes after the first (the
// attempt's start) while fail > 0, cancelling the task's context at the
// first loss, as a shutdown would.
type flakyStore struct {
	*store.Store
	calls  int
	fail   int
	cancel context.CancelFunc
}

func (f *flakyStore) InTx(ctx context.Context, fn func(tx *store.Tx) error) error {
	f.calls++
	if f.calls == 1 || f.fail == 0 {
		return f.Store.InTx(ctx, fn)
	}
	f.fail--
	f.cancel()
	return f.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return errors.New("write failed: connection reset by peer")
	})
}

func TestAcceptedButNotRecordedAtFirstIsRecordedNotSentAgain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		m := jobs.NewHarness(t, s, jobs.Offline())
		shop := m.MailShop()
		f := &jobs.FakeSendGrid{Replies: []int{http.StatusAccepted}}
		sg := f.Start(t)
		emailID, task := m.QueueEmail(shop.ID, "k")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		flaky := &flakyStore{Store: s, fail: 3, cancel: cancel}
		mailer := jobs.NewMailer(flaky, m.Dispatcher, sg, jobs.NewMetrics(prometheus.NewRegistry()), m.Log)
		err := mailer.Handler().ProcessTask(ctx, jobs.SendTask(task))
		// Whatever it answered, asynq may deliver the task again.
		_ = mailer.Handler().ProcessTask(context.Background(), jobs.SendTask(task))
		e := m.Email(emailID)
		if err != nil || e.Status != store.EmailSent || f.Accepted.Load() != 1 || e.UnknownOutcomes != 0 {
			t.Fatalf("first run %v; email %+v after %d sends: want recorded sent, sent once", err, e, f.Accepted.Load())
		}
	})
}

func TestATimeoutAfterSendingLeavesTheEmailSendingCountedAndSendsAgain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		// The first send hangs past the client's timeout.
		f := &jobs.FakeSendGrid{Replies: []int{jobs.NoAnswer, http.StatusAccepted}, Timeout: 100 * time.Millisecond}
		m := jobs.NewHarness(t, s, jobs.Offline(), jobs.WithSender(f.Start(t)))
		shop := m.MailShop()
		emailID, task := m.QueueEmail(shop.ID, "k")
		if err := m.Send(task); err == nil {
			t.Fatal("a send with no answer returned nil: asynq would not try again")
		}
		e := m.Email(emailID)
		if e.Status != store.EmailSending || e.UnknownOutcomes != 1 || m.Metric("backorderd_email_unknown_outcomes_total") != 1 {
			t.Fatalf("after no answer: email %+v, want sending with the unknown outcome counted", e)
		}
		if err := m.Send(task); err != nil {
			t.Fatal(err)
		}
		e = m.Email(emailID)
		if e.Status != store.EmailSent || f.Calls.Load() != 2 || e.UnknownOutcomes != 1 || e.Attempts != 2 ||
			m.Metric("backorderd_email_unknown_outcomes_total") != 1 {
			t.Fatalf("next attempt: email %+v after %d calls, want sent again, counted once", e, f.Calls.Load())
		}
	})
}
