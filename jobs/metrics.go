package jobs

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/backorderd/backorderd/backorder"
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
		Help: "Emails by outcome (sent, failed, not_sent, suppressed, no_address).",
	}, []string{"status"})
	m.unknownOutcomes = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "backorderd_email_unknown_outcomes_total",
		Help: "Email attempts whose outcome is unknown (no answer, or cut off in the provider call): sent again, possible duplicates.",
	})
	reg.MustRegister(m.applied, m.started, m.allocated, m.drift, m.shortfall, m.emails, m.unknownOutcomes)
	m.account = newMailAccount(reg)
	return m
}

// MailAccount is the SendGrid account's state as the mailer found it.
func (m *Metrics) MailAccount() *MailAccount { return m.account }

func (m *Metrics) countChanges(l backorder.Decision) {
	for _, c := range l.Changes {
		if c.StartedWaiting {
			m.started.Inc()
		}
		m.allocated.Add(float64(c.NewlyAllocated))
	}
}
