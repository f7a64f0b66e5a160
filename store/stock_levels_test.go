package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func level(key, location string, available *int, d time.Duration, seq int64) backorder.StockLevel {
	return backorder.StockLevel{StockKey: key, LocationID: location, Available: available,
		Version: backorder.Version{At: t0.Add(d), Seq: seq}}
}

func applyLevel(t *testing.T, s *store.Store, shopID int64, l backorder.StockLevel) bool {
	t.Helper()
	var applied bool
	inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
		var err error
		applied, err = tx.ApplyLevel(ctx, shopID, l)
		return err
	})
	return applied
}

func itemStock(t *testing.T, s *store.Store, shopID int64, itemID string) store.ItemStock {
	t.Helper()
	var st store.ItemStock
	inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
		var err error
		st, err = tx.ItemStock(ctx, shopID, itemID)
		return err
	})
	return st
}

func TestALevelReportTakesOnlyANewerStateOfItsLocation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		shop := addShop(t, s)
		steps := []struct {
			what    string
			l       backorder.StockLevel
			applied bool
		}{
			{"the first report", level("K42", "L1", ptr(3), 0, 1), true},
			{"an older report", level("K42", "L1", ptr(9), -time.Second, 5), false},
			{"the same version again", level("K42", "L1", ptr(9), 0, 1), false},
			{"the same time with a higher sequence", level("K42", "L1", ptr(4), 0, 2), true},
			{"another location, older", level("K42", "L2", ptr(5), -time.Hour, 0), true},
		}
		for _, st := range steps {
			if got := applyLevel(t, s, shop.ID, st.l); got != st.applied {
				t.Errorf("%s: applied = %v, want %v", st.what, got, st.applied)
			}
		}
		ls, err := s.Levels(context.Background(), shop.ID, "K42")
		if err != nil {
			t.Fatal(err)
		}
		if len(ls) != 2 || ls[0].LocationID != "L1" || *ls[0].Available != 4 || ls[0].StateSeq != 2 ||
			ls[1].LocationID != "L2" || *ls[1].Available != 5 {
			t.Errorf("levels = %+v, want L1 at 4 and L2 at 5", ls)
		}
	})
}

func TestItemStockSumsTheLocationsAndFallsBackToTheItemsQuantity(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shop := addShop(t, s)
		shop.WaitingCap = ptr(10)
		if _, err := s.UpdateShop(ctx, shop); err != nil {
			t.Fatal(err)
		}
		if st := itemStock(t, s, shop.ID, "42"); st.Known || st.Cap == nil || *st.Cap != 10 {
			t.Errorf("an item never described = %+v, want unknown with the shop's cap", st)
		}
		applyItem(t, s, shop.ID, teapot(nil, 0, 0))
		if st := itemStock(t, s, shop.ID, "42"); st.Known {
			t.Errorf("an unmanaged item with no levels = %+v, want unknown", st)
		}
		applyItem(t, s, shop.ID, teapot(ptr(7), time.Minute, 0))
		// A location that reports no number is no level.
		applyLevel(t, s, shop.ID, level("K42", "L3", nil, 3*time.Hour, 0))
		if st := itemStock(t, s, shop.ID, "42"); !st.Known || st.Level != 7 || !st.LevelAt.Equal(t0.Add(time.Minute)) {
			t.Errorf("an item without levels = %+v, want the item's quantity 7 as of its state", st)
		}
		applyLevel(t, s, shop.ID, level("K42", "L1", ptr(4), time.Hour, 0))
		applyLevel(t, s, shop.ID, level("K42", "L2", ptr(5), 2*time.Hour, 0))
		applyLevel(t, s, shop.ID, level("K99", "L1", ptr(100), 2*time.Hour, 0)) // another item's
		st := itemStock(t, s, shop.ID, "42")
		if !st.Known || st.Level != 9 || !st.LevelAt.Equal(t0.Add(2*time.Hour)) || st.SKU != "TEAPOT" || st.Title != "Teapot" {
			t.Errorf("an item with levels = %+v, want 4+5 = 9 as of the newest report", st)
		}
		if err := s.SetItemCap(ctx, shop.ID, "42", ptr(3)); err != nil {
			t.Fatal(err)
		}
		if st := itemStock(t, s, shop.ID, "42"); st.Cap == nil || *st.Cap != 3 || st.Level != 9 {
			t.Errorf("with the item's own cap = %+v, want cap 3, level kept", st)
		}
	})
}

func TestReceivedUnitsCountUntilALevelNewerThanTheReceipt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		shop := addShop(t, s)
		sp := addSupplier(t, s, "a", 1)
		po := openPO(t, s, shop.ID, sp.ID, store.POSent, nil, "42", 20)
		receive := func(id string, d time.Duration, units int) {
			addReceipt(t, s, store.Receipt{POID: po.ID, ReceiptID: id, ReceivedAt: t0.Add(d),
				Lines: []store.ReceiptLine{{ItemID: "42", Quantity: units}}})
		}
		receive("r1", time.Hour, 3)
		receive("r2", 3*time.Hour, 5)
		if st := itemStock(t, s, shop.ID, "42"); st.Known || st.Received != 8 {
			t.Errorf("an item with no level = %+v, want every receipt (8) received", st)
		}
		applyItem(t, s, shop.ID, teapot(nil, 0, 0))
		applyLevel(t, s, shop.ID, level("K42", "L1", ptr(4), 2*time.Hour, 0))
		st := itemStock(t, s, shop.ID, "42")
		if !st.Known || st.Level != 4 || st.Received != 5 {
			t.Errorf("a level between the receipts = %+v, want level 4 and the later receipt's 5 received", st)
		}
		// A level at the receipt's very time holds it.
		applyLevel(t, s, shop.ID, level("K42", "L1", ptr(9), 3*time.Hour, 0))
		if st := itemStock(t, s, shop.ID, "42"); st.Level != 9 || st.Received != 0 {
			t.Errorf("a level as new as the last receipt = %+v, want level 9 and nothing received after it", st)
		}
	})
}
