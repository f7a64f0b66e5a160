package webhooks

import "github.com/prometheus/client_golang/prometheus"

// Metrics counts what the receiver does with deliveries.
type Metrics struct {
	deliveries *prometheus.CounterVec
	refused    *prometheus.CounterVec
	// batchSize and waiting show the group commit at work.
	batchSize prometheus.Histogram
	waiting   prometheus.Gauge
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
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "backorderd_webhook_batch_size",
			Help:    "Deliveries recorded in one inbox write (group commit): 1 when they come one at a time, more under load.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128},
		}),
		waiting: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "backorderd_webhook_waiting",
			Help: "Deliveries queued for the next inbox write, while the writes in progress finish.",
		}),
	}
	reg.MustRegister(m.deliveries, m.refused, m.batchSize, m.waiting)
	return m
}
