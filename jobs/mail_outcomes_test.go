package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/backorderd/backorderd/integrations/sendgrid"
	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// metricValue reads a gauge or counter without labels from reg.
func metricValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if m.GetGauge() != nil {
				return m.GetGauge().GetValue()
			}
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

func sendTask(outboxID int64) *asynq.Task {
	return asynq.NewTask(jobs.TypeSendEmail, []byte(fmt.Sprintf(`{"id":%d}`, outboxID)))
}

func TestAnAccountSendGridRefusesWaitsAndIsSentOnceWhenFixed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		m := newMailEnv(t, s)
		var calls, accepted atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			if calls.Add(1) <= 3 {
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = w.Write([]byte(`{"errors":[{"field":null,"message":"Maximum credits exceeded"}]}`))
				return
			}
			accepted.Add(1)
			w.Header().Set("X-Message-Id", "msg-ok")
			w.WriteHeader(http.StatusAccepted)
		}))
		defer srv.Close()
		reg := prometheus.NewRegistry()
		metrics := jobs.NewMetrics(reg)
		mailer := jobs.NewMailer(s, m.d, sendgrid.New("SG.test", srv.URL, time.Second), metrics, m.log)
		emailID, task := m.queue(t, "k")
		ctx := context.Background()
		for i := 0; i < 3; i++ {
			err := mailer.Handler().ProcessTask(ctx, sendTask(task))
			if err == nil || errors.Is(err, asynq.SkipRetry) {
				t.Fatalf("attempt %d under a refused account = %v, want a retry", i, err)
			}
			if e := m.email(t, emailID); e.Status != store.EmailPending {
				t.Fatalf("attempt %d: email %q (%s), want pending: never failed for the account", i, e.Status, e.Reason)
			}
			if metricValue(t, reg, "backorderd_sendgrid_account_refused") != 1 || metrics.MailAccount().Check(ctx) == nil {
				t.Fatalf("attempt %d: the account refusal is not shown to the operator", i)
			}
		}
		if err := mailer.Handler().ProcessTask(ctx, sendTask(task)); err != nil {
			t.Fatalf("the account is fixed: %v", err)
		}
		if err := mailer.Handler().ProcessTask(ctx, sendTask(task)); err != nil {
			t.Fatal(err)
		}
		e := m.email(t, emailID)
		if e.Status != store.EmailSent || accepted.Load() != 1 || e.UnknownOutcomes != 0 {
			t.Fatalf("email %+v after %d accepted, want sent once", e, accepted.Load())
		}
		if metricValue(t, reg, "backorderd_sendgrid_account_refused") != 0 || metrics.MailAccount().Check(ctx) != nil {
			t.Fatal("the account refusal is still shown after a message went")
		}
		if got := metricValue(t, reg, "backorderd_sendgrid_account_refusals_total"); got != 3 {
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
		m := newMailEnv(t, s)
		f := &fakeSendGrid{replies: []int{http.StatusAccepted}}
		sg := f.start(t)
		emailID, task := m.queue(t, "k")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		flaky := &flakyStore{Store: s, fail: 3, cancel: cancel}
		mailer := jobs.NewMailer(flaky, m.d, sg, jobs.NewMetrics(prometheus.NewRegistry()), m.log)
		err := mailer.Handler().ProcessTask(ctx, sendTask(task))
		// Whatever it answered, asynq may deliver the task again.
		_ = mailer.Handler().ProcessTask(context.Background(), sendTask(task))
		e := m.email(t, emailID)
		if err != nil || e.Status != store.EmailSent || f.accepted.Load() != 1 || e.UnknownOutcomes != 0 {
			t.Fatalf("first run %v; email %+v after %d sends: want recorded sent, sent once", err, e, f.accepted.Load())
		}
	})
}

func TestATimeoutAfterSendingLeavesTheEmailSendingCountedAndSendsAgain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		m := newMailEnv(t, s)
		var calls atomic.Int32
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if calls.Add(1) == 1 {
				select { // hangs past the client's timeout
				case <-release:
				case <-r.Context().Done():
				}
				return
			}
			w.Header().Set("X-Message-Id", "msg-2")
			w.WriteHeader(http.StatusAccepted)
		}))
		defer srv.Close()
		defer close(release)
		reg := prometheus.NewRegistry()
		mailer := jobs.NewMailer(s, m.d, sendgrid.New("SG.test", srv.URL, 100*time.Millisecond), jobs.NewMetrics(reg), m.log)
		emailID, task := m.queue(t, "k")
		if err := mailer.Handler().ProcessTask(context.Background(), sendTask(task)); err == nil {
			t.Fatal("a send with no answer returned nil: asynq would not try again")
		}
		e := m.email(t, emailID)
		if e.Status != store.EmailSending || e.UnknownOutcomes != 1 || metricValue(t, reg, "backorderd_email_unknown_outcomes_total") != 1 {
			t.Fatalf("after no answer: email %+v, want sending with the unknown outcome counted", e)
		}
		if err := mailer.Handler().ProcessTask(context.Background(), sendTask(task)); err != nil {
			t.Fatal(err)
		}
		e = m.email(t, emailID)
		if e.Status != store.EmailSent || calls.Load() != 2 || e.UnknownOutcomes != 1 || e.Attempts != 2 ||
			metricValue(t, reg, "backorderd_email_unknown_outcomes_total") != 1 {
			t.Fatalf("next attempt: email %+v after %d calls, want sent again, counted once", e, calls.Load())
		}
	})
}
