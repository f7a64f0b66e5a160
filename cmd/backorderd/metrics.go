package main

import (
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
