package jobs

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/store"
)

// Metrics counts what the jobs do.
type Metrics struct {
	applied   *prometheus.CounterVec
	started   prometheus.Counter
	allocated prometheus.Counter
	drift     prometheus.Counter
	shortfall prometheus.Counter

	emails          *prometheus.CounterVec
	unknownOutcomes prometheus.Counter
	account         *MailAccount

	allocationLag prometheus.Histogram
	storeWrites   *prometheus.CounterVec
}

// NewMetrics registers the jobs' counters with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		applied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "backorderd_deliveries_applied_total",
			Help: "Recorded deliveries applied by their job, by outcome (processed, stale, rejected, shop_uninstalled).",
		}, []string{"outcome"}),
		started: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "backorderd_backorders_started_total",
			Help: "Order lines that started waiting (backorders created).",
		}),
		allocated: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "backorderd_units_allocated_total",
			Help: "Waiting units allocated from arriving stock.",
		}),
		drift: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "backorderd_drift_corrected_total",
			Help: "Backorder records the periodic full check found wrong and corrected.",
		}),
		shortfall: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "backorderd_shortfalls_total",
			Help: "Reconciles that found more units owed than known orders can carry.",
		}),
	}
	m.emails = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "backorderd_emails_total",
		Help: "Emails by kind (backordered, eta_changed, merchant_digest, …) and outcome status (sent, failed, not_sent, suppressed, held, …).",
	}, []string{"kind", "status"})
	m.allocationLag = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "backorderd_allocation_lag_seconds",
		Help:    "Time from the stock level that brought units (the store's time of it) to their allocation to waiting lines, per reconcile that allocated.",
		Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600},
	})
	m.storeWrites = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "backorderd_store_writes_total",
		Help: "Write-back calls to the stores' Admin APIs by kind (order, selling, stock, cancel, resolve) and outcome (written, retry, failed).",
	}, []string{"kind", "outcome"})
	m.unknownOutcomes = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "backorderd_email_unknown_outcomes_total",
		Help: "Email attempts whose outcome is unknown (no answer, or cut off in the provider call): sent again, possible duplicates.",
	})
	reg.MustRegister(m.applied, m.started, m.allocated, m.drift, m.shortfall, m.emails, m.unknownOutcomes,
		m.allocationLag, m.storeWrites)
	// Every write kind and outcome from the start, at zero: an alert on
	// a rate of failures needs the series before the first one.
	for _, kind := range []string{store.StoreWriteOrder, store.StoreWriteSelling, store.StoreWriteStock,
		store.StoreWriteCancel, store.StoreWriteResolve} {
		for _, outcome := range []string{"written", "retry", "failed"} {
			m.storeWrites.WithLabelValues(kind, outcome)
		}
	}
	m.account = newMailAccount(reg)
	return m
}

// MailAccount is the SendGrid account's state as the mailer found it.
func (m *Metrics) MailAccount() *MailAccount { return m.account }

// countChanges counts a reconcile's decision; one that allocated units
// observes the time since the stock level it allocated from (levelAt, zero:
// not known).
func (m *Metrics) countChanges(l backorder.Decision, levelAt, now time.Time) {
	allocated := 0
	for _, c := range l.Changes {
		if c.StartedWaiting {
			m.started.Inc()
		}
		allocated += c.NewlyAllocated
	}
	m.allocated.Add(float64(allocated))
	if allocated > 0 && !levelAt.IsZero() && now.After(levelAt) {
		m.allocationLag.Observe(now.Sub(levelAt).Seconds())
	}
}

// countEmail counts an email's outcome.
func (m *Metrics) countEmail(kind, status string) { m.emails.WithLabelValues(kind, status).Inc() }

// countStoreWrite counts a write-back call's outcome.
func (m *Metrics) countStoreWrite(kind, outcome string) {
	if m != nil {
		m.storeWrites.WithLabelValues(kind, outcome).Inc()
	}
}
