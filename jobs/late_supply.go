package jobs

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/email"
	"github.com/backorderd/backorderd/store"
)

// poEventOverdue is the purchase-order trail's entry for a missed date.
const poEventOverdue = "overdue"

// lateSupply tells of every purchase order past an expected date at now,
// each as of its shop's calendar day, in a transaction of its own: see
// overduePO.
func (p *Purchasing) lateSupply(ctx context.Context, now time.Time) error {
	var overdue []store.OverduePO
	err := p.store.InTx(ctx, func(tx *store.Tx) error {
		// The latest calendar day any shop may be on: each order is
		// checked again against its own shop's.
		var err error
		overdue, err = tx.OverduePOs(ctx, utcDate(now).AddDate(0, 0, 1))
		return err
	})
	if err != nil {
		return fmt.Errorf("list overdue purchase orders: %w", err)
	}
	for _, po := range overdue {
		err := p.dispatcher.InTx(ctx, p.store, func(tx *store.Tx, out *Outbox) error { return overduePO(ctx, tx, out, po.ID, now) })
		if err != nil {
			return fmt.Errorf("tell of overdue purchase order %d: %w", po.ID, err)
		}
	}
	return nil
}

// overduePO tells of purchase order poID past an expected date as of its
// shop's calendar day at now, in the caller's transaction: the order is
// marked overdue for the newest date it missed and gets an "overdue"
// entry, its merchant a merchant_po_overdue message, its items' ETAs
// count its late units from today, and every order with a waiting line
// whose last unit a late line covered gets a delayed message. Each once
// per missed date: the mark, and the messages' keys, say it was told. The
// order is locked first, then its items' ledgers in item order.
func overduePO(ctx context.Context, tx *store.Tx, out *Outbox, poID int64, now time.Time) error {
	po, lines, err := tx.LockPO(ctx, poID)
	if err != nil {
		return err
	}
	shop, err := tx.Shop(ctx, po.ShopID)
	if err != nil {
		return err
	}
	today := shopDay(shop, now)
	missed, due := missedDate(po, lines, today)
	if missed == nil || (po.OverdueAt != nil && !po.OverdueAt.Before(*missed)) {
		return nil // not late yet in its shop's day, or received, changed or told since it was listed
	}
	late := map[int64]bool{}
	for _, l := range due {
		if d := lineDate(po, l); d != nil && !d.After(*missed) {
			late[l.ID] = true
		}
		if _, err := tx.LockLedger(ctx, shop.ID, l.ItemID); err != nil {
			return err
		}
	}
	po.OverdueAt = missed
	if err := tx.SavePO(ctx, po); err != nil {
		return err
	}
	date := missed.Format(time.DateOnly)
	if err := tx.AddPOEvent(ctx, store.POEvent{POID: po.ID, Revision: po.Revision, Kind: poEventOverdue,
		Detail: "expected by " + date}); err != nil {
		return err
	}
	delayed := map[string][]int64{} // order id → its lines a late line covered
	items := make([]email.ItemCount, len(due))
	for i, l := range due {
		orders, err := lateLines(ctx, tx, shop, l.ItemID, today, late, delayed)
		if err != nil {
			return err
		}
		items[i] = email.ItemCount{SKU: l.SKU, Title: l.Title, Orders: orders, Units: l.Quantity - l.Received}
		if l.Title == "" && l.SKU == "" {
			items[i].Title = "item " + l.ItemID
		}
		if err := recomputeETA(ctx, tx, out, shop, l.ItemID, today); err != nil {
			return err
		}
	}
	if err := poOverdueNotice(ctx, tx, out, shop, po, *missed, items); err != nil {
		return err
	}
	oldETA := missed.AddDate(0, 0, shop.HandlingDays).Format(time.DateOnly)
	for _, orderID := range slices.Sorted(maps.Keys(delayed)) {
		if err := delayedNotice(ctx, tx, out, shop, orderID, delayed[orderID], oldETA, date); err != nil {
			return err
		}
	}
	return nil
}

// missedDate is the newest expected date before today of a line of an
// open order with units still to come, nil if there is none, and those
// lines, in item order.
func missedDate(po store.PurchaseOrder, lines []store.POLine, today time.Time) (*time.Time, []store.POLine) {
	switch po.Status {
	case store.POSent, store.POConfirmed, store.POPartiallyReceived:
	default:
		return nil, nil
	}
	var missed *time.Time
	var due []store.POLine
	for _, l := range lines {
		if l.Quantity <= l.Received {
			continue
		}
		due = append(due, l)
		if d := lineDate(po, l); d != nil && d.Before(today) && (missed == nil || d.After(*missed)) {
			missed = d
		}
	}
	slices.SortFunc(due, func(a, b store.POLine) int { return strings.Compare(a.ItemID, b.ItemID) })
	return missed, due
}

// lineDate is a line's expected date: its own, else its order's.
func lineDate(po store.PurchaseOrder, l store.POLine) *time.Time {
	if l.ExpectedAt != nil {
		return l.ExpectedAt
	}
	return po.ExpectedAt
}

// lateLines adds to delayed the item's waiting lines whose last unit a
// late purchase-order line covers, gives those lines their ETA from today
// at once — so that recomputeETA finds them unmoved and the delayed
// message is their only news — and returns how many orders wait for the
// item.
func lateLines(ctx context.Context, tx *store.Tx, shop store.Shop, itemID string, today time.Time,
	late map[int64]bool, delayed map[string][]int64) (int, error) {
	waiting, etas, err := itemETAs(ctx, tx, shop, itemID, today)
	if err != nil {
		return 0, err
	}
	orders := map[string]bool{}
	var writes []store.ETAWrite
	for i, e := range etas {
		orders[waiting[i].OrderID] = true
		if late[e.POLineID] {
			delayed[waiting[i].OrderID] = append(delayed[waiting[i].OrderID], e.BackorderID)
			writes = append(writes, store.ETAWrite{BackorderID: e.BackorderID, ETA: e.Date, Kind: string(e.Kind),
				Estimate: e.Estimate})
		}
	}
	return len(orders), tx.SetETAs(ctx, writes)
}

// itemETAs reads an item's waiting lines and computes their ETAs as of
// today, as recomputeETA does, without writing them.
func itemETAs(ctx context.Context, tx *store.Tx, shop store.Shop, itemID string, today time.Time) ([]store.WaitingETA, []backorder.LineETA, error) {
	lines, err := tx.WaitingLines(ctx, shop.ID, itemID)
	if err != nil || len(lines) == 0 {
		return nil, nil, err
	}
	supply, err := tx.Supply(ctx, shop.ID, itemID)
	if err != nil {
		return nil, nil, err
	}
	lead, err := estimateLeadTime(ctx, tx, shop.ID, itemID)
	if err != nil {
		return nil, nil, err
	}
	in := backorder.ETAInput{Lines: make([]backorder.WaitingLine, len(lines)), Supply: supplyOf(shop, supply),
		LeadTimeDays: lead, HandlingDays: shop.HandlingDays, Today: today}
	for i, l := range lines {
		in.Lines[i] = backorder.WaitingLine{BackorderID: l.BackorderID, Waiting: l.Waiting, Estimate: l.Estimate}
	}
	return lines, backorder.ETAs(in), nil
}

// poOverdueNotice writes the merchant's merchant_po_overdue message, once
// per missed date (po:{id}:overdue:{date}).
func poOverdueNotice(ctx context.Context, tx *store.Tx, out *Outbox, shop store.Shop, po store.PurchaseOrder,
	missed time.Time, items []email.ItemCount) error {
	if shop.MerchantEmail == "" {
		return nil
	}
	sp, err := tx.Supplier(ctx, po.SupplierID)
	if err != nil {
		return err
	}
	summary := email.POSummary{ID: po.ID, Supplier: sp.Name, ExpectedAt: missed.Format(time.DateOnly)}
	for _, it := range items {
		summary.UnitsDue += it.Units
	}
	data := email.Merchant{Shop: emailShop(shop), PO: &summary, Items: items}
	key := "po:" + strconv.FormatInt(po.ID, 10) + ":overdue:" + summary.ExpectedAt
	_, _, err = writeEmail(ctx, tx, out, shop, email.MerchantPOOverdue, key, recipient{email: shop.MerchantEmail, name: shop.Name}, data)
	return err
}

// delayedNotice writes an order's delayed message listing its lines a
// late purchase order covered, with their new ETAs, once per missed date
// (order:{id}:delayed:{date}).
func delayedNotice(ctx context.Context, tx *store.Tx, out *Outbox, shop store.Shop, orderID string, ids []int64,
	oldETA, date string) error {
	return customerNotice(ctx, tx, out, shop, orderID, email.Delayed, "order:"+orderID+":delayed:"+date,
		func(d *email.Order, b store.BackorderEntry) bool {
			d.OldETA = oldETA
			return slices.Contains(ids, b.ID)
		})
}

// customerNotice writes an order's customer message of kind, keyed key,
// listing the order's lines (with their ETAs) that fill accepts; fill may
// also set the message's other data. An order with no address gets none.
func customerNotice(ctx context.Context, tx *store.Tx, out *Outbox, shop store.Shop, orderID string, kind email.Kind,
	key string, fill func(*email.Order, store.BackorderEntry) bool) error {
	orders, err := tx.CustomerOrders(ctx, shop.ID, "", "", []string{orderID})
	if err != nil || len(orders) == 0 || orders[0].Email == "" {
		return err
	}
	bos, err := tx.OrderBackorders(ctx, shop.ID, orderID)
	if err != nil {
		return err
	}
	o := orders[0]
	data := email.Order{Shop: emailShop(shop), OrderName: o.Name, CustomerName: o.FirstName}
	for _, b := range bos {
		if fill(&data, b) {
			data.Lines = append(data.Lines, emailLine(b))
		}
	}
	to := recipient{email: o.Email, name: strings.TrimSpace(o.FirstName + " " + o.LastName), orderID: orderID}
	_, _, err = writeEmail(ctx, tx, out, shop, kind, key, to, data)
	return err
}
