package simulate

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// maxMismatches bounds the mismatches a report lists; the rest are counted.
const maxMismatches = 50

// pollEvery is how often the admin API is read while waiting.
const pollEvery = 200 * time.Millisecond

// outcome is what one wait for a phase's outcome found.
type outcome struct {
	settled, confirmed time.Duration // since the phase's last 2xx; -1: never
	mismatches         []string
}

// await polls the admin API until the backorders match e and, when
// confirm is set, every order e names has its confirmation email — or
// until timeout after from. Times are measured from from.
func (s *Scenario) await(ctx context.Context, a *admin, e expected, confirm bool, from time.Time, timeout time.Duration) outcome {
	return s.awaitQuiet(ctx, a, e, confirm, false, from, timeout)
}

// awaitQuiet is await that, when quiet is set, also waits for the
// instance to have applied and reconciled every fact before the outcome
// counts: after facts that must change nothing (a level holding units
// already received), the outcome matches before they are reconciled.
func (s *Scenario) awaitQuiet(ctx context.Context, a *admin, e expected, confirm, quiet bool, from time.Time, timeout time.Duration) outcome {
	res := outcome{settled: -1, confirmed: -1}
	if !confirm {
		res.confirmed = 0
	}
	seen := map[string]bool{}
	var since int64
	deadline := from.Add(timeout)
	all := make([]int, len(s.items))
	for i := range all {
		all[i] = i
	}
	// Items that matched once are not read again until every item has:
	// the polling adds little load to the instance it measures. Then all
	// are read once more, and the outcome must hold.
	pending := all
	for {
		var mm []string
		var err error
		if res.settled < 0 {
			done := true
			if quiet {
				done, err = a.quiet(ctx, s.items)
			}
			if err == nil {
				pending, mm, err = s.compareBackorders(ctx, a, e, pending)
			}
			if err == nil && len(pending) == 0 && done {
				at := time.Since(from)
				if pending, mm, err = s.compareBackorders(ctx, a, e, all); err == nil && len(pending) == 0 {
					res.settled = at
				}
			}
			if err == nil && !done {
				mm = append(mm, "the instance still has facts to apply or reconcile")
			}
		}
		if err == nil && res.confirmed < 0 {
			if since, err = a.confirmations(ctx, since, seen); err == nil {
				err = askEach(ctx, a, e, seen)
			}
			if err == nil {
				missing := missingConfirmations(e, seen)
				if len(missing) == 0 {
					res.confirmed = time.Since(from)
				}
				mm = append(mm, missing...)
			}
		}
		if err != nil {
			mm = append(mm, err.Error())
		}
		if res.settled >= 0 && res.confirmed >= 0 {
			return res
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			res.mismatches = mm
			return res
		}
		sleep(ctx, pollEvery)
	}
}

// compareBackorders reads the backorders of items and lists how they
// differ from e: each line that should have waited has its backorder with
// the waiting and allocated units and the status expected; a line that
// never should have waited has none. It returns the items that differ.
func (s *Scenario) compareBackorders(ctx context.Context, a *admin, e expected, items []int) ([]int, []string, error) {
	var mm []string
	var differ []int
	lines := make(map[string]lineState, len(e.lines))
	for _, l := range e.lines {
		lines[l.lineID] = l
	}
	for _, i := range items {
		it := s.items[i]
		got, err := a.backorders(ctx, it.id)
		if err != nil {
			return items, nil, err
		}
		before := len(mm)
		byLine := make(map[string]backorderView, len(got))
		for _, b := range got {
			byLine[b.LineID] = b
			if _, known := lines[b.LineID]; !known {
				mm = append(mm, fmt.Sprintf("order %s line %s item %s: want no backorder (line unknown to the oracle), got waiting %d allocated %d %s",
					b.OrderID, b.LineID, it.sku, b.Waiting, b.Allocated, b.Status))
			}
		}
		for _, id := range e.byItem[i] {
			mm = appendLineMismatch(mm, lines[id], byLine[id], it.sku)
		}
		if len(mm) > before {
			differ = append(differ, i)
		}
	}
	return differ, mm, nil
}

// appendLineMismatch adds the mismatch of one line, if any: b is zero
// when the line has no backorder.
func appendLineMismatch(mm []string, want lineState, b backorderView, sku string) []string {
	where := fmt.Sprintf("order %s line %s item %s", want.orderID, want.lineID, sku)
	switch {
	case want.backordered == 0 && b.ID == 0:
		return mm
	case want.backordered == 0:
		return append(mm, fmt.Sprintf("%s: want no backorder, got waiting %d allocated %d %s", where, b.Waiting, b.Allocated, b.Status))
	case b.ID == 0:
		return append(mm, fmt.Sprintf("%s: want waiting %d allocated %d %s, got no backorder", where, want.waiting, want.allocated, want.status()))
	case b.Waiting != want.waiting || b.Allocated != want.allocated || b.Status != want.status():
		return append(mm, fmt.Sprintf("%s: want waiting %d allocated %d %s, got waiting %d allocated %d %s",
			where, want.waiting, want.allocated, want.status(), b.Waiting, b.Allocated, b.Status))
	case want.etaKind != "" && b.ETAKind != want.etaKind:
		return append(mm, fmt.Sprintf("%s: want ETA kind %s for its %d waiting units, got %q", where, want.etaKind, want.waiting, b.ETAKind))
	}
	return mm
}

// askEachBelow is how few orders lacking a confirmation are asked about
// one by one: a row committed late, below what the scan reads, is found.
const askEachBelow = 100

// askEach asks about each order e expects a confirmation for that seen
// lacks, when they are few.
func askEach(ctx context.Context, a *admin, e expected, seen map[string]bool) error {
	var missing []string
	for order := range e.confirm {
		if !seen[order] {
			missing = append(missing, order)
		}
	}
	if len(missing) > askEachBelow {
		return nil
	}
	for _, order := range missing {
		ok, err := a.confirmed(ctx, order)
		if err != nil {
			return err
		}
		seen[order] = ok
	}
	return nil
}

// missingConfirmations lists the orders e expects a confirmation for that
// seen lacks.
func missingConfirmations(e expected, seen map[string]bool) []string {
	var mm []string
	listed := map[string]bool{}
	for _, l := range e.lines {
		if e.confirm[l.orderID] && !seen[l.orderID] && !listed[l.orderID] {
			listed[l.orderID] = true
			mm = append(mm, fmt.Sprintf("order %s: want its backordered confirmation email, none", l.orderID))
		}
	}
	return mm
}

// awaitItems waits until every item is described and shows the level the
// setup reported.
func (s *Scenario) awaitItems(ctx context.Context, a *admin, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var pending string
		for i, it := range s.items {
			v, err := a.item(ctx, it.id)
			if err != nil && !errors.Is(err, errNotFound) {
				return err
			}
			if lvl, ok := v.level(); err != nil || !ok || lvl != it.stock {
				pending = fmt.Sprintf("item %s (%d of %d) not described with level %d yet", it.sku, i+1, len(s.items), it.stock)
				break
			}
		}
		if pending == "" {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("await setup: %s", pending)
		}
		sleep(ctx, pollEvery)
	}
}
