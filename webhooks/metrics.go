package webhooks

import "github.com/prometheus/client_golang/prometheus"

// Metrics counts what the receiver does with deliveries.
type Metrics struct {
	deliveries *prometheus.CounterVec
	refused    *prometheus.CounterVec
}

// NewMetrics registers the receiver's counters with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "backorderd_webhook_deliveries_total",
			Help: "Webhook deliveries by platform and outcome (accepted, duplicate, spooled, ignored_topic, ping, unauthorized, too_large, unreadable, unavailable).",
		}, []string{"platform", "outcome"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "backorderd_webhook_refused_total",
			Help: "Webhook deliveries answered 401, by platform and reason (bad signature, unknown shop, no shop header).",
		}, []string{"platform", "reason"}),
	}
	reg.MustRegister(m.deliveries, m.refused)
	return m
}
