package jobs

import "github.com/prometheus/client_golang/prometheus"

// Metrics counts what the jobs do.
type Metrics struct {
	applied *prometheus.CounterVec
}

// NewMetrics registers the jobs' counters with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		applied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "backorderd_deliveries_applied_total",
			Help: "Recorded deliveries applied by their job, by outcome (processed, stale, rejected, shop_uninstalled).",
		}, []string{"outcome"}),
	}
	reg.MustRegister(m.applied)
	return m
}
