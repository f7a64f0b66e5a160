package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func addReceipt(t *testing.T, s *store.Store, r store.Receipt) (int64, bool) {
	t.Helper()
	var id int64
	var dup bool
	inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
		var err error
		id, dup, err = tx.AddReceipt(ctx, r)
		return err
	})
	return id, dup
}

func TestARetriedReceiptAddsNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		shop := addShop(t, s)
		sp := addSupplier(t, s, "a", 1)
		po := openPO(t, s, shop.ID, sp.ID, store.POSent, nil, "42", 10, "43", 5)
		at := t0.Add(time.Hour)
		first, dup := addReceipt(t, s, store.Receipt{POID: po.ID, ReceiptID: "r-1", ReceivedAt: at,
			Lines: []store.ReceiptLine{{ItemID: "42", Quantity: 4}, {ItemID: "43", Quantity: 1}}})
		if first == 0 || dup {
			t.Fatalf("first receipt = %d, duplicate %v", first, dup)
		}
		again, dup := addReceipt(t, s, store.Receipt{POID: po.ID, ReceiptID: "r-1", ReceivedAt: at,
			Lines: []store.ReceiptLine{{ItemID: "42", Quantity: 4}}})
		if again != first || !dup {
			t.Errorf("the same receipt again = %d, duplicate %v; want %d, true", again, dup, first)
		}
		if st := itemStock(t, s, shop.ID, "42"); st.Received != 4 {
			t.Errorf("received units of 42 = %d, want 4 (once)", st.Received)
		}
		// Another receipt id is another delivery, received now.
		s.SetClock(func() time.Time { return at.Add(time.Hour) })
		if second, dup := addReceipt(t, s, store.Receipt{POID: po.ID, ReceiptID: "r-2",
			Lines: []store.ReceiptLine{{ItemID: "42", Quantity: 2}}}); second == first || dup {
			t.Errorf("a second receipt = %d, duplicate %v", second, dup)
		}
		if st := itemStock(t, s, shop.ID, "42"); st.Received != 6 {
			t.Errorf("received units of 42 = %d, want 4 + 2", st.Received)
		}
		if st := itemStock(t, s, shop.ID, "43"); st.Received != 1 {
			t.Errorf("received units of 43 = %d, want 1", st.Received)
		}
	})
}
