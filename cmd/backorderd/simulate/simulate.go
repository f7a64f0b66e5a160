// Package simulate generates a store scenario — a flash sale of many orders
// over a few items, with a share of the units going short, cancellations,
// refunds, edits, duplicate, out-of-order and dropped deliveries, and an
// optional restock — signs every delivery as the store would, sends it to a
// running backorderd, and compares what the admin API reports against its own
// small model of the outcome ("newest units wait, oldest are served first").
//
// It is a client of the service: it does not import the engine, the store or
// the jobs, so its expectation is independent of the code it checks.
package simulate

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Options describe the scenario.
type Options struct {
	Platform   string  // "shopify" (default) or "woocommerce"
	Orders     int     // orders in the sale
	Items      int     // distinct items (variants)
	Short      float64 // share of the sale's units beyond stock (0.3 = 30% of units short)
	Duplicates float64 // share of deliveries sent twice (1 = every delivery twice)
	OutOfOrder float64 // share of deliveries moved within a shuffled window
	Drop       float64 // share of deliveries never sent (the oracle models what was delivered)
	Cancel     float64 // share of orders cancelled after creation
	Refund     float64 // share of orders partly refunded after creation
	Edit       float64 // share of orders edited after creation
	Restock    bool    // after the sale settles, restock every item to cover all waiting units
	Seed       uint64
	RunID      string // namespaces ids so repeated runs against one instance never collide (default: from time)
}

// Target is the running instance.
type Target struct {
	URL        string       // base URL of serve/run, e.g. http://127.0.0.1:8080 (webhooks POSTed here)
	AdminURL   string       // base of the admin API if different (default URL)
	AdminToken string       // bearer token of the admin API
	ShopDomain string       // Shopify shop domain or WooCommerce store URL registered in the instance
	Secret     string       // its webhook secret
	Client     *http.Client // optional
}

// RunOptions tune how the scenario is sent and how long its outcome is awaited.
type RunOptions struct {
	Rate          float64               // deliveries/s; 0 = as fast as Connections allow
	Connections   int                   // default 16
	SettleTimeout time.Duration         // how long to wait for the expected outcome (default 2 min)
	OnSent        func(sent, total int) // called as deliveries are answered 2xx
	Log           io.Writer             // progress lines; nil = quiet
}

// Scenario is a generated sale: every delivery, in sending order, and the
// outcome the oracle expects from what is delivered.
type Scenario struct {
	opts Options
}

// New generates everything up front, deterministic per Seed and RunID.
func New(o Options) (*Scenario, error) {
	return &Scenario{opts: o}, nil
}

// Run sends the scenario to t and waits for the expected outcome.
func (s *Scenario) Run(ctx context.Context, t Target, r RunOptions) (*Report, error) {
	return nil, fmt.Errorf("run scenario: not implemented yet")
}

// Percentiles are time-to-2xx quantiles of the deliveries sent.
type Percentiles struct {
	P50 time.Duration `json:"p50"`
	P90 time.Duration `json:"p90"`
	P99 time.Duration `json:"p99"`
	Max time.Duration `json:"max"`
}

// Report is what a run measured and found.
type Report struct {
	Platform            string        `json:"platform"`
	RunID               string        `json:"run_id"`
	Orders              int           `json:"orders"`
	Items               int           `json:"items"`
	Deliveries          int           `json:"deliveries"`
	Sent                int           `json:"sent"`
	Duplicates          int           `json:"duplicates"`
	Dropped             int           `json:"dropped"`
	Retries             int           `json:"retries"`
	Status              map[int]int   `json:"status"`
	TimeTo2xx           Percentiles   `json:"time_to_2xx"`
	SendDuration        time.Duration `json:"send_duration"`
	SaleSettled         time.Duration `json:"sale_settled"`
	ConfirmationsQueued time.Duration `json:"confirmations_queued"`
	RestockSettled      time.Duration `json:"restock_settled,omitempty"`
	ExpectedWaiting     int           `json:"expected_waiting_units"`
	Mismatches          []string      `json:"mismatches"`
}

// OK reports whether the outcome matched the oracle.
func (r *Report) OK() bool { return r != nil && len(r.Mismatches) == 0 }

// Print writes a human summary.
func (r *Report) Print(w io.Writer) {
	fmt.Fprintf(w, "%+v\n", *r)
}
