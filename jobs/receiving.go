package jobs

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/backorderd/backorderd/store"
)

// Confirm records a supplier's confirmation of a sent purchase order: it
// becomes confirmed (a partially received one stays so), with the dates
// and quantities c gives. A date that was given before and changes, or a
// changed quantity, is a new revision. ErrConflict unless the order is
// sent, confirmed or partially received; ErrUnprocessable for an item the
// order does not have or a quantity below what was received.
func (p *Purchasing) Confirm(ctx context.Context, poID int64, c Confirmation) (store.PurchaseOrder, error) {
	return p.change(ctx, poID, func(tx *store.Tx, _ *Outbox, po *store.PurchaseOrder, lines []store.POLine) (map[string]int, bool, error) {
		switch po.Status {
		case store.POSent, store.POConfirmed, store.POPartiallyReceived:
		default:
			return nil, false, fmt.Errorf("confirm purchase order %d: it is %s: %w", po.ID, po.Status, ErrConflict)
		}
		var changes []string
		if c.ExpectedAt != nil {
			d := utcDate(*c.ExpectedAt)
			if po.ExpectedAt != nil && !sameDay(*po.ExpectedAt, d) {
				changes = append(changes, "expected "+po.ExpectedAt.UTC().Format(time.DateOnly)+" → "+d.Format(time.DateOnly))
			}
			po.ExpectedAt = &d
		}
		saved, lineChanges, err := applyLineChanges(po, lines, c.Lines)
		if err != nil {
			return nil, false, err
		}
		for _, l := range saved {
			if err := tx.SavePOLine(ctx, l); err != nil {
				return nil, false, err
			}
		}
		changes = append(changes, lineChanges...)
		first := po.Status == store.POSent
		if first {
			now := p.now()
			po.Status, po.ConfirmedAt = store.POConfirmed, &now
			if err := tx.AddPOEvent(ctx, store.POEvent{POID: po.ID, Revision: po.Revision, Kind: poEventConfirmed}); err != nil {
				return nil, false, err
			}
		}
		if len(changes) > 0 {
			po.Revision++
			err := tx.AddPOEvent(ctx, store.POEvent{POID: po.ID, Revision: po.Revision, Kind: poEventChanged,
				Detail: strings.Join(changes, "; ")})
			if err != nil {
				return nil, false, err
			}
		}
		return nil, true, tx.SavePO(ctx, *po)
	})
}

// applyLineChanges applies a confirmation's line changes to the order's
// lines; it returns the lines to save and what changed, in words.
func applyLineChanges(po *store.PurchaseOrder, lines []store.POLine, cs []LineChange) ([]store.POLine, []string, error) {
	var saved []store.POLine
	var changes []string
	for _, c := range cs {
		i := lineOf(lines, c.ItemID)
		if i < 0 {
			return nil, nil, fmt.Errorf("confirm purchase order %d: it has no line of item %q: %w", po.ID, c.ItemID, ErrUnprocessable)
		}
		l := lines[i]
		if c.Quantity != nil {
			if *c.Quantity < l.Received {
				return nil, nil, fmt.Errorf("confirm purchase order %d: %d of item %s is less than the %d received: %w",
					po.ID, *c.Quantity, c.ItemID, l.Received, ErrUnprocessable)
			}
			if *c.Quantity != l.Quantity {
				changes = append(changes, fmt.Sprintf("%s quantity %d → %d", c.ItemID, l.Quantity, *c.Quantity))
				l.Quantity = *c.Quantity
			}
		}
		if c.ExpectedAt != nil {
			d := utcDate(*c.ExpectedAt)
			before := l.ExpectedAt
			if before == nil {
				before = po.ExpectedAt
			}
			if before != nil && !sameDay(*before, d) {
				changes = append(changes, c.ItemID+" expected "+before.UTC().Format(time.DateOnly)+" → "+d.Format(time.DateOnly))
			}
			l.ExpectedAt = &d
		}
		lines[i] = l
		saved = append(saved, l)
	}
	return saved, changes, nil
}

func lineOf(lines []store.POLine, itemID string) int {
	for i, l := range lines {
		if l.ItemID == itemID {
			return i
		}
	}
	return -1
}

// Receive records a receipt of a sent or confirmed purchase order: its
// lines' received units grow, the order becomes partially received or
// received, and its items are marked for a reconcile (cause
// receipt:<id>), which allocates the units oldest first as for a restock.
// A receipt_id the order has received already adds nothing: the order is
// returned as it is, with duplicate true. Receiving more than a line
// orders, or an item it does not order, is ErrUnprocessable, and nothing
// is written.
func (p *Purchasing) Receive(ctx context.Context, poID int64, r store.Receipt) (po store.PurchaseOrder, duplicate bool, err error) {
	if err := checkReceipt(r); err != nil {
		return store.PurchaseOrder{}, false, fmt.Errorf("receive on purchase order %d: %w", poID, err)
	}
	r.POID = poID
	po, err = p.change(ctx, poID, func(tx *store.Tx, out *Outbox, po *store.PurchaseOrder, lines []store.POLine) (map[string]int, bool, error) {
		id, dup, err := tx.AddReceipt(ctx, r)
		if err != nil || dup {
			duplicate = dup
			return nil, false, err
		}
		switch po.Status {
		case store.POSent, store.POConfirmed, store.POPartiallyReceived:
		default:
			return nil, false, fmt.Errorf("receive on purchase order %d: it is %s: %w", po.ID, po.Status, ErrConflict)
		}
		arrived, err := p.receiveLines(ctx, tx, po, lines, r)
		if err != nil {
			return nil, false, err
		}
		items := make([]string, 0, len(arrived))
		for item := range arrived {
			items = append(items, item)
		}
		slices.Sort(items)
		if err := receiptToStore(ctx, tx, out, po.ShopID, id, items, arrived); err != nil {
			return nil, false, err
		}
		// The ledgers are locked in item id order by MarkItems, as by
		// the ETA recompute that follows.
		cause := "receipt:" + strconv.FormatInt(id, 10)
		return arrived, true, markItems(ctx, tx, out, po.ShopID, items, p.now(), time.Time{}, 0, cause)
	})
	return po, duplicate, err
}

// receiveLines counts a receipt's units on the order's lines and sets the
// order's status; it returns the units per item.
func (p *Purchasing) receiveLines(ctx context.Context, tx *store.Tx, po *store.PurchaseOrder, lines []store.POLine, r store.Receipt) (map[string]int, error) {
	arrived := map[string]int{}
	units := 0
	for _, rl := range r.Lines {
		i := lineOf(lines, rl.ItemID)
		if i < 0 {
			return nil, fmt.Errorf("receive on purchase order %d: it has no line of item %q: %w", po.ID, rl.ItemID, ErrUnprocessable)
		}
		l := &lines[i]
		if l.Received+rl.Quantity > l.Quantity {
			return nil, fmt.Errorf("receive on purchase order %d: %d more of item %s would be %d received of %d ordered: %w",
				po.ID, rl.Quantity, rl.ItemID, l.Received+rl.Quantity, l.Quantity, ErrUnprocessable)
		}
		l.Received += rl.Quantity
		arrived[rl.ItemID] += rl.Quantity
		units += rl.Quantity
		if err := tx.SavePOLine(ctx, *l); err != nil {
			return nil, err
		}
	}
	po.Status = store.POReceived
	for _, l := range lines {
		if l.Received < l.Quantity {
			po.Status = store.POPartiallyReceived
		}
	}
	if po.Status == store.POReceived {
		now := p.now()
		po.ReceivedAt = &now
	}
	if err := tx.SavePO(ctx, *po); err != nil {
		return nil, err
	}
	detail := fmt.Sprintf("receipt %s: %d units", r.ReceiptID, units)
	return arrived, tx.AddPOEvent(ctx, store.POEvent{POID: po.ID, Revision: po.Revision, Kind: poEventReceived, Detail: detail})
}

// checkReceipt refuses a malformed receipt: no receipt_id, no lines, an
// item twice, a quantity below 1.
func checkReceipt(r store.Receipt) error {
	if r.ReceiptID == "" {
		return fmt.Errorf("a receipt needs a receipt_id: %w", ErrBadRequest)
	}
	if len(r.Lines) == 0 {
		return fmt.Errorf("receipt %q has no lines: %w", r.ReceiptID, ErrBadRequest)
	}
	seen := map[string]bool{}
	for _, l := range r.Lines {
		switch {
		case l.ItemID == "":
			return fmt.Errorf("receipt %q: a line without item_id: %w", r.ReceiptID, ErrBadRequest)
		case l.Quantity < 1:
			return fmt.Errorf("receipt %q: quantity %d of item %s, want at least 1: %w", r.ReceiptID, l.Quantity, l.ItemID, ErrBadRequest)
		case seen[l.ItemID]:
			return fmt.Errorf("receipt %q: item %s twice: %w", r.ReceiptID, l.ItemID, ErrBadRequest)
		}
		seen[l.ItemID] = true
	}
	return nil
}

// receiptToStore adds a receipt's units to the store's stock of each item
// (a shop with credentials and the stock write on), once per receipt.
func receiptToStore(ctx context.Context, tx *store.Tx, out *Outbox, shopID, receiptID int64, items []string, arrived map[string]int) error {
	shop, err := tx.Shop(ctx, shopID)
	if err != nil {
		return err
	}
	for _, item := range items {
		if err := wantStock(ctx, tx, out, shop, receiptID, item, arrived[item]); err != nil {
			return err
		}
	}
	return nil
}
