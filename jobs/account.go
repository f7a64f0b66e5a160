package jobs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/backorderd/backorderd/integrations/sendgrid"
)

// accountMaxDelay caps the wait between retries of a message SendGrid
// refused for the account's sake, so that mail flows again soon after the
// account is fixed.
const accountMaxDelay = 5 * time.Minute

// MailAccount is the SendGrid account as this process's last sends found
// it. A 401 or 403 (credits exhausted, key revoked, sender unverified) is
// the account's problem, not any message's: the messages wait, pending,
// and are retried; the operator sees it on a gauge, in /readyz's body and
// in one log line per change.
type MailAccount struct {
	mu      sync.Mutex
	refused error
	since   time.Time
	streak  int

	gauge    prometheus.Gauge
	refusals prometheus.Counter
}

func newMailAccount(reg prometheus.Registerer) *MailAccount {
	a := &MailAccount{
		gauge: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "backorderd_sendgrid_account_refused",
			Help: "1 while SendGrid refuses the account (401/403: credits, key, sender): mail waits and is retried.",
		}),
		refusals: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "backorderd_sendgrid_account_refusals_total",
			Help: "Sends SendGrid refused for the account's sake (401/403).",
		}),
	}
	reg.MustRegister(a.gauge, a.refusals)
	return a
}

// Check is nil while the account takes mail, or says since when and why
// it does not. It is a detail for operators, never a reason to be unready.
func (a *MailAccount) Check(context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.refused == nil {
		return nil
	}
	return fmt.Errorf("SendGrid refuses the account since %s (%w); mail waits, retried at most %s apart",
		a.since.UTC().Format(time.RFC3339), a.refused, accountMaxDelay)
}

// refuse records a refusal; it returns how many came in a row and
// whether the account was taking mail until now.
func (a *MailAccount) refuse(err error) (streak int, changed bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.refusals.Inc()
	changed = a.refused == nil
	if changed {
		a.since = time.Now()
		a.gauge.Set(1)
	}
	a.refused = err
	a.streak++
	return a.streak, changed
}

// accept records a message SendGrid took; it reports whether the account
// was refused until now.
func (a *MailAccount) accept() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	changed := a.refused != nil
	a.refused, a.streak = nil, 0
	a.gauge.Set(0)
	return changed
}

// accountRefusal is a send refused for the account's sake, the streak-th
// in a row: it is retried with a backoff of its own and never uses up the
// task's retries.
type accountRefusal struct {
	err    error
	streak int
}

func (e *accountRefusal) Error() string { return e.err.Error() }
func (e *accountRefusal) Unwrap() error { return e.err }

// accountDelay is 10 s, doubling with the streak, at most accountMaxDelay.
func accountDelay(streak int) time.Duration {
	return min(10*time.Second<<min(max(streak-1, 0), 10), accountMaxDelay)
}

// isFailure says whether err uses up one of the task's retries: a refused
// account does not (asynq would archive the message in the end, and the
// relay mark it failed).
func isFailure(err error) bool {
	var refusal *accountRefusal
	return !errors.As(err, &refusal) && !sendgrid.IsAccount(err)
}
