package main

// A simulated flash sale against a fault test's cluster, with the fault
// struck in the test's goroutine once a share of the deliveries has been
// answered, and the checks every fault test makes after it.

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/backorderd/backorderd/cmd/backorderd/simulate"
)

// faultSale is the scenario of every fault test: small enough for CI, big
// enough that each fault lands mid-sale with work in flight.
func faultSale(runID string) simulate.Options {
	return simulate.Options{Platform: "shopify", Orders: 300, Items: 12, Short: 0.3, Seed: 11, RunID: runID}
}

// saleOutcome is what a faulted sale measured.
type saleOutcome struct {
	report *simulate.Report
	quiet  time.Duration // from the simulator's match until nothing was left unfinished
	emails int
}

// sale runs o against c; when the share at of its deliveries has been
// answered 2xx, fault runs (in the test's goroutine). The simulator then
// waits up to settle for the oracle's outcome; afterwards nothing may be
// left unfinished, every email must have been accepted once and every
// delivery answered 2xx recorded.
func (c *cluster) sale(t *testing.T, o simulate.Options, at float64, settle time.Duration, fault func()) saleOutcome {
	t.Helper()
	sc, err := simulate.New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), settle+2*time.Minute)
	defer cancel()
	reached := make(chan struct{})
	var once sync.Once
	type result struct {
		report *simulate.Report
		err    error
	}
	done := make(chan result, 1)
	var progress syncBuffer
	go func() {
		r, err := sc.Run(ctx, c.target(), simulate.RunOptions{Connections: 8, SettleTimeout: settle, Log: &progress,
			OnSent: func(sent, total int) {
				if float64(sent) >= at*float64(total) {
					once.Do(func() { close(reached) })
				}
			}})
		done <- result{r, err}
	}()
	var res result
	select {
	case <-reached:
		fault()
		res = <-done
	case res = <-done:
		t.Fatalf("the sale ended before the fault could strike: %v\n%s", res.err, progress.String())
	}
	var summary bytes.Buffer
	if res.report != nil {
		res.report.Print(&summary)
	}
	if res.err != nil {
		t.Fatalf("simulate: %v\n%s\n%s", res.err, summary.String(), progress.String())
	}
	if !res.report.OK() {
		t.Fatalf("backorders do not match the oracle:\n%s", summary.String())
	}
	t.Logf("sale: %d deliveries, %d retried by the sender, time to 2xx p99 %s max %s; matched the oracle %s after the last delivery",
		res.report.Sent, res.report.Retries, res.report.TimeTo2xx.P99, res.report.TimeTo2xx.Max, res.report.SaleSettled)
	// Generous: a task Redis restored as active after a crash, or one a
	// killed worker held, waits for asynq's recoverer (up to ~3 min).
	out := saleOutcome{report: res.report, quiet: c.waitQuiet(t, 4*time.Minute)}
	out.emails = c.checkEmailsOnce(t)
	if out.emails == 0 {
		t.Error("no email was written: the sale sent no confirmation to check")
	}
	c.checkAnsweredRecorded(t)
	t.Logf("quiet %s after the match; %d emails, each accepted once", out.quiet, out.emails)
	return out
}
