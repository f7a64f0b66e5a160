package jobs

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/email"
	"github.com/backorderd/backorderd/store"
)

// recomputeETA gives every waiting line of an item its ETA afresh, in the
// caller's transaction, which holds the item's ledger lock: the waiting
// units, oldest first, against the item's open purchase-order lines (see
// backorder.ETAs). today is the shop's calendar day (shopDay). An order
// whose line's ETA moved by a day or more, and had one before, is told:
// an eta_changed message, at most one per order per shop day.
func recomputeETA(ctx context.Context, tx *store.Tx, out *Outbox, shop store.Shop, itemID string, today time.Time) error {
	return recomputeETAWith(ctx, tx, out, shop, itemID, today, 0)
}

// recomputeETAWith is recomputeETA with `arrived` units of the item in
// hand that no reconcile has allocated yet (a receipt's, in its
// transaction): they serve the oldest lines first, today, so that a line
// they will serve is not told of a later date meanwhile, nor of an earlier
// one: the ready message the reconcile calls for tells it.
func recomputeETAWith(ctx context.Context, tx *store.Tx, out *Outbox, shop store.Shop, itemID string, today time.Time, arrived int) error {
	lines, err := tx.WaitingLines(ctx, shop.ID, itemID)
	if err != nil || len(lines) == 0 {
		return err
	}
	supply, err := tx.Supply(ctx, shop.ID, itemID)
	if err != nil {
		return err
	}
	lead, err := estimateLeadTime(ctx, tx, shop.ID, itemID)
	if err != nil {
		return err
	}
	in := backorder.ETAInput{Lines: make([]backorder.WaitingLine, len(lines)), Supply: supplyOf(shop, supply),
		LeadTimeDays: lead, HandlingDays: shop.HandlingDays, Today: today}
	if arrived > 0 {
		// Dated before any other supply: in hand, it serves first.
		in.Supply = append(in.Supply, backorder.Supply{Units: arrived, Kind: backorder.ETAConfirmed})
	}
	for i, l := range lines {
		in.Lines[i] = backorder.WaitingLine{BackorderID: l.BackorderID, Waiting: l.Waiting, Estimate: l.Estimate}
	}
	etas := backorder.ETAs(in)
	// A late purchase-order line counts from today, so the ETAs it covers
	// move a day each day it stays late: its customers hear of that from
	// the delayed message (once per missed date), not every day from here.
	late := map[int64]bool{}
	for _, sp := range in.Supply {
		if sp.POLineID != 0 && sp.Date.Before(today) {
			late[sp.POLineID] = true
		}
	}
	writes := make([]store.ETAWrite, len(etas))
	moved := map[string]etaMove{}
	units := 0
	for i, e := range etas {
		writes[i] = store.ETAWrite{BackorderID: e.BackorderID, ETA: e.Date, Kind: string(e.Kind), Estimate: e.Estimate}
		if !sameETA(lines[i].ETA, e.Date) || lines[i].ETAKind != string(e.Kind) {
			out.touchOrders(shop.ID, lines[i].OrderID) // the store shows the line's ETA
		}
		units += lines[i].Waiting
		old := lines[i].ETA
		if old == nil || e.Date == nil || sameDay(*old, *e.Date) || units <= arrived || late[e.POLineID] {
			continue
		}
		m, seen := moved[lines[i].OrderID]
		if !seen || e.Date.After(m.to) {
			moved[lines[i].OrderID] = etaMove{from: *old, to: *e.Date}
		}
	}
	if err := tx.SetETAs(ctx, writes); err != nil {
		return err
	}
	// In order id order, as every writer of an order's emails takes them.
	for _, orderID := range slices.Sorted(maps.Keys(moved)) {
		if err := etaChanged(ctx, tx, out, shop, orderID, moved[orderID], today); err != nil {
			return err
		}
	}
	return nil
}

// etaMove is how an order's line's ETA moved: the latest new date of the
// item's lines in the order, and the date it replaces.
type etaMove struct{ from, to time.Time }

// etaChanged writes an order's eta_changed message, listing its waiting
// lines with their ETAs, unless the order had one this shop day already.
func etaChanged(ctx context.Context, tx *store.Tx, out *Outbox, shop store.Shop, orderID string, m etaMove, today time.Time) error {
	told, err := tx.OrderEmailSince(ctx, shop.ID, orderID, string(email.ETAChanged), dayStart(shop, today))
	if err != nil || told {
		return err
	}
	o, bos, err := orderToTell(ctx, tx, shop.ID, orderID)
	if err != nil || o == nil {
		return err
	}
	data := email.Order{Shop: emailShop(shop), OrderName: o.Name, CustomerName: o.FirstName, OldETA: m.from.Format(time.DateOnly)}
	for _, b := range bos {
		if b.Waiting > 0 {
			data.Lines = append(data.Lines, emailLine(b))
		}
	}
	key := "order:" + orderID + ":eta:" + m.to.Format(time.DateOnly)
	_, _, err = writeEmail(ctx, tx, out, shop, email.ETAChanged, key, customer(*o), data)
	return err
}

// supplyOf is an item's open purchase-order lines as the ETA matches them:
// a confirmed (or partly received) line with a date is confirmed for it;
// a sent line, or a confirmed one the supplier gave no date, is expected
// its lead time after the order was sent.
func supplyOf(shop store.Shop, lines []store.SupplyLine) []backorder.Supply {
	out := make([]backorder.Supply, len(lines))
	for i, l := range lines {
		s := backorder.Supply{POLineID: l.POLineID, Units: l.Units, Kind: backorder.ETAExpected}
		switch {
		case l.Status != store.POSent && l.ExpectedAt != nil:
			s.Date, s.Kind = utcDate(*l.ExpectedAt), backorder.ETAConfirmed
		case l.SentAt != nil:
			s.Date = shopDay(shop, *l.SentAt).AddDate(0, 0, l.LeadTimeDays)
		}
		out[i] = s
	}
	return out
}

// estimateLeadTime is the lead time of an item's estimates: the preferred
// supplier's terms', else that supplier's; nil when the item has no terms.
func estimateLeadTime(ctx context.Context, tx *store.Tx, shopID int64, itemID string) (*int, error) {
	terms, err := tx.ItemSuppliers(ctx, shopID, itemID)
	if err != nil || len(terms) == 0 {
		return nil, err
	}
	if terms[0].LeadTimeDays != nil {
		return terms[0].LeadTimeDays, nil
	}
	sp, err := tx.Supplier(ctx, terms[0].SupplierID)
	if err != nil {
		return nil, err
	}
	return &sp.LeadTimeDays, nil
}

// emailLine is a backorder as a customer message lists it, with its ETA.
func emailLine(b store.BackorderEntry) email.Line {
	l := email.Line{LineID: b.LineID, Title: b.Title, SKU: b.SKU, Ordered: b.Ordered, Backordered: b.Backordered,
		Waiting: b.Waiting, Allocated: b.Allocated, ETAKind: b.ETAKind}
	if b.ETA != nil {
		l.ETA = b.ETA.UTC().Format(time.DateOnly)
	}
	return l
}

// shopLocation is the shop's time zone; UTC for one the binary lacks (it
// was validated when set).
func shopLocation(shop store.Shop) *time.Location {
	loc, err := time.LoadLocation(shop.TimeZone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// shopDay is the shop's calendar day at t, as 00:00 UTC of that date: how
// ETAs and expected dates are kept.
func shopDay(shop store.Shop, t time.Time) time.Time {
	y, m, d := t.In(shopLocation(shop)).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// dayStart is the instant the shop's calendar day `day` (00:00 UTC of the
// date) begins in its time zone.
func dayStart(shop store.Shop, day time.Time) time.Time {
	y, m, d := day.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, shopLocation(shop))
}

// utcDate is a stored date (00:00 UTC of it) read in any location.
func utcDate(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func sameDay(a, b time.Time) bool { return utcDate(a).Equal(utcDate(b)) }

// sameETA reports whether two ETAs (nil: unknown) are the same day.
func sameETA(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return sameDay(*a, *b)
}
