package jobs

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
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
// it, per shop (a 403 may be one shop's unverified sender while the others'
// mail goes). A 401 or 403 (credits exhausted, key revoked, sender
// unverified) is the account's problem, not any message's: the messages
// wait, pending, and are retried; the operator sees it on a gauge, in
// /readyz's body and in one log line per change.
type MailAccount struct {
	mu      sync.Mutex
	refused map[int64]refusal // by shop

	gauge    prometheus.Gauge
	refusals prometheus.Counter
}

type refusal struct {
	err    error
	since  time.Time
	streak int
}

func newMailAccount(reg prometheus.Registerer) *MailAccount {
	a := &MailAccount{
		refused: map[int64]refusal{},
		gauge: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "backorderd_sendgrid_account_refused",
			Help: "Shops whose mail SendGrid refuses for the account (401/403: credits, key, sender): it waits and is retried.",
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
	shops := slices.Sorted(maps.Keys(a.refused))
	if len(shops) == 0 {
		return nil
	}
	r := a.refused[shops[0]]
	return fmt.Errorf("SendGrid refuses the account for shops %v since %s (%w); mail waits, retried at most %s apart",
		shops, r.since.UTC().Format(time.RFC3339), r.err, accountMaxDelay)
}

// refuse records a refusal of the shop's mail; it returns how many came
// in a row and whether the shop's mail was going until now.
func (a *MailAccount) refuse(shopID int64, err error) (streak int, changed bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.refusals.Inc()
	r, was := a.refused[shopID]
	if !was {
		r.since = time.Now()
	}
	r.err, r.streak = err, r.streak+1
	a.refused[shopID] = r
	a.gauge.Set(float64(len(a.refused)))
	return r.streak, !was
}

// accept records a message of the shop SendGrid took; it reports whether
// the shop's mail was refused until now.
func (a *MailAccount) accept(shopID int64) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, was := a.refused[shopID]
	delete(a.refused, shopID)
	a.gauge.Set(float64(len(a.refused)))
	return was
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
// relay mark it failed), nor does a store write waiting for its row's
// other writer.
func isFailure(err error) bool {
	var refusal *accountRefusal
	var busy *writeBusyError    // waits its turn behind another writer of its row
	var held *deliveryBusyError // waits for the batch that holds its delivery
	return !errors.As(err, &refusal) && !sendgrid.IsAccount(err) && !errors.As(err, &busy) && !errors.As(err, &held)
}
