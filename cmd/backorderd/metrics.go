package main

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/backorderd/backorderd/store"
)

// retryCauses are the causes store.InTx runs a transaction again for.
var retryCauses = []string{store.RetryDeadlock, store.RetrySerialization, store.RetryConnection, store.RetrySQLiteBusy}

// txRetries exports the store's transaction retries by cause: a deadlock
// that is retried at once still says that two paths lock in different
// orders, and an operator should see it.
type txRetries struct {
	store *store.Store
	desc  *prometheus.Desc
}

func newTxRetries(st *store.Store) *txRetries {
	return &txRetries{store: st, desc: prometheus.NewDesc("backorderd_db_transaction_retries_total",
		"Transactions run again after a transient database error (deadlock, serialization failure, lost connection, SQLite busy), by cause.",
		[]string{"cause"}, nil)}
}

// Describe sends the one metric's description.
func (r *txRetries) Describe(ch chan<- *prometheus.Desc) { ch <- r.desc }

// Collect reads the store's counts, every cause even at zero.
func (r *txRetries) Collect(ch chan<- prometheus.Metric) {
	counts := r.store.Retries()
	for _, cause := range retryCauses {
		ch <- prometheus.MustNewConstMetric(r.desc, prometheus.CounterValue, float64(counts[cause]), cause)
	}
}

// gaugesTTL is how long one read of the database's gauges serves scrapes:
// however often Prometheus scrapes, a replica reads them once a TTL.
const (
	gaugesTTL     = 30 * time.Second
	gaugesTimeout = 5 * time.Second
)

// dbGauges exports store.Gauges, read at most once per gaugesTTL. A read
// that fails keeps the last values and counts the failure: a database that
// is away shows on readiness, and the scrape of everything else goes on.
type dbGauges struct {
	store *store.Store
	log   *slog.Logger

	mu   sync.Mutex
	read time.Time
	last *store.Gauges

	failures                                                         prometheus.Counter
	units, oldest, atCap, shortfall, emails, overdue, writes, silent *prometheus.Desc
}

func newDBGauges(st *store.Store, log *slog.Logger) *dbGauges {
	return &dbGauges{store: st, log: log,
		failures: prometheus.NewCounter(prometheus.CounterOpts{Name: "backorderd_gauge_read_failures_total",
			Help: "Reads of the database's gauges that failed (the gauges keep their last values)."}),
		units: prometheus.NewDesc("backorderd_backorder_units",
			"Units on open backorder lines, by state: waiting for stock, or allocated from arrived stock and not shipped yet.",
			[]string{"state"}, nil),
		oldest: prometheus.NewDesc("backorderd_oldest_waiting_seconds",
			"Age of the oldest backorder line with units waiting (0: none waits).", nil, nil),
		atCap: prometheus.NewDesc("backorderd_items_at_cap",
			"Items whose waiting units reached their cap: the store stops selling them.", nil, nil),
		shortfall: prometheus.NewDesc("backorderd_shortfall_units",
			"Units the stores report owed beyond what the known orders carry, over all items.", nil, nil),
		emails: prometheus.NewDesc("backorderd_emails_waiting",
			"Emails not sent yet, by status: pending (queued to send) or held (the shop has no sender).",
			[]string{"status"}, nil),
		overdue: prometheus.NewDesc("backorderd_purchase_orders_overdue",
			"Sent, confirmed or partially received purchase orders with units due on a line past its expected date.", nil, nil),
		writes: prometheus.NewDesc("backorderd_store_writes_outstanding",
			"Store write-backs not written, by status: pending (to write or retrying) or failed (refused for good).",
			[]string{"status"}, nil),
		silent: prometheus.NewDesc("backorderd_webhooks_silent_shops",
			"Active shops whose merchant was told their order webhooks fell silent, with none received since.", nil, nil),
	}
}

// Describe sends every gauge's description.
func (g *dbGauges) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{g.units, g.oldest, g.atCap, g.shortfall, g.emails, g.overdue, g.writes, g.silent} {
		ch <- d
	}
	g.failures.Describe(ch)
}

// Collect sends the gauges, read again when the last read is older than
// gaugesTTL.
func (g *dbGauges) Collect(ch chan<- prometheus.Metric) {
	now := time.Now()
	v := g.gauges(now)
	g.failures.Collect(ch)
	if v == nil {
		return
	}
	gauge := func(d *prometheus.Desc, n int, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(n), labels...)
	}
	gauge(g.units, v.UnitsWaiting, "waiting")
	gauge(g.units, v.UnitsAllocated, "allocated")
	oldest := 0.0
	if v.OldestWaiting != nil {
		oldest = max(now.Sub(*v.OldestWaiting).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(g.oldest, prometheus.GaugeValue, oldest)
	gauge(g.atCap, v.ItemsAtCap)
	gauge(g.shortfall, v.Shortfall)
	gauge(g.emails, v.EmailsPending, "pending")
	gauge(g.emails, v.EmailsHeld, "held")
	gauge(g.overdue, v.POsOverdue)
	gauge(g.writes, v.WritesPending, "pending")
	gauge(g.writes, v.WritesFailed, "failed")
	gauge(g.silent, v.SilentShops)
}

// gauges are the cached gauges, read again when stale; nil until a read
// succeeds.
func (g *dbGauges) gauges(now time.Time) *store.Gauges {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.last != nil && now.Sub(g.read) < gaugesTTL {
		return g.last
	}
	ctx, cancel := context.WithTimeout(context.Background(), gaugesTimeout)
	defer cancel()
	v, err := g.store.ReadGauges(ctx, now)
	if err != nil {
		g.failures.Inc()
		g.log.Warn("metrics: database gauges not read; the last values stay", "err", err)
		return g.last
	}
	g.read, g.last = now, &v
	return g.last
}
