package dashboard

import (
	"math"
	"testing"
	"time"

	"github.com/backorderd/backorderd/store"
)

func TestTheDemandChartCountsDaysInTheShopsTimeZone(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC) // 19:00 in Tokyo
	hours := []store.DemandHour{
		{Hour: time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC), Ordered: 4, Backordered: 1},  // 1 Dec 23:00 in Tokyo
		{Hour: time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC), Ordered: 6, Backordered: 6},  // 2 Dec 00:00: today
		{Hour: time.Date(2026, 11, 2, 15, 0, 0, 0, time.UTC), Ordered: 2, Backordered: 0},  // 3 Nov: the first day
		{Hour: time.Date(2026, 11, 2, 14, 0, 0, 0, time.UTC), Ordered: 50, Backordered: 9}, // 2 Nov: before it
	}
	ch := demandChart(hours, now, tokyo)
	if len(ch.Bars) != chartDays {
		t.Fatalf("bars = %d, want %d", len(ch.Bars), chartDays)
	}
	first, yesterday, today := ch.Bars[0], ch.Bars[chartDays-2], ch.Bars[chartDays-1]
	if first.Day != "Tue 3 Nov" || first.Ordered != 2 || today.Day != "Wed 2 Dec" || today.Ordered != 6 ||
		today.Backordered != 6 || yesterday.Ordered != 4 || yesterday.Backordered != 1 {
		t.Errorf("first %+v, yesterday %+v, today %+v", first, yesterday, today)
	}
	if ch.Ordered != 12 || ch.Backordered != 7 || ch.Max != 6 {
		t.Errorf("totals %d/%d, max %d, want 12/7 over the 30 days, max 6", ch.Ordered, ch.Backordered, ch.Max)
	}
	// The scale tops at 10: today's 6 is 0.6 of the plot, all of it
	// backordered; a day without orders has no bar.
	plot := ch.BaseY - chartTop
	if math.Abs(today.H-0.6*plot) > 0.01 || today.BH != today.H || today.Y+today.H != ch.BaseY || ch.Bars[5].H != 0 {
		t.Errorf("today's bar %+v, want 0.6 of %.1f, all backordered, standing on %.1f", today, plot, ch.BaseY)
	}
	if len(ch.Ticks) != 3 || ch.Ticks[1].Value != 5 || ch.Ticks[2].Value != 10 {
		t.Errorf("ticks = %+v, want 0, 5 and 10", ch.Ticks)
	}
	if last := ch.Labels[len(ch.Labels)-1]; last.Text != "2 Dec" || last.Anchor != "end" || last.X > ch.Width {
		t.Errorf("last label %+v, want today's, inside the picture", last)
	}
}

func TestAnEmptyChartHasNoScale(t *testing.T) {
	ch := demandChart(nil, time.Now(), time.UTC)
	if ch.Max != 0 || len(ch.Ticks) != 0 || len(ch.Bars) != chartDays {
		t.Fatalf("empty chart = max %d, ticks %v, %d bars", ch.Max, ch.Ticks, len(ch.Bars))
	}
	for _, b := range ch.Bars {
		if b.H != 0 || math.IsNaN(b.Y) {
			t.Fatalf("bar %+v of an empty chart", b)
		}
	}
}

func TestNiceCeiling(t *testing.T) {
	for n, want := range map[int]int{0: 0, 1: 2, 2: 2, 3: 5, 5: 5, 6: 10, 11: 20, 21: 50, 51: 100, 101: 200, 999: 1000} {
		if got := niceCeiling(n); got != want {
			t.Errorf("niceCeiling(%d) = %d, want %d", n, got, want)
		}
	}
}
