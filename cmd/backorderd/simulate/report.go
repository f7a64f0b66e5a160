package simulate

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Percentiles are time-to-2xx quantiles of the deliveries sent, from a
// delivery's first attempt to its 2xx (retries included).
type Percentiles struct {
	P50 time.Duration `json:"p50_ns"`
	P90 time.Duration `json:"p90_ns"`
	P99 time.Duration `json:"p99_ns"`
	Max time.Duration `json:"max_ns"`
}

// Report is what a run measured and found. Durations are nanoseconds in
// JSON; a time that never came (the outcome did not match in time) is -1.
type Report struct {
	Platform   string `json:"platform"`
	RunID      string `json:"run_id"`
	Seed       uint64 `json:"seed"`
	Orders     int    `json:"orders"`
	Items      int    `json:"items"`
	Deliveries int    `json:"deliveries"` // planned sends, duplicates included, dropped excluded
	Sent       int    `json:"sent"`       // answered 2xx
	Duplicates int    `json:"duplicates"` // second sends of a delivery
	Dropped    int    `json:"dropped"`    // never sent
	Retries    int    `json:"retries"`    // attempts after a first that was not answered 2xx
	// Status counts every attempt's answer by HTTP status; 0 is no answer.
	Status    map[int]int   `json:"status"`
	TimeTo2xx Percentiles   `json:"time_to_2xx"`
	SaleSent  time.Duration `json:"sale_sent_ns"` // first to last 2xx of the sale
	// SaleSettled is from the sale's last 2xx until every backorder
	// matched the oracle; ConfirmationsQueued until every expected
	// confirmation email row existed.
	SaleSettled         time.Duration `json:"sale_settled_ns"`
	ConfirmationsQueued time.Duration `json:"confirmations_queued_ns"`
	ChangesSettled      time.Duration `json:"changes_settled_ns,omitempty"`
	RestockSettled      time.Duration `json:"restock_settled_ns,omitempty"`
	// With purchase-order receipts: the orders the instance made and the
	// units received on them; from the last confirmation until every
	// waiting line showed a confirmed ETA; from the last receipt until
	// every backorder matched; from the store's last level report after
	// the receipts until every backorder matched (unchanged).
	PurchaseOrders       int           `json:"purchase_orders,omitempty"`
	ReceivedUnits        int           `json:"received_units,omitempty"`
	ETAConfirmed         time.Duration `json:"eta_confirmed_ns,omitempty"`
	ReceiptsSettled      time.Duration `json:"receipts_settled_ns,omitempty"`
	ReceiptLevelsSettled time.Duration `json:"receipt_levels_settled_ns,omitempty"`
	WaitingUnits         int           `json:"waiting_units"` // the oracle's, after the sale
	Elapsed              time.Duration `json:"elapsed_ns"`
	Mismatches           []string      `json:"mismatches"`
	MoreMismatches       int           `json:"more_mismatches,omitempty"`
}

// newReport starts the report of s.
func (s *Scenario) newReport() *Report {
	return &Report{Platform: s.opts.Platform, RunID: s.opts.RunID, Seed: s.opts.Seed, Orders: s.opts.Orders,
		Items: s.opts.Items, Mismatches: []string{}}
}

// count fills in the deliveries planned, repeated and dropped, every
// phase planned.
func (s *Scenario) count(r *Report, total int) {
	r.Deliveries, r.Duplicates, r.Dropped = total, 0, 0
	for _, p := range append(s.plans[:], s.early...) {
		r.Duplicates += len(p.order) - len(slices.Compact(slices.Sorted(slices.Values(p.order))))
	}
	for _, d := range s.out {
		if d.dropped {
			r.Dropped++
		}
	}
}

// addPhase records one phase's outcome.
func (r *Report) addPhase(ph int, sent time.Duration, res outcome, waiting int) {
	switch ph {
	case phaseSale:
		r.SaleSent, r.SaleSettled, r.ConfirmationsQueued, r.WaitingUnits = sent, res.settled, res.confirmed, waiting
	case phaseChanges:
		r.ChangesSettled = res.settled
		if res.confirmed < 0 {
			r.ConfirmationsQueued = -1
		}
	case phaseReceipts:
		r.ReceiptLevelsSettled = res.settled
	case phaseRestock:
		r.RestockSettled = res.settled
	}
	r.addMismatches(phaseNames[ph], res.mismatches)
}

// addMismatches lists the mismatches of a step, each prefixed with its
// name.
func (r *Report) addMismatches(step string, mm []string) {
	for _, m := range mm {
		r.addMismatch(step + ": " + m)
	}
}

// addMismatch lists m, or counts it past the first maxMismatches.
func (r *Report) addMismatch(m string) {
	if len(r.Mismatches) < maxMismatches {
		r.Mismatches = append(r.Mismatches, m)
		return
	}
	r.MoreMismatches++
}

// fill copies the sender's counts into r.
func (sd *sender) fill(r *Report) {
	sd.mu.Lock()
	defer sd.mu.Unlock()
	r.Sent = int(sd.sent.Load())
	r.Retries = sd.retries
	r.Status = sd.status
	lat := slices.Clone(sd.latencies)
	slices.Sort(lat)
	r.TimeTo2xx = Percentiles{P50: quantile(lat, 0.50), P90: quantile(lat, 0.90), P99: quantile(lat, 0.99), Max: quantile(lat, 1)}
	for _, l := range sd.lost {
		r.addMismatch(l)
	}
}

// quantile is the q-th of sorted durations (nearest rank).
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted)) + 0.999999)
	return sorted[min(max(i, 1), len(sorted))-1]
}

// OK reports whether the outcome matched the oracle in time and nothing
// sent was lost.
func (r *Report) OK() bool {
	return r != nil && len(r.Mismatches) == 0 && r.MoreMismatches == 0 && r.Sent == r.Deliveries
}

// Print writes a human summary.
func (r *Report) Print(w io.Writer) {
	ms := func(d time.Duration) string { return show(d) }
	var b strings.Builder
	fmt.Fprintf(&b, "%s flash sale: %d orders over %d items (run %s, seed %d)\n", r.Platform, r.Orders, r.Items, r.RunID, r.Seed)
	fmt.Fprintf(&b, "deliveries: %d sent of %d (%d duplicates, %d dropped, %d retries); statuses %s\n",
		r.Sent, r.Deliveries, r.Duplicates, r.Dropped, r.Retries, statuses(r.Status))
	fmt.Fprintf(&b, "time to 2xx: p50 %s  p90 %s  p99 %s  max %s\n", ms(r.TimeTo2xx.P50), ms(r.TimeTo2xx.P90),
		ms(r.TimeTo2xx.P99), ms(r.TimeTo2xx.Max))
	fmt.Fprintf(&b, "sale sent in %s; %d units waiting\n", ms(r.SaleSent), r.WaitingUnits)
	fmt.Fprintf(&b, "sale settled (every backorder as expected) %s after the last delivery\n", ms(r.SaleSettled))
	fmt.Fprintf(&b, "confirmations queued %s after the last delivery\n", ms(r.ConfirmationsQueued))
	if r.ChangesSettled != 0 {
		fmt.Fprintf(&b, "cancellations, refunds and edits settled %s after their last delivery\n", ms(r.ChangesSettled))
	}
	if r.PurchaseOrders != 0 {
		fmt.Fprintf(&b, "%d purchase orders confirmed: ETAs confirmed %s after; %d units received: settled %s after the last receipt, "+
			"%s after the store's levels that followed\n", r.PurchaseOrders, ms(r.ETAConfirmed), r.ReceivedUnits,
			ms(r.ReceiptsSettled), ms(r.ReceiptLevelsSettled))
	}
	if r.RestockSettled != 0 {
		fmt.Fprintf(&b, "restock settled %s after its last delivery\n", ms(r.RestockSettled))
	}
	if r.OK() {
		b.WriteString("OK: every backorder matches the oracle\n")
	} else {
		fmt.Fprintf(&b, "MISMATCH: %d\n", len(r.Mismatches)+r.MoreMismatches)
		for _, m := range r.Mismatches {
			fmt.Fprintf(&b, "  %s\n", m)
		}
		if r.MoreMismatches > 0 {
			fmt.Fprintf(&b, "  … and %d more\n", r.MoreMismatches)
		}
	}
	_, _ = io.WriteString(w, b.String())
}

// statuses prints status counts as "200×26718 503×3".
func statuses(m map[int]int) string {
	codes := slices.Sorted(func(yield func(int) bool) {
		for c := range m {
			if !yield(c) {
				return
			}
		}
	})
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprintf("%d×%d", c, m[c])
	}
	return strings.Join(parts, " ")
}
