package simulate

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// defaultSettleTimeout is how long a phase's outcome is awaited.
const defaultSettleTimeout = 2 * time.Minute

// Run sends the scenario to t phase by phase — setup, sale, changes,
// restock — and after each waits until the admin API shows the oracle's
// outcome, or RunOptions.SettleTimeout passes. A mismatch is in the
// report, not an error: Run fails only when it cannot run (a target
// missing its address or credentials, the setup never seen, ctx done).
func (s *Scenario) Run(ctx context.Context, t Target, r RunOptions) (rep *Report, err error) {
	if strings.Trim(t.URL, ", ") == "" || t.Secret == "" || t.ShopDomain == "" || t.AdminToken == "" {
		return nil, errors.New("run scenario: the target needs its URL, shop, webhook secret and admin token")
	}
	r.Connections = cmp.Or(r.Connections, 16)
	if t.Client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = r.Connections + 4 // the connections, and the admin API's reads
		t.Client = &http.Client{Timeout: 30 * time.Second, Transport: tr}
	}
	r.SettleTimeout = cmp.Or(r.SettleTimeout, defaultSettleTimeout)
	r.RetryFor = cmp.Or(r.RetryFor, 2*time.Minute)
	sd := newSender(s, t, r)
	a := &admin{base: cmp.Or(t.AdminURL, sd.urls[0]), token: t.AdminToken, shop: t.ShopDomain, client: t.Client}
	rep = s.newReport()
	logf := func(format string, args ...any) {
		if r.Log != nil {
			fmt.Fprintf(r.Log, format+"\n", args...)
		}
	}
	began := time.Now()
	more := ""
	if s.opts.POReceipts {
		more = " before the receipts"
	}
	logf("simulate %s: %d orders over %d items, %d deliveries%s (run %s)", s.opts.Platform, s.opts.Orders, s.opts.Items,
		sd.total, more, s.opts.RunID)
	if a.emailFloor, err = a.newestEmail(ctx); err != nil {
		return nil, fmt.Errorf("run scenario: %w", err)
	}
	sd.sendPhase(ctx, s.plans[phaseSetup])
	if err := s.awaitItems(ctx, a, r.SettleTimeout); err != nil {
		return nil, fmt.Errorf("run scenario: %w", err)
	}
	logf("setup: %d items described and stocked", len(s.items))
	o := newOracle(len(s.items))
	s.feed(o, phaseSetup)
	for ph := phaseSale; ph < phaseCount; ph++ {
		if s.opts.POReceipts && ph >= phaseReceipts && !s.buildLate(ctx, ph, sd, a, o, r, rep, logf) {
			continue
		}
		p := s.plans[ph]
		if len(p.order)+len(p.tails) == 0 {
			continue
		}
		start := time.Now()
		sd.sendPhase(ctx, p)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("run scenario: %w", ctx.Err())
		}
		last := sd.lastAnswer()
		s.feed(o, ph)
		o.settle()
		e := o.snapshot()
		logf("%s: %d deliveries answered in %s; expecting %d units waiting", phaseNames[ph], len(p.order)+len(p.tails),
			last.Sub(start).Round(time.Millisecond), e.waiting)
		// The store's levels after receipts must change nothing: only
		// once they are reconciled does an unchanged outcome say so.
		res := s.awaitQuiet(ctx, a, e, ph == phaseSale || ph == phaseChanges, ph == phaseReceipts, last, r.SettleTimeout)
		rep.addPhase(ph, last.Sub(start), res, e.waiting)
		logf("%s: settled %s, confirmations %s, %d mismatches", phaseNames[ph], show(res.settled), show(res.confirmed), len(res.mismatches))
	}
	s.count(rep, sd.total)
	sd.fill(rep)
	rep.Elapsed = time.Since(began)
	return rep, nil
}

// buildLate builds phase ph as the run gets there, with purchase-order
// receipts: the receipts, made through the admin API with the levels the
// store reports at once (receipts), then the levels it reports later; the
// restock after those. False when the phase has nothing to send.
func (s *Scenario) buildLate(ctx context.Context, ph int, sd *sender, a *admin, o *oracle, r RunOptions, rep *Report,
	logf func(string, ...any)) bool {
	from := len(s.sh.out)
	switch {
	case ph == phaseReceipts:
		later := s.receipts(ctx, sd, a, o, r, rep, logf)
		if !slices.ContainsFunc(later, func(n int) bool { return n > 0 }) {
			return false
		}
		from = len(s.sh.out)
		s.sh.reportReceived(later, time.Now().UTC())
		s.sh.finishPhase()
	case ph == phaseRestock && s.opts.Restock:
		s.sh.clock = laterOf(s.sh.clock, time.Now().UTC().Truncate(time.Second))
		s.sh.restock()
	default:
		return false
	}
	s.out = s.sh.out
	s.plans[ph] = planPhase(s.out, from, ph, s.opts, s.sh.rng)
	sd.grow(s.plans[ph])
	return true
}

// feed gives the oracle every delivery of phase ph that was sent.
func (s *Scenario) feed(o *oracle, ph int) {
	for i := range s.out {
		if d := &s.out[i]; d.phase == ph && !d.dropped {
			o.deliver(d)
		}
	}
}

// lastAnswer is when the latest 2xx came.
func (sd *sender) lastAnswer() time.Time {
	sd.mu.Lock()
	defer sd.mu.Unlock()
	return sd.last2xx
}

// show prints a measured time, or that it never came.
func show(d time.Duration) string {
	if d < 0 {
		return "never"
	}
	return d.Round(time.Millisecond).String()
}
