package store_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// day is the calendar date t0 + n days, at 00:00 UTC.
func day(n int) time.Time {
	return time.Date(t0.Year(), t0.Month(), t0.Day()+n, 0, 0, 0, 0, time.UTC)
}

// openPO makes a purchase order of the shop to supplier with quantity of
// each item (in the order given, item then quantity), then saves it with
// status; edit, when not nil, changes the order before it is saved. The
// order starts as the open draft: a draft made before it of the same
// supplier is that order.
func openPO(t *testing.T, s *store.Store, shopID, supplierID int64, status string, edit func(*store.PurchaseOrder), lines ...any) store.PurchaseOrder {
	t.Helper()
	var po store.PurchaseOrder
	inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
		var err error
		if po, err = tx.DraftPO(ctx, shopID, supplierID, "EUR"); err != nil {
			return err
		}
		for i := 0; i < len(lines); i += 2 {
			item := lines[i].(string)
			l := store.POLine{ItemID: item, SKU: "SKU-" + item, Quantity: lines[i+1].(int), UnitCost: "2.50"}
			if err := tx.AddToPOLine(ctx, po.ID, l); err != nil {
				return err
			}
		}
		po.Status = status
		if status != store.PODraft {
			sent := t0
			po.SentAt = &sent
		}
		if edit != nil {
			edit(&po)
		}
		return tx.SavePO(ctx, po)
	})
	return po
}

func TestTheOpenDraftIsOnePerShopAndSupplier(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a, b := addShopAt(t, s, "a.myshopify.com"), addShopAt(t, s, "b.myshopify.com")
		sa, sb := addSupplier(t, s, "a", 1), addSupplier(t, s, "b", 1)
		draft := func(shopID, supplierID int64) store.PurchaseOrder {
			var po store.PurchaseOrder
			inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
				var err error
				po, err = tx.DraftPO(ctx, shopID, supplierID, "EUR")
				return err
			})
			return po
		}
		first := draft(a.ID, sa.ID)
		if first.Status != store.PODraft || first.Revision != 1 || first.Currency != "EUR" || first.ShopID != a.ID || first.SupplierID != sa.ID {
			t.Errorf("new draft = %+v", first)
		}
		if again := draft(a.ID, sa.ID); again.ID != first.ID {
			t.Errorf("second draft = %d, want the open one %d", again.ID, first.ID)
		}
		if other := draft(a.ID, sb.ID); other.ID == first.ID {
			t.Error("another supplier got the same draft")
		}
		if other := draft(b.ID, sa.ID); other.ID == first.ID {
			t.Error("another shop got the same draft")
		}
		// Once sent, the next draft is a new order.
		openPO(t, s, a.ID, sa.ID, store.POSent, nil)
		if next := draft(a.ID, sa.ID); next.ID == first.ID {
			t.Error("a sent order was given as the draft")
		}
	})
}

func TestTwoTransactionsAskingForADraftAtOnceGetTheSameOne(t *testing.T) {
	if !slicesContains(storetest.Engines(), store.Postgres) {
		t.Skip("needs PostgreSQL: SQLite has one writer")
	}
	s := storetest.New(t, store.Postgres)
	shop := addShop(t, s)
	sp := addSupplier(t, s, "a", 1)
	ctx := context.Background()
	// Both transactions take their draft before either commits.
	var ready sync.WaitGroup
	ready.Add(2)
	ids := make([]int64, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.InTx(ctx, func(tx *store.Tx) error {
				if _, err := tx.Shop(ctx, shop.ID); err != nil { // a snapshot-free read: the transaction has begun
					return err
				}
				ready.Done()
				ready.Wait()
				po, err := tx.DraftPO(ctx, shop.ID, sp.ID, "EUR")
				ids[i] = po.ID
				if err != nil {
					return err
				}
				return tx.AddToPOLine(ctx, po.ID, store.POLine{ItemID: "42", Quantity: 3})
			})
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil || ids[0] != ids[1] {
		t.Fatalf("drafts = %v, errors %v; want one draft for both", ids, errs)
	}
	_, lines, _, err := s.PurchaseOrder(ctx, ids[0])
	if err != nil || len(lines) != 1 || lines[0].Quantity != 6 {
		t.Errorf("lines = %+v, %v; want one line of 6", lines, err)
	}
	if pos, _ := s.ListPurchaseOrders(ctx, store.POFilter{Limit: 10}); len(pos) != 1 {
		t.Errorf("purchase orders = %d, want 1", len(pos))
	}
}

func slicesContains(es []store.Engine, e store.Engine) bool {
	for _, x := range es {
		if x == e {
			return true
		}
	}
	return false
}

func TestAPurchaseOrderIsWrittenAndReadBackWithItsLinesAndTrail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shop := addShop(t, s)
		sp := addSupplier(t, s, "a", 1)
		s.SetClock(func() time.Time { return t0 })
		po := openPO(t, s, shop.ID, sp.ID, store.PODraft, nil, "42", 3, "43", 1, "42", 4)
		_, lines, _, err := s.PurchaseOrder(ctx, po.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(lines) != 2 || lines[0].ItemID != "42" || lines[0].Quantity != 7 || lines[0].ShopID != shop.ID ||
			lines[0].SKU != "SKU-42" || lines[0].UnitCost != "2.50" || lines[1].ItemID != "43" || lines[1].Quantity != 1 {
			t.Fatalf("lines = %+v; want 42 ×7 (3 + 4) and 43 ×1", lines)
		}
		if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.AddToPOLine(ctx, 999, store.POLine{ItemID: "42", Quantity: 1}) }); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a line for a missing order: err = %v, want ErrNotFound", err)
		}
		later := t0.Add(time.Hour)
		s.SetClock(func() time.Time { return later })
		expected, lineDate, overdue := day(10), day(12), day(9)
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			got, ls, err := tx.LockPO(ctx, po.ID)
			if err != nil {
				return err
			}
			sent, confirmed := later, later
			got.Status, got.Revision, got.ExpectedAt, got.SentAt, got.ConfirmedAt = store.POConfirmed, 2, &expected, &sent, &confirmed
			got.SendError, got.CancelReason, got.OverdueAt = "refused", "none", &overdue
			if err := tx.SavePO(ctx, got); err != nil {
				return err
			}
			ls[1].Quantity, ls[1].Received, ls[1].ExpectedAt = 5, 2, &lineDate
			if err := tx.SavePOLine(ctx, ls[1]); err != nil {
				return err
			}
			return tx.AddPOEvent(ctx, store.POEvent{POID: po.ID, Revision: 2, Kind: "confirmed", Detail: "by supplier"})
		})
		got, lines, trail, err := s.PurchaseOrder(ctx, po.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != store.POConfirmed || got.Revision != 2 || !eqTime(got.ExpectedAt, expected) || !eqTime(got.SentAt, later) ||
			!eqTime(got.ConfirmedAt, later) || got.ReceivedAt != nil || got.SendError != "refused" || got.CancelReason != "none" ||
			!eqTime(got.OverdueAt, overdue) || !got.UpdatedAt.Equal(later) || !got.CreatedAt.Equal(t0) {
			t.Errorf("saved order = %+v", got)
		}
		if lines[1].Quantity != 5 || lines[1].Received != 2 || !eqTime(lines[1].ExpectedAt, lineDate) || lines[0].ExpectedAt != nil {
			t.Errorf("saved lines = %+v", lines)
		}
		if len(trail) != 1 || trail[0].Kind != "confirmed" || trail[0].Revision != 2 || trail[0].Detail != "by supplier" || !trail[0].CreatedAt.Equal(later) {
			t.Errorf("trail = %+v", trail)
		}
		if _, _, _, err := s.PurchaseOrder(ctx, 999); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a missing order: err = %v, want ErrNotFound", err)
		}
		for what, save := range map[string]func(tx *store.Tx) error{
			"order": func(tx *store.Tx) error { return tx.SavePO(ctx, store.PurchaseOrder{ID: 999, Status: store.PODraft}) },
			"line":  func(tx *store.Tx) error { return tx.SavePOLine(ctx, store.POLine{ID: 999}) },
			"lock":  func(tx *store.Tx) error { _, _, err := tx.LockPO(ctx, 999); return err },
		} {
			if err := s.InTx(ctx, save); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("a missing %s: err = %v, want ErrNotFound", what, err)
			}
		}
	})
}

func eqTime(p *time.Time, want time.Time) bool { return p != nil && p.Equal(want) }

func TestListingPurchaseOrdersFiltersAndPagesNewestFirst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, b := addShopAt(t, s, "a.myshopify.com"), addShopAt(t, s, "b.myshopify.com")
		x, y := addSupplier(t, s, "x", 1), addSupplier(t, s, "y", 1)
		// Ids 1 to 4 in this order.
		pos := []store.PurchaseOrder{
			openPO(t, s, a.ID, x.ID, store.POSent, nil),
			openPO(t, s, a.ID, y.ID, store.POCancelled, nil),
			openPO(t, s, a.ID, x.ID, store.PODraft, nil),
			openPO(t, s, b.ID, x.ID, store.POSent, nil),
		}
		names := map[int64]string{}
		for i, po := range pos {
			names[po.ID] = fmt.Sprint(i + 1)
		}
		list := func(f store.POFilter) ([]store.PurchaseOrder, error) {
			f.Limit = cmp.Or(f.Limit, 10)
			return s.ListPurchaseOrders(ctx, f)
		}
		checkList(t, list, func(po store.PurchaseOrder) string { return names[po.ID] }, []listCase[store.POFilter]{
			{"all", store.POFilter{}, "4321"},
			{"shop", store.POFilter{ShopID: a.ID}, "321"},
			{"supplier", store.POFilter{SupplierID: y.ID}, "2"},
			{"status", store.POFilter{Status: store.POSent}, "41"},
			{"together", store.POFilter{ShopID: a.ID, SupplierID: x.ID, Status: store.POSent}, "1"},
			{"first page", store.POFilter{Limit: 2}, "43"},
			{"next page", store.POFilter{Limit: 2, Before: pos[2].ID}, "21"},
		})
	})
}

func supply(t *testing.T, s *store.Store, shopID int64, itemID string) []store.SupplyLine {
	t.Helper()
	var ls []store.SupplyLine
	inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
		var err error
		ls, err = tx.Supply(ctx, shopID, itemID)
		return err
	})
	return ls
}

func TestSupplyIsTheUnitsStillToComeOnSentAndConfirmedOrders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		shop := addShop(t, s)
		a, b := addSupplier(t, s, "a", 9), addSupplier(t, s, "b", 7)
		setTerms(t, s, store.ItemSupplier{ShopID: shop.ID, ItemID: "42", SupplierID: a.ID, LeadTimeDays: ptr(4)})
		expect := func(d time.Time) func(*store.PurchaseOrder) {
			return func(po *store.PurchaseOrder) { po.ExpectedAt = &d }
		}
		sent := openPO(t, s, shop.ID, a.ID, store.POSent, nil, "42", 3, "43", 1)
		confirmed := openPO(t, s, shop.ID, b.ID, store.POConfirmed, expect(day(10)), "42", 5)
		lineDate := day(12)
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			_, ls, err := tx.LockPO(ctx, confirmed.ID)
			ls[0].ExpectedAt = &lineDate
			if err == nil {
				err = tx.SavePOLine(ctx, ls[0])
			}
			return err
		})
		partial := openPO(t, s, shop.ID, b.ID, store.POPartiallyReceived, expect(day(8)), "42", 4)
		receiveOnLine(t, s, partial.ID, "42", 1)
		done := openPO(t, s, shop.ID, a.ID, store.POPartiallyReceived, nil, "42", 6)
		receiveOnLine(t, s, done.ID, "42", 6) // nothing left to come
		openPO(t, s, shop.ID, a.ID, store.POReceived, nil, "42", 1)
		openPO(t, s, shop.ID, b.ID, store.POCancelled, nil, "42", 1)
		openPO(t, s, shop.ID, a.ID, store.PODraft, nil, "42", 2)

		ls := supply(t, s, shop.ID, "42")
		if len(ls) != 3 {
			t.Fatalf("supply = %+v, want the sent, confirmed and partially received lines", ls)
		}
		if l := ls[0]; l.POID != sent.ID || l.Status != store.POSent || l.Units != 3 || l.SupplierID != a.ID ||
			!eqTime(l.SentAt, t0) || l.ExpectedAt != nil || l.LeadTimeDays != 4 || l.POLineID == 0 {
			t.Errorf("the sent order's line = %+v; want 3 units, sent at t0, no date, the terms' lead time 4", l)
		}
		if l := ls[1]; l.POID != confirmed.ID || l.Status != store.POConfirmed || l.Units != 5 || !eqTime(l.ExpectedAt, lineDate) || l.LeadTimeDays != 7 {
			t.Errorf("the confirmed order's line = %+v; want 5 units on the line's own date, the supplier's lead time 7", l)
		}
		if l := ls[2]; l.POID != partial.ID || l.Status != store.POPartiallyReceived || l.Units != 3 || !eqTime(l.ExpectedAt, day(8)) {
			t.Errorf("the partially received line = %+v; want 4 − 1 units on the order's date", l)
		}
		if ls := supply(t, s, shop.ID, "43"); len(ls) != 1 || ls[0].Units != 1 {
			t.Errorf("supply of 43 = %+v", ls)
		}
	})
}

func overdue(t *testing.T, s *store.Store, today time.Time) string {
	t.Helper()
	var got string
	inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
		os, err := tx.OverduePOs(ctx, today)
		for _, o := range os {
			got += fmt.Sprintf("%d@%s ", o.ID, o.MissedAt.Format("01-02"))
		}
		return err
	})
	return got
}

func TestAnOrderIsOverdueOncePerMissedDate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		shop := addShop(t, s)
		a, b, c := addSupplier(t, s, "a", 1), addSupplier(t, s, "b", 1), addSupplier(t, s, "c", 1)
		expect := func(d time.Time) func(*store.PurchaseOrder) {
			return func(po *store.PurchaseOrder) { po.ExpectedAt = &d }
		}
		late := openPO(t, s, shop.ID, a.ID, store.POConfirmed, expect(day(5)), "42", 2, "43", 1)
		// A line's own date counts, where it has units still to come.
		lineLate := openPO(t, s, shop.ID, b.ID, store.POPartiallyReceived, expect(day(20)), "42", 2, "43", 2)
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			_, ls, err := tx.LockPO(ctx, lineLate.ID)
			d3, d6 := day(3), day(6)
			ls[0].ExpectedAt, ls[0].Received = &d6, 2 // all here: not late
			ls[1].ExpectedAt = &d3
			for _, l := range ls {
				if err == nil {
					err = tx.SavePOLine(ctx, l)
				}
			}
			return err
		})
		openPO(t, s, shop.ID, c.ID, store.POCancelled, expect(day(1)), "42", 1)
		openPO(t, s, shop.ID, c.ID, store.POReceived, expect(day(1)), "42", 1)
		openPO(t, s, shop.ID, c.ID, store.POSent, nil, "42", 1) // no date: cannot be late
		openPO(t, s, shop.ID, a.ID, store.POSent, expect(day(9)), "42", 1)

		d05, d03 := day(5).Format("01-02"), day(3).Format("01-02")
		if got, want := overdue(t, s, day(5)), fmt.Sprintf("%d@%s ", lineLate.ID, d03); got != want {
			t.Errorf("overdue on day 5 = %q, want %q (the expected date itself is not late)", got, want)
		}
		if got, want := overdue(t, s, day(6)), fmt.Sprintf("%d@%s %d@%s ", late.ID, d05, lineLate.ID, d03); got != want {
			t.Errorf("overdue on day 6 = %q, want %q", got, want)
		}
		// Told: not again for that date; a new date missed is news.
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			po, _, err := tx.LockPO(ctx, late.ID)
			d := day(5)
			po.OverdueAt = &d
			if err == nil {
				err = tx.SavePO(ctx, po)
			}
			return err
		})
		if got, want := overdue(t, s, day(6)), fmt.Sprintf("%d@%s ", lineLate.ID, d03); got != want {
			t.Errorf("overdue once told = %q, want %q", got, want)
		}
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			po, _, err := tx.LockPO(ctx, late.ID)
			d := day(7)
			po.ExpectedAt = &d
			if err == nil {
				err = tx.SavePO(ctx, po)
			}
			return err
		})
		if got := overdue(t, s, day(8)); got != fmt.Sprintf("%d@%s %d@%s ", late.ID, day(7).Format("01-02"), lineLate.ID, d03) {
			t.Errorf("overdue after a new date passed = %q, want the order again at day 7", got)
		}
	})
}

func TestOpenOrdersShowTheirSupplierUnitsDueAndTheDateTheyMissed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		shop, other := addShopAt(t, s, "a.myshopify.com"), addShopAt(t, s, "b.myshopify.com")
		a, b := addSupplier(t, s, "Acme", 1), addSupplier(t, s, "Brill", 1)
		expect := func(d time.Time) func(*store.PurchaseOrder) {
			return func(po *store.PurchaseOrder) { po.ExpectedAt = &d }
		}
		late := openPO(t, s, shop.ID, a.ID, store.POPartiallyReceived, expect(day(3)), "42", 5, "43", 2)
		receiveOnLine(t, s, late.ID, "42", 1)
		onTime := openPO(t, s, shop.ID, b.ID, store.POConfirmed, expect(day(9)), "42", 4)
		sent := openPO(t, s, shop.ID, b.ID, store.POSent, nil, "43", 1)
		openPO(t, s, shop.ID, a.ID, store.POReceived, expect(day(1)), "42", 1)
		openPO(t, s, shop.ID, b.ID, store.POCancelled, expect(day(1)), "42", 1)
		openPO(t, s, shop.ID, a.ID, store.PODraft, nil, "42", 1)
		openPO(t, s, other.ID, a.ID, store.POConfirmed, expect(day(1)), "42", 1)

		var got []store.OpenPO
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			var err error
			got, err = tx.OpenPOs(ctx, shop.ID, day(5))
			return err
		})
		if len(got) != 3 {
			t.Fatalf("open orders = %+v, want the partially received, confirmed and sent ones", got)
		}
		if g := got[0]; g.ID != late.ID || g.Supplier != "Acme" || g.UnitsDue != 6 || !eqTime(g.MissedAt, day(3)) {
			t.Errorf("the late order = %+v, want Acme's, 4 + 2 units due, missed day 3", g)
		}
		if g := got[1]; g.ID != onTime.ID || g.Supplier != "Brill" || g.UnitsDue != 4 || g.MissedAt != nil {
			t.Errorf("the order on time = %+v, want Brill's, 4 units due, not late", g)
		}
		if g := got[2]; g.ID != sent.ID || g.UnitsDue != 1 || g.MissedAt != nil {
			t.Errorf("the sent order = %+v, want 1 unit due, not late", g)
		}
		for i, want := range []struct {
			status string
			next   *time.Time
		}{{store.POPartiallyReceived, ptr(day(3))}, {store.POConfirmed, ptr(day(9))}, {store.POSent, nil}} {
			if g := got[i]; g.Status != want.status || (want.next == nil) != (g.NextExpected == nil) ||
				want.next != nil && !eqTime(g.NextExpected, *want.next) {
				t.Errorf("open order %d = %+v, want status %s, next expected %v", g.ID, g, want.status, want.next)
			}
		}
		// The dashboard reads the same outside a transaction.
		read, err := s.OpenPOs(context.Background(), shop.ID, day(5))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(read, got) {
			t.Errorf("open orders read by the store = %+v, want as in a transaction %+v", read, got)
		}
	})
}
