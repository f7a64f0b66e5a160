package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// order1001 is order 5001, "#1001", of Wren Lee, open, as of t0+d with
// sequence seq.
func order1001(d time.Duration, seq int64, lines ...backorder.Line) backorder.Order {
	return backorder.Order{
		OrderID: "5001", Name: "#1001", Status: backorder.OrderOpen, StoreStatus: "paid",
		Customer: backorder.Customer{ID: "c1", Email: "wren@example.net", FirstName: "Wren", LastName: "Lee", Phone: "555"},
		PlacedAt: t0, UpdatedAt: t0.Add(d), Lines: lines, Version: backorder.Version{At: t0.Add(d), Seq: seq},
	}
}

func line(id, item string, quantity int) backorder.Line {
	return backorder.Line{LineID: id, ItemID: item, SKU: "SKU-" + item, Title: "Item " + item, Quantity: quantity, OpenUnits: quantity}
}

func applyOrder(t *testing.T, s *store.Store, shopID int64, o backorder.Order) bool {
	t.Helper()
	var applied bool
	inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
		var err error
		applied, err = tx.ApplyOrder(ctx, shopID, o)
		return err
	})
	return applied
}

func readOrder(t *testing.T, s *store.Store, shopID int64, orderID string) store.OrderRecord {
	t.Helper()
	o, err := s.Order(context.Background(), shopID, orderID)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestTheNewestStateOfAnOrderWinsAndATieGoesToTheHigherSequence(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		shop := addShop(t, s)
		state := func(storeStatus string, d time.Duration, seq int64) backorder.Order {
			o := order1001(d, seq, line("L1", "A", 1))
			o.StoreStatus = storeStatus
			return o
		}
		// In the order they arrive; each is applied or not, and the
		// stored state is then the one named.
		steps := []struct {
			what    string
			o       backorder.Order
			applied bool
			want    string
		}{
			{"the first state", state("paid", 0, 1), true, "paid"},
			{"an older state", state("voided", -time.Second, 9), false, "paid"},
			{"the same time with a lower sequence", state("voided", 0, 0), false, "paid"},
			{"the same time and sequence again", state("voided", 0, 1), false, "paid"},
			{"the same time with a higher sequence", state("partially_paid", 0, 2), true, "partially_paid"},
			{"a newer time with a lower sequence", state("refunded", time.Second, 0), true, "refunded"},
		}
		for _, st := range steps {
			if got := applyOrder(t, s, shop.ID, st.o); got != st.applied {
				t.Errorf("%s: applied = %v, want %v", st.what, got, st.applied)
			}
			if got := readOrder(t, s, shop.ID, "5001"); got.StoreStatus != st.want {
				t.Errorf("after %s: store status %q, want %q", st.what, got.StoreStatus, st.want)
			}
		}
		got := readOrder(t, s, shop.ID, "5001")
		if !got.StateAt.Equal(t0.Add(time.Second)) || got.StateSeq != 0 || got.Name != "#1001" || got.Email != "wren@example.net" {
			t.Errorf("order = %+v, want the newest state, its version kept", got)
		}
	})
}

func TestLinesANewerStateNoLongerHasKeepTheirRowWithNoUnits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		shop := addShop(t, s)
		applyOrder(t, s, shop.ID, order1001(0, 0, line("L2", "B", 1), line("L1", "A", 2)))
		applyOrder(t, s, shop.ID, order1001(time.Minute, 0, line("L2", "B", 3)))
		// A stale state changes no line.
		applyOrder(t, s, shop.ID, order1001(-time.Minute, 0, line("L1", "A", 9)))
		got := readOrder(t, s, shop.ID, "5001").Lines
		want := []store.LineRecord{
			{OrderID: "5001", LineID: "L1", ItemID: "A", SKU: "SKU-A", Title: "Item A", Quantity: 0, OpenUnits: 0},
			{OrderID: "5001", LineID: "L2", ItemID: "B", SKU: "SKU-B", Title: "Item B", Quantity: 3, OpenUnits: 3},
		}
		if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
			t.Errorf("lines = %+v, want %+v", got, want)
		}
		var items []string
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			var err error
			items, err = tx.OrderItemIDs(ctx, shop.ID, "5001")
			return err
		})
		if strings.Join(items, ",") != "A,B" {
			t.Errorf("items of the order = %v, want A,B (a dropped line still names its item)", items)
		}
	})
}

func TestADeletedOrderHoldsNoUnitsUntilItsNextState(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		shop := addShop(t, s)
		applyOrder(t, s, shop.ID, order1001(0, 0, line("L1", "A", 2)))
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.DeleteOrder(ctx, shop.ID, "5001") })
		got := readOrder(t, s, shop.ID, "5001")
		if got.Status != "deleted" || got.Lines[0].OpenUnits != 0 || got.Lines[0].Quantity != 2 {
			t.Fatalf("deleted order = %s with %+v, want deleted, quantity kept, no open units", got.Status, got.Lines)
		}
		applyOrder(t, s, shop.ID, order1001(time.Minute, 0, line("L1", "A", 2)))
		got = readOrder(t, s, shop.ID, "5001")
		if got.Status != "open" || got.Lines[0].OpenUnits != 2 {
			t.Errorf("restored order = %s with %+v, want open with its 2 units", got.Status, got.Lines)
		}
	})
}

func TestARedactedOrderStaysErasedWhenANewerStateArrives(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		shop := addShop(t, s)
		applyOrder(t, s, shop.ID, order1001(0, 0, line("L1", "A", 1)))
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			n, err := tx.RedactOrders(ctx, shop.ID, "c1", "", nil, false)
			if n != 1 {
				t.Errorf("redacted %d orders, want 1", n)
			}
			return err
		})
		o := order1001(time.Minute, 0, line("L1", "A", 1))
		o.StoreStatus = "fulfilled"
		applyOrder(t, s, shop.ID, o)
		got := readOrder(t, s, shop.ID, "5001")
		if got.StoreStatus != "fulfilled" || got.Email != "" || got.FirstName != "" || got.LastName != "" || got.Phone != "" || got.RedactedAt == nil {
			t.Errorf("order = %+v, want the new status without personal fields", got)
		}
	})
}

func TestARefundIsRecordedOnce(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			s, dump := storetest.NewWithDump(t, engine)
			shop := addShop(t, s)
			refund := func(quantity int) backorder.Refund {
				return backorder.Refund{RefundID: "r1", OrderID: "5001", CreatedAt: t0, Lines: []backorder.RefundLine{
					{LineID: "L2", Quantity: quantity, RestockType: "return"},
					{LineID: "L1", Quantity: quantity, RestockType: "no_restock"},
				}}
			}
			for _, quantity := range []int{1, 7} {
				inTx(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.ApplyRefund(ctx, shop.ID, refund(quantity)) })
			}
			var rows []string
			for _, l := range strings.Split(dump(), "\n") {
				if strings.HasPrefix(l, "refund_lines:") {
					rows = append(rows, l)
				}
			}
			if len(rows) != 2 || !strings.Contains(rows[0], " r1 L") || !strings.Contains(rows[0], " 5001 1 ") ||
				!strings.Contains(rows[1], " 5001 1 ") {
				t.Errorf("refund rows = %q, want two lines of r1 with the first quantity", rows)
			}
		})
	}
}
