package main

import (
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// TestDatabaseGaugesAreReadOncePerTTLAndKeptWhenTheDatabaseIsAway: scrapes
// within the TTL are served from one read; a read that fails once the TTL
// passed keeps the last values and counts the failure, and the scrape
// still answers.
func TestDatabaseGaugesAreReadOncePerTTLAndKeptWhenTheDatabaseIsAway(t *testing.T) {
	st := storetest.New(t, store.SQLite)
	g := newDBGauges(st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	reg := prometheus.NewRegistry()
	reg.MustRegister(g)
	want := `
# HELP backorderd_backorder_units Units on open backorder lines, by state: waiting for stock, or allocated from arrived stock and not shipped yet.
# TYPE backorderd_backorder_units gauge
backorderd_backorder_units{state="allocated"} 0
backorderd_backorder_units{state="waiting"} 0
# HELP backorderd_gauge_read_failures_total Reads of the database's gauges that failed (the gauges keep their last values).
# TYPE backorderd_gauge_read_failures_total counter
backorderd_gauge_read_failures_total %d
`
	check := func(failures int) {
		t.Helper()
		expected := strings.ReplaceAll(want, "%d", string(rune('0'+failures)))
		if err := testutil.GatherAndCompare(reg, strings.NewReader(expected),
			"backorderd_backorder_units", "backorderd_gauge_read_failures_total"); err != nil {
			t.Error(err)
		}
	}
	check(0)
	read := g.read
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	check(0) // within the TTL: the closed database is not asked
	if !g.read.Equal(read) {
		t.Errorf("read again within the TTL")
	}
	g.mu.Lock()
	g.read = g.read.Add(-gaugesTTL - time.Second)
	g.mu.Unlock()
	check(1) // the TTL passed: the read fails, the last values stay
}
