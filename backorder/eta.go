package backorder

import (
	"cmp"
	"slices"
	"time"
)

// ETAKind says what a waiting line's ETA rests on, in the API's spelling.
type ETAKind string

// ETA kinds.
const (
	// ETAConfirmed: a confirmed (or partially received) purchase-order line
	// covers the line; the date is the one the supplier confirmed.
	ETAConfirmed ETAKind = "confirmed"
	// ETAExpected: a sent, not yet confirmed purchase-order line covers the
	// line; the date is the sending date plus the supplier's lead time.
	ETAExpected ETAKind = "expected"
	// ETAEstimate: no purchase order covers the line; the date is today
	// plus the lead time, fixed the day it is first given.
	ETAEstimate ETAKind = "estimate"
	// ETAUnknown: no purchase order covers the line and the item has no
	// supplier to estimate from, or the line waits for nothing.
	ETAUnknown ETAKind = "unknown"
)

// Supply is an open purchase-order line of an item: its units still to come
// (ordered less received), the calendar date they are expected (00:00 UTC),
// and the kind of ETA they give (ETAConfirmed or ETAExpected).
type Supply struct {
	POLineID int64
	Units    int
	Date     time.Time
	Kind     ETAKind
}

// WaitingLine is one waiting backorder line of an item. Lines are given in
// FIFO order, oldest first: the order in which arriving units serve them.
type WaitingLine struct {
	BackorderID int64
	Waiting     int
	// Estimate is the estimate the line was given earlier and still has
	// (LineETA.Estimate of the previous computation), nil if none.
	Estimate *time.Time
}

// ETAInput is everything an item's ETAs are computed from.
type ETAInput struct {
	// Lines are the item's waiting lines, oldest first.
	Lines []WaitingLine
	// Supply are the item's open purchase-order lines, in any order.
	Supply []Supply
	// LeadTimeDays is the supplier's lead time for estimates; nil when the
	// item has no supplier.
	LeadTimeDays *int
	// HandlingDays is the shop's handling time, added to every ETA.
	HandlingDays int
	// Today is the shop's calendar day, as 00:00 UTC of that date.
	Today time.Time
}

// LineETA is one waiting line's ETA. Date is nil for ETAUnknown. Estimate
// is the estimate to keep for the next computation: equal to Date for
// ETAEstimate, nil otherwise (a covered line loses its estimate). POLineID
// is the supply that covers the line's last waiting unit, 0 when none does:
// the line is late when that supply is. The pointers share one backing
// array per call: read them, do not write through them.
type LineETA struct {
	BackorderID int64
	Date        *time.Time
	Kind        ETAKind
	Estimate    *time.Time
	POLineID    int64
}

// ETAs gives every input line an ETA, in input order. Waiting units, oldest
// line first, are matched against the supply sorted by date (then
// POLineID); a line's ETA is that of its LAST waiting unit: the covering
// supply's date, or Today when that date has passed (the supply is
// overdue), plus HandlingDays, with the supply's kind.
//
// Units no supply covers get an estimate, Today + LeadTimeDays +
// HandlingDays, or unknown without a lead time. An estimate the line
// already has is kept as the days pass, until it can no longer be met (it
// is before Today + HandlingDays: nothing covers it and the goods would
// have had to arrive by now), when a fresh one replaces it. Arriving units
// serve the oldest line first, so no line can expect its units before a
// line ahead of it in the queue, nor before the supply its other units
// take: an estimate is raised to the date of the nearest line ahead that
// has one, and to the last supply's. ETAs therefore never decrease with queue
// position, and an estimate never moves earlier while the line stays
// uncovered.
//
// A line with Waiting ≤ 0 waits for nothing: it is returned as unknown and
// takes no units. ETAs runs in O(lines + supply × log supply) and allocates
// the result, its dates, and a sorted copy of the supply when it is not
// sorted already.
func ETAs(in ETAInput) []LineETA {
	supply := sortedSupply(in.Supply)
	out := make([]LineETA, len(in.Lines))
	dates := make([]time.Time, len(in.Lines))
	var fresh, meetable, floor time.Time
	if in.LeadTimeDays != nil {
		fresh = in.Today.AddDate(0, 0, *in.LeadTimeDays+in.HandlingDays)
		meetable = in.Today.AddDate(0, 0, in.HandlingDays)
		floor = lastSupplyETA(supply, in.Today, in.HandlingDays)
	}
	var (
		units, j, end int       // units waiting so far; supply[j] is the first not used up by them, end the units of supply[:j]
		cached        = -1      // the supply whose ETA is in supplyETA
		supplyETA     time.Time // max(supply[cached].Date, Today) + HandlingDays
		prev          time.Time // the latest ETA given so far (zero: none)
	)
	for i, l := range in.Lines {
		out[i] = LineETA{BackorderID: l.BackorderID, Kind: ETAUnknown}
		if l.Waiting <= 0 {
			continue
		}
		units += l.Waiting
		for j < len(supply) && end+max(supply[j].Units, 0) < units {
			end += max(supply[j].Units, 0)
			j++
		}
		switch {
		case j < len(supply): // supply[j] covers the line's last unit
			if cached != j {
				cached = j
				supplyETA = latest(supply[j].Date, in.Today).AddDate(0, 0, in.HandlingDays)
			}
			dates[i] = supplyETA
			out[i].Date, out[i].Kind, out[i].POLineID = &dates[i], supply[j].Kind, supply[j].POLineID
		case in.LeadTimeDays != nil:
			d := fresh
			if l.Estimate != nil && !l.Estimate.Before(meetable) {
				d = *l.Estimate
			}
			dates[i] = latest(latest(d, prev), floor)
			out[i].Date, out[i].Kind, out[i].Estimate = &dates[i], ETAEstimate, &dates[i]
		default:
			continue
		}
		prev = dates[i]
	}
	return out
}

// lastSupplyETA is the ETA the last unit of the sorted supply gives, zero
// if it has none. A line some units of which no supply covers uses all of
// it: its estimate is never before that.
func lastSupplyETA(sorted []Supply, today time.Time, handlingDays int) time.Time {
	for _, s := range slices.Backward(sorted) {
		if s.Units > 0 {
			return latest(s.Date, today).AddDate(0, 0, handlingDays)
		}
	}
	return time.Time{}
}

// sortedSupply is the supply in date, then POLineID order: the input itself
// when it is in that order already, else a sorted copy.
func sortedSupply(s []Supply) []Supply {
	if slices.IsSortedFunc(s, bySupplyDate) {
		return s
	}
	s = slices.Clone(s)
	slices.SortFunc(s, bySupplyDate)
	return s
}

func bySupplyDate(a, b Supply) int {
	if c := a.Date.Compare(b.Date); c != 0 {
		return c
	}
	return cmp.Compare(a.POLineID, b.POLineID)
}

func latest(a, b time.Time) time.Time {
	if a.Before(b) {
		return b
	}
	return a
}
