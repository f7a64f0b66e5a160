package backorder

import (
	"fmt"
	"testing"
	"time"
)

var today = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)

func day(n int) time.Time { return today.AddDate(0, 0, n) }

func days(n int) *int { return &n }

func datePtr(t time.Time) *time.Time { return &t }

// etaString shows an ETA as "kind date [estimate date]" for comparisons.
func etaString(e LineETA) string {
	s := string(e.Kind)
	if e.Date != nil {
		s += " " + e.Date.Format(time.DateOnly)
	}
	if e.Estimate != nil {
		s += " estimate " + e.Estimate.Format(time.DateOnly)
	}
	return s
}

func checkETAs(t *testing.T, got []LineETA, lines []WaitingLine, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d ETAs, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].BackorderID != lines[i].BackorderID {
			t.Errorf("ETA %d is of backorder %d, want %d (input order)", i, got[i].BackorderID, lines[i].BackorderID)
		}
		if s := etaString(got[i]); s != want[i] {
			t.Errorf("backorder %d: ETA %q, want %q", lines[i].BackorderID, s, want[i])
		}
	}
}

func TestOldestLinesGetTheEarliestSupplyAndALineTheDateOfItsLastUnit(t *testing.T) {
	lines := []WaitingLine{{1, 1, nil}, {2, 2, nil}, {3, 2, nil}, {4, 1, nil}, {5, 0, nil}}
	got := ETAs(ETAInput{
		Lines: lines,
		// Given out of order: the earlier supply serves first.
		Supply: []Supply{
			{POLineID: 7, Units: 3, Date: day(10), Kind: ETAConfirmed},
			{POLineID: 9, Units: 2, Date: day(5), Kind: ETAExpected},
		},
		LeadTimeDays: days(14), HandlingDays: 2, Today: today,
	})
	checkETAs(t, got, lines, []string{
		"expected 2026-03-17",                     // unit 1: the day-5 line
		"confirmed 2026-03-22",                    // units 2–3: its last unit is the day-10 line's
		"confirmed 2026-03-22",                    // units 4–5
		"estimate 2026-03-26 estimate 2026-03-26", // unit 6: no supply, today + 14 + 2
		"unknown", // waits for nothing
	})
}

func TestOverdueSupplyCountsFromToday(t *testing.T) {
	lines := []WaitingLine{{1, 2, nil}}
	got := ETAs(ETAInput{
		Lines:        lines,
		Supply:       []Supply{{POLineID: 1, Units: 5, Date: day(-3), Kind: ETAConfirmed}},
		LeadTimeDays: days(14), HandlingDays: 1, Today: today,
	})
	checkETAs(t, got, lines, []string{"confirmed 2026-03-11"})
}

func TestWithoutASupplierUncoveredLinesAreUnknownAndLoseTheirEstimate(t *testing.T) {
	lines := []WaitingLine{{1, 2, nil}, {2, 1, datePtr(day(4))}}
	got := ETAs(ETAInput{
		Lines:  lines,
		Supply: []Supply{{POLineID: 1, Units: 2, Date: day(6), Kind: ETAExpected}},
		Today:  today, HandlingDays: 1,
	})
	checkETAs(t, got, lines, []string{"expected 2026-03-17", "unknown"})
}

func TestAnEstimateStaysAsTheDaysPassUntilItCanNoLongerBeMet(t *testing.T) {
	lines := []WaitingLine{{1, 3, nil}}
	in := ETAInput{Lines: lines, LeadTimeDays: days(10), HandlingDays: 2, Today: today}
	first := ETAs(in)
	checkETAs(t, first, lines, []string{"estimate 2026-03-22 estimate 2026-03-22"})

	lines[0].Estimate = first[0].Estimate
	in.Today = day(10) // the goods could still arrive today and ship in 2 days
	checkETAs(t, ETAs(in), lines, []string{"estimate 2026-03-22 estimate 2026-03-22"})

	in.Today = day(11) // they cannot: a fresh estimate from today
	checkETAs(t, ETAs(in), lines, []string{"estimate 2026-04-02 estimate 2026-04-02"})
}

func TestALineThatSupplyComesToCoverLosesItsEstimate(t *testing.T) {
	lines := []WaitingLine{{1, 2, datePtr(day(20))}, {2, 2, datePtr(day(20))}}
	got := ETAs(ETAInput{
		Lines:        lines,
		Supply:       []Supply{{POLineID: 1, Units: 3, Date: day(25), Kind: ETAExpected}},
		LeadTimeDays: days(10), HandlingDays: 0, Today: today,
	})
	// The second line's last unit is not covered; it keeps its estimate,
	// raised to the line ahead of it: the oldest line is served first.
	checkETAs(t, got, lines, []string{"expected 2026-04-04", "estimate 2026-04-04 estimate 2026-04-04"})
}

func TestAnEstimateIsNeverEarlierThanTheLineAheadOfIt(t *testing.T) {
	// The newer line was told day 12 first; the older one starts waiting
	// later and is told day 15: the newer one cannot come first.
	lines := []WaitingLine{{1, 1, nil}, {2, 1, datePtr(day(12))}, {3, 1, datePtr(day(30))}}
	got := ETAs(ETAInput{Lines: lines, LeadTimeDays: days(15), Today: today})
	checkETAs(t, got, lines, []string{
		"estimate 2026-03-25 estimate 2026-03-25",
		"estimate 2026-03-25 estimate 2026-03-25",
		"estimate 2026-04-09 estimate 2026-04-09",
	})
}

func TestSupplyOfNoUnitsCoversNothing(t *testing.T) {
	lines := []WaitingLine{{1, 1, nil}, {2, 1, nil}}
	got := ETAs(ETAInput{
		Lines: lines,
		Supply: []Supply{
			{POLineID: 1, Units: 0, Date: day(1), Kind: ETAConfirmed},
			{POLineID: 2, Units: -2, Date: day(2), Kind: ETAConfirmed},
			{POLineID: 3, Units: 1, Date: day(3), Kind: ETAExpected},
		},
		LeadTimeDays: days(7), Today: today,
	})
	checkETAs(t, got, lines, []string{"expected 2026-03-13", "estimate 2026-03-17 estimate 2026-03-17"})
}

func TestETAsDoNotDependOnTheSupplyOrderGivenOrChangeIt(t *testing.T) {
	supply := []Supply{
		{POLineID: 5, Units: 1, Date: day(4), Kind: ETAConfirmed},
		{POLineID: 3, Units: 1, Date: day(4), Kind: ETAExpected},
	}
	lines := []WaitingLine{{1, 1, nil}, {2, 1, nil}}
	got := ETAs(ETAInput{Lines: lines, Supply: supply, Today: today})
	// Same date: the lower PO line id serves first.
	checkETAs(t, got, lines, []string{"expected 2026-03-14", "confirmed 2026-03-14"})
	if supply[0].POLineID != 5 {
		t.Errorf("ETAs reordered its input: %+v", supply)
	}
}

// BenchmarkETAs100kLines50Supplies is the ETA recompute of one item with
// 100,000 waiting lines (1–3 units each, a tenth with an earlier estimate)
// and 50 open PO lines covering about half of them.
func BenchmarkETAs100kLines50Supplies(b *testing.B) {
	lines := make([]WaitingLine, 100_000)
	est := day(12)
	for i := range lines {
		lines[i] = WaitingLine{BackorderID: int64(i + 1), Waiting: 1 + i%3}
		if i%10 == 0 {
			lines[i].Estimate = &est
		}
	}
	supply := make([]Supply, 50)
	for i := range supply {
		kind := ETAConfirmed
		if i%2 == 1 {
			kind = ETAExpected
		}
		supply[i] = Supply{POLineID: int64(i + 1), Units: 2_000, Date: day((i * 37) % 60), Kind: kind}
	}
	in := ETAInput{Lines: lines, Supply: supply, LeadTimeDays: days(14), HandlingDays: 2, Today: today}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if got := ETAs(in); len(got) != len(lines) {
			b.Fatal(fmt.Sprint("got ", len(got)))
		}
	}
	b.ReportMetric(float64(len(lines)*b.N)/b.Elapsed().Seconds(), "lines/s")
}

func TestALineNamesTheSupplyThatCoversItsLastUnit(t *testing.T) {
	lines := []WaitingLine{{1, 1, nil}, {2, 2, nil}, {3, 2, nil}, {4, 0, nil}}
	got := ETAs(ETAInput{
		Lines: lines,
		Supply: []Supply{
			{POLineID: 7, Units: 3, Date: day(10), Kind: ETAConfirmed},
			{POLineID: 9, Units: 1, Date: day(-2), Kind: ETAConfirmed}, // overdue: still serves first
		},
		LeadTimeDays: days(14), Today: today,
	})
	want := []int64{9, 7, 0, 0} // unit 1: 9; units 2–3: 7; units 4–5: the last has no supply; none waiting
	for i, w := range want {
		if got[i].POLineID != w {
			t.Errorf("backorder %d is covered by supply %d, want %d", lines[i].BackorderID, got[i].POLineID, w)
		}
	}
}
