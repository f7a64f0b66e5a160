package backorder

import (
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// genETAInput draws an item's waiting lines (some with an earlier estimate,
// some waiting for nothing) and open supply (some overdue, some empty), in
// any order, with distinct PO line ids.
func genETAInput(t *rapid.T) ETAInput {
	lines := make([]WaitingLine, rapid.IntRange(0, 12).Draw(t, "lines"))
	for i := range lines {
		lines[i] = WaitingLine{BackorderID: int64(i + 1), Waiting: rapid.IntRange(-1, 5).Draw(t, "waiting")}
		if rapid.Bool().Draw(t, "has estimate") {
			lines[i].Estimate = datePtr(day(rapid.IntRange(-10, 40).Draw(t, "estimate")))
		}
	}
	ids := rapid.Permutation([]int64{1, 2, 3, 4, 5, 6, 7}).Draw(t, "po line ids")
	supply := make([]Supply, rapid.IntRange(0, 7).Draw(t, "supply"))
	for i := range supply {
		supply[i] = Supply{
			POLineID: ids[i],
			Units:    rapid.IntRange(-1, 6).Draw(t, "units"),
			Date:     day(rapid.IntRange(-10, 30).Draw(t, "date")),
			Kind:     rapid.SampledFrom([]ETAKind{ETAConfirmed, ETAExpected}).Draw(t, "kind"),
		}
	}
	in := ETAInput{Lines: lines, Supply: supply, HandlingDays: rapid.IntRange(0, 5).Draw(t, "handling"), Today: today}
	if rapid.IntRange(0, 4).Draw(t, "supplier") > 0 {
		in.LeadTimeDays = days(rapid.IntRange(0, 30).Draw(t, "lead"))
	}
	return in
}

// supplyByUnit is, unit by unit, the supply that the k-th waiting unit
// (oldest first) gets: the supply's units laid out in date, then id order.
func supplyByUnit(supply []Supply) []Supply {
	sorted := slices.Clone(supply)
	slices.SortFunc(sorted, func(a, b Supply) int {
		if a.Date.Equal(b.Date) {
			return int(a.POLineID - b.POLineID)
		}
		return a.Date.Compare(b.Date)
	})
	var units []Supply
	for _, s := range sorted {
		for range max(s.Units, 0) {
			units = append(units, s)
		}
	}
	return units
}

func isSupplyKind(k ETAKind) bool { return k == ETAConfirmed || k == ETAExpected }

// TestETAsNeverDecreaseWithQueuePosition: among the lines that have a date,
// a line behind another in the queue never expects its units earlier —
// kept estimates included (they are raised to the line ahead).
func TestETAsNeverDecreaseWithQueuePosition(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := genETAInput(t)
		got := ETAs(in)
		for i, prev := range got {
			if prev.Date == nil {
				continue
			}
			for _, later := range got[i+1:] {
				if later.Date != nil && later.Date.Before(*prev.Date) {
					t.Fatalf("backorder %d (%s) is behind %d (%s) but expected earlier", later.BackorderID, etaString(later), prev.BackorderID, etaString(prev))
				}
			}
		}
	})
}

// TestALineNeverPrecedesTheSupplyCoveringItsUnits: a line's ETA is never
// before today + handling, nor before max(date, today) + handling of the
// supply covering any of its units; a line whose last unit is covered has exactly the date and kind of
// that supply and no estimate; any other has an estimate (or is unknown
// without a supplier).
func TestALineNeverPrecedesTheSupplyCoveringItsUnits(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := genETAInput(t)
		got := ETAs(in)
		units := supplyByUnit(in.Supply)
		next := 0
		for i, l := range in.Lines {
			e := got[i]
			if l.Waiting <= 0 {
				if e.Kind != ETAUnknown || e.Date != nil || e.Estimate != nil {
					t.Fatalf("backorder %d waits for nothing but has %s", l.BackorderID, etaString(e))
				}
				continue
			}
			if e.Date != nil && e.Date.Before(in.Today.AddDate(0, 0, in.HandlingDays)) {
				t.Fatalf("backorder %d: %s, before today + %d days", l.BackorderID, etaString(e), in.HandlingDays)
			}
			first, last := next, next+l.Waiting-1
			next += l.Waiting
			for k := first; k <= min(last, len(units)-1); k++ {
				floor := latest(units[k].Date, in.Today).AddDate(0, 0, in.HandlingDays)
				if e.Date == nil && in.LeadTimeDays != nil || e.Date != nil && e.Date.Before(floor) {
					t.Fatalf("backorder %d: %s, before its unit %d's supply %+v (+%d days)", l.BackorderID, etaString(e), k, units[k], in.HandlingDays)
				}
			}
			var want string
			switch {
			case last < len(units):
				want = etaString(LineETA{Kind: units[last].Kind, Date: datePtr(latest(units[last].Date, in.Today).AddDate(0, 0, in.HandlingDays))})
			case in.LeadTimeDays == nil:
				want = "unknown"
			default:
				if e.Kind != ETAEstimate || e.Date == nil || e.Estimate == nil || !e.Estimate.Equal(*e.Date) {
					t.Fatalf("backorder %d is not covered but has %s", l.BackorderID, etaString(e))
				}
				continue
			}
			if s := etaString(e); s != want {
				t.Fatalf("backorder %d: %s, want %s", l.BackorderID, s, want)
			}
		}
	})
}

// TestAnEstimateNeverMovesEarlierAndLaterOnlyForAReason: computed again
// some days later with the estimates given fed back and the same supply, a
// line that stays uncovered keeps its estimate, unless it can no longer be
// met (before today + handling: it gets today + lead + handling) or a line
// ahead of it is now expected later (it gets that line's date); it never
// moves earlier.
func TestAnEstimateNeverMovesEarlierAndLaterOnlyForAReason(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := genETAInput(t)
		first := ETAs(in)
		in.Lines = slices.Clone(in.Lines)
		for i := range in.Lines {
			in.Lines[i].Estimate = first[i].Estimate
		}
		in.Today = day(rapid.IntRange(0, 40).Draw(t, "days later"))
		second := ETAs(in)
		var ahead *LineETA
		for i := range second {
			a, b := first[i], second[i]
			if a.Kind == ETAEstimate && b.Kind == ETAEstimate && !b.Date.Equal(*a.Date) {
				passed := a.Date.Before(in.Today.AddDate(0, 0, in.HandlingDays))
				fresh := in.Today.AddDate(0, 0, *in.LeadTimeDays+in.HandlingDays)
				renewed := passed && b.Date.Equal(fresh)
				raised := ahead != nil && b.Date.Equal(*ahead.Date)
				if b.Date.Before(*a.Date) || !renewed && !raised {
					t.Fatalf("backorder %d: estimate %s became %s with nothing passed or ahead (today %s)", b.BackorderID, etaString(a), etaString(b), in.Today.Format("2006-01-02"))
				}
			}
			if b.Date != nil {
				ahead = &second[i]
			}
		}
	})
}

// TestSupplyCoversTheLongestRunOfOldestLinesItCan: the lines given a supply
// kind are the oldest waiting ones, as many as the supply's units cover in
// full: their units never exceed min(total waiting, total supply), and the
// next waiting line's would.
func TestSupplyCoversTheLongestRunOfOldestLinesItCan(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		in := genETAInput(t)
		got := ETAs(in)
		supplied, waiting := 0, 0
		for _, s := range in.Supply {
			supplied += max(s.Units, 0)
		}
		for _, l := range in.Lines {
			waiting += max(l.Waiting, 0)
		}
		covered, prefix := 0, true
		for i, l := range in.Lines {
			if l.Waiting <= 0 {
				continue
			}
			switch {
			case isSupplyKind(got[i].Kind) && !prefix:
				t.Fatalf("backorder %d is covered behind an uncovered line: %v", l.BackorderID, got)
			case isSupplyKind(got[i].Kind):
				covered += l.Waiting
			case prefix && covered+l.Waiting <= supplied:
				t.Fatalf("backorder %d (%d units) is not covered with %d of %d supply units used", l.BackorderID, l.Waiting, covered, supplied)
			default:
				prefix = false
			}
		}
		if covered > min(waiting, supplied) {
			t.Fatalf("%d units covered, more than min(%d waiting, %d supplied)", covered, waiting, supplied)
		}
	})
}
