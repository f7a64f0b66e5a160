package dashboard

import (
	"fmt"
	"time"

	"github.com/backorderd/backorderd/store"
)

// The demand chart: units ordered per day over the last 30 days, in the
// shop's time zone, with the units of those orders that went on backorder
// drawn over them. Drawn here as SVG, so that it needs no script.

const (
	chartDays   = 30
	chartWidth  = 720.0
	chartHeight = 220.0
	chartLeft   = 40.0 // room for the axis labels
	chartBottom = 24.0
	chartTop    = 10.0
)

// chart is the SVG's geometry and the numbers behind it.
type chart struct {
	Width, Height    float64
	Bars             []bar
	Ticks            []tick
	Labels           []xLabel
	Ordered          int // units over the period
	Backordered      int
	Max              int
	BaseY, Left, End float64
}

// bar is one day.
type bar struct {
	Day         string // "Mon 2 Nov"
	X, W        float64
	Y, H        float64 // ordered
	BY, BH      float64 // backordered
	Ordered     int
	Backordered int
}

type tick struct {
	Y     float64
	Value int
}

type xLabel struct {
	X      float64
	Text   string
	Anchor string // SVG text-anchor
}

// demandChart lays out the days ending today (in loc) from the hours the
// store summed.
func demandChart(hours []store.DemandHour, now time.Time, loc *time.Location) chart {
	today := now.In(loc)
	first := time.Date(today.Year(), today.Month(), today.Day()-chartDays+1, 0, 0, 0, 0, loc)
	ordered := make([]int, chartDays)
	backordered := make([]int, chartDays)
	ch := chart{Width: chartWidth, Height: chartHeight, BaseY: chartHeight - chartBottom, Left: chartLeft, End: chartWidth}
	for _, h := range hours {
		t := h.Hour.In(loc)
		i := daysBetween(first, t)
		if i < 0 || i >= chartDays {
			continue
		}
		ordered[i] += h.Ordered
		backordered[i] += h.Backordered
		ch.Ordered += h.Ordered
		ch.Backordered += h.Backordered
	}
	for _, n := range ordered {
		ch.Max = max(ch.Max, n)
	}
	top := niceCeiling(ch.Max)
	plot := ch.BaseY - chartTop
	slot := (chartWidth - chartLeft) / chartDays
	scale := func(n int) float64 {
		if top == 0 {
			return 0 // no orders: flat bars
		}
		return float64(n) / float64(top) * plot
	}
	for i := range chartDays {
		day := first.AddDate(0, 0, i)
		x := chartLeft + float64(i)*slot
		b := bar{Day: day.Format("Mon 2 Jan"), X: x + 1, W: slot - 2, Ordered: ordered[i], Backordered: backordered[i]}
		b.H, b.BH = scale(ordered[i]), scale(min(backordered[i], ordered[i]))
		b.Y, b.BY = ch.BaseY-b.H, ch.BaseY-b.BH
		ch.Bars = append(ch.Bars, b)
		if (chartDays-1-i)%7 == 0 { // weekly, ending today
			l := xLabel{X: x + slot/2, Text: day.Format("2 Jan"), Anchor: "middle"}
			if i == chartDays-1 {
				l.X, l.Anchor = x+slot, "end" // inside the picture
			}
			ch.Labels = append(ch.Labels, l)
		}
	}
	if top > 0 {
		ch.Ticks = append(ch.Ticks, tick{Y: ch.BaseY, Value: 0})
		if top%2 == 0 {
			ch.Ticks = append(ch.Ticks, tick{Y: ch.BaseY - scale(top/2), Value: top / 2})
		}
		ch.Ticks = append(ch.Ticks, tick{Y: ch.BaseY - scale(top), Value: top})
	}
	return ch
}

// daysBetween counts calendar days from a to b in a's location (a day of
// 23 or 25 hours counts as one).
func daysBetween(a, b time.Time) int {
	ay, am, ad := a.Date()
	by, bm, bd := b.In(a.Location()).Date()
	da := time.Date(ay, am, ad, 0, 0, 0, 0, time.UTC)
	db := time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC)
	return int(db.Sub(da) / (24 * time.Hour))
}

// niceCeiling is the smallest 2, 5 or 10 × 10ⁿ at or above n; 0 stays 0.
func niceCeiling(n int) int {
	if n <= 0 {
		return 0
	}
	for base := 1; ; base *= 10 {
		for _, m := range []int{2, 5, 10} {
			if v := m * base; v >= n && v >= 2 {
				return v
			}
		}
	}
}

// Summary says in words what the chart shows, for screen readers and for
// the chart's title.
func (ch chart) Summary() string {
	return fmt.Sprintf("%d units ordered over the last %d days, %d of them backordered", ch.Ordered, chartDays, ch.Backordered)
}
