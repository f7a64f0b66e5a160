package webhooks

import (
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts what the receiver does with deliveries.
type Metrics struct {
	deliveries *prometheus.CounterVec
	refused    *prometheus.CounterVec
	// timeTo2xx is how long a delivery took to be acknowledged.
	timeTo2xx *prometheus.HistogramVec
	// batchSize and waiting show the group commit at work.
	batchSize prometheus.Histogram
	waiting   prometheus.Gauge
}

// NewMetrics registers the receiver's counters with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "backorderd_webhook_deliveries_total",
			Help: "Webhook deliveries by platform, topic (verified deliveries of a topic backorderd acts on; \"other\" for the topics it ignores, \"\" before the signature is checked) and outcome (accepted, duplicate, spooled, ignored_topic, ping, unauthorized, too_large, unreadable, unavailable).",
		}, []string{"platform", "topic", "outcome"}),
		timeTo2xx: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "backorderd_webhook_time_to_2xx_seconds",
			Help:    "Time from a delivery's arrival to its 2xx answer, by platform (Shopify gives up after 5 s).",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"platform"}),
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
	reg.MustRegister(m.deliveries, m.refused, m.timeTo2xx, m.batchSize, m.waiting)
	for _, platform := range []string{"shopify", "woocommerce", "sendgrid", "supplier"} {
		m.timeTo2xx.WithLabelValues(platform) // from the start, before the first delivery
	}
	return m
}

// otherTopic is the topic label of the deliveries of topics backorderd
// ignores.
const otherTopic = "other"

// delivered counts a delivery's outcome, by the topic the handler set on
// c once the signature was verified (an unverified header is never a
// label), and then only a topic of the platform's decoders: the topic
// header is not signed either, so a signed body resent under any number
// of invented topics, all ignored, would otherwise make as many series.
func (m *Metrics) delivered(c *gin.Context, platform, outcome string) {
	topic := c.GetString("topic")
	if outcome == "ignored_topic" {
		topic = otherTopic
	}
	m.deliveries.WithLabelValues(platform, topic, outcome).Inc()
}

// timed observes the time to a 2xx answer of the routes it guards.
func (m *Metrics) timed(platform string) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		if s := c.Writer.Status(); s >= 200 && s < 300 {
			m.timeTo2xx.WithLabelValues(platform).Observe(time.Since(start).Seconds())
		}
	}
}
