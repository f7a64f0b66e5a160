package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// setTerms writes an item's terms from a supplier.
func setTerms(t *testing.T, s *store.Store, is store.ItemSupplier) store.ItemSupplier {
	t.Helper()
	got, err := s.SetItemSupplier(context.Background(), is)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// termsNames names an item's terms in order, * marking the preferred.
func termsNames(iss []store.ItemSupplier) string {
	out := ""
	for _, is := range iss {
		out += fmt.Sprint(is.SupplierID)
		if is.Preferred {
			out += "*"
		}
		out += " "
	}
	return out
}

func TestAnItemHasOnePreferredSupplierAndAlternatesInLeadTimeOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shop := addShop(t, s)
		a, b, c := addSupplier(t, s, "a", 20), addSupplier(t, s, "b", 5), addSupplier(t, s, "c", 30)
		got := setTerms(t, s, store.ItemSupplier{ShopID: shop.ID, ItemID: "42", SupplierID: a.ID, SupplierSKU: "A-42",
			UnitCost: "12.50", MOQ: 10, PackSize: 6, SafetyStock: 2, Preferred: true})
		if got.UpdatedAt.IsZero() || got.PackSize != 6 {
			t.Errorf("written terms = %+v", got)
		}
		setTerms(t, s, store.ItemSupplier{ShopID: shop.ID, ItemID: "42", SupplierID: b.ID})
		// c's own lead time for the item (1 day) comes before b's supplier-wide 5.
		setTerms(t, s, store.ItemSupplier{ShopID: shop.ID, ItemID: "42", SupplierID: c.ID, LeadTimeDays: ptr(1)})
		iss, err := s.ItemSuppliers(ctx, shop.ID, "42")
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("%d* %d %d ", a.ID, c.ID, b.ID); termsNames(iss) != want {
			t.Errorf("terms = %q, want %q (preferred, then by lead time)", termsNames(iss), want)
		}
		if iss[0].SupplierSKU != "A-42" || iss[0].UnitCost != "12.50" || iss[0].MOQ != 10 || iss[0].SafetyStock != 2 ||
			iss[0].LeadTimeDays != nil || iss[2].UnitCost != "0" || iss[2].PackSize != 1 || *iss[1].LeadTimeDays != 1 {
			t.Errorf("terms read back = %+v", iss)
		}
		// Making b preferred makes a an alternate.
		setTerms(t, s, store.ItemSupplier{ShopID: shop.ID, ItemID: "42", SupplierID: b.ID, Preferred: true})
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			iss, err = tx.ItemSuppliers(ctx, shop.ID, "42")
			return err
		})
		if want := fmt.Sprintf("%d* %d %d ", b.ID, c.ID, a.ID); termsNames(iss) != want {
			t.Errorf("terms after b is preferred = %q, want %q", termsNames(iss), want)
		}
		// The schema holds one preferred per item whatever writes it.
		err = s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE item_suppliers SET preferred = TRUE WHERE shop_id = ? AND item_id = '42'`, shop.ID)
			return err
		})
		if !errors.Is(err, store.ErrDuplicate) {
			t.Errorf("two preferred suppliers: err = %v, want ErrDuplicate", err)
		}
		if _, err := s.SetItemSupplier(ctx, store.ItemSupplier{ShopID: shop.ID, ItemID: "42", SupplierID: 999}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("terms of a missing supplier: err = %v, want ErrNotFound", err)
		}
		if err := s.DeleteItemSupplier(ctx, shop.ID, "42", c.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteItemSupplier(ctx, shop.ID, "42", c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("deleting the terms twice: err = %v, want ErrNotFound", err)
		}
		if iss, _ := s.ItemSuppliers(ctx, shop.ID, "42"); termsNames(iss) != fmt.Sprintf("%d* %d ", b.ID, a.ID) {
			t.Errorf("terms after deleting c's = %q", termsNames(iss))
		}
	})
}

func TestImportingTermsIsAllOrNothingAndTheLaterPreferredWins(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shop := addShop(t, s)
		a, b := addSupplier(t, s, "a", 1), addSupplier(t, s, "b", 1)
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			_, err := tx.ImportItemSuppliers(ctx, []store.ItemSupplier{
				{ShopID: shop.ID, ItemID: "42", SupplierID: a.ID, Preferred: true},
				{ShopID: shop.ID, ItemID: "42", SupplierID: b.ID, Preferred: true},
			})
			return err
		})
		if iss, _ := s.ItemSuppliers(ctx, shop.ID, "42"); termsNames(iss) != fmt.Sprintf("%d* %d ", b.ID, a.ID) {
			t.Errorf("imported terms = %q, want b preferred", termsNames(iss))
		}
		err := s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ImportItemSuppliers(ctx, []store.ItemSupplier{
				{ShopID: shop.ID, ItemID: "43", SupplierID: a.ID},
				{ShopID: shop.ID, ItemID: "43", SupplierID: b.ID, MOQ: -1},
			})
			return err
		})
		if iss, _ := s.ItemSuppliers(ctx, shop.ID, "43"); err == nil || len(iss) != 0 {
			t.Errorf("a file with a bad row: err = %v, terms %+v; want an error and none", err, iss)
		}
	})
}

// setWaiting records that the item's last reconcile found waiting units.
func setWaiting(t *testing.T, s *store.Store, shopID int64, itemID string, waiting int) {
	t.Helper()
	inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
		r, err := tx.LockLedger(ctx, shopID, itemID)
		if err != nil {
			return err
		}
		r.Waiting = waiting
		return tx.SaveLedger(ctx, r)
	})
}

// receiveOnLine counts units of item as received on the order's line.
func receiveOnLine(t *testing.T, s *store.Store, poID int64, item string, units int) {
	t.Helper()
	inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
		_, ls, err := tx.LockPO(ctx, poID)
		for _, l := range ls {
			if l.ItemID == item {
				l.Received = units
				err = tx.SavePOLine(ctx, l)
			}
		}
		return err
	})
}

func reorderCandidates(t *testing.T, s *store.Store, shopID int64, itemIDs []string) []store.ReorderCandidate {
	t.Helper()
	var cs []store.ReorderCandidate
	inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
		var err error
		cs, err = tx.ReorderCandidates(ctx, shopID, itemIDs)
		return err
	})
	return cs
}

func TestReorderCandidatesCountWaitingUnitsOpenOrdersAndCancelledSuppliers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		shop, other := addShopAt(t, s, "a.myshopify.com"), addShopAt(t, s, "b.myshopify.com")
		a, b, c := addSupplier(t, s, "a", 3), addSupplier(t, s, "b", 2), addSupplier(t, s, "c", 1)
		applyItem(t, s, shop.ID, teapot(nil, 0, 0)) // item 42, TEAPOT
		applyOrder(t, s, shop.ID, order1001(0, 0, line("L1", "43", 1)))
		setTerms(t, s, store.ItemSupplier{ShopID: shop.ID, ItemID: "42", SupplierID: a.ID, Preferred: true, MOQ: 6})
		setTerms(t, s, store.ItemSupplier{ShopID: shop.ID, ItemID: "42", SupplierID: b.ID})
		setTerms(t, s, store.ItemSupplier{ShopID: shop.ID, ItemID: "43", SupplierID: b.ID, Preferred: true})
		setTerms(t, s, store.ItemSupplier{ShopID: shop.ID, ItemID: "43", SupplierID: c.ID})
		setTerms(t, s, store.ItemSupplier{ShopID: other.ID, ItemID: "42", SupplierID: a.ID, Preferred: true})
		setWaiting(t, s, shop.ID, "42", 5)
		setWaiting(t, s, shop.ID, "44", 9) // waiting, but no supplier
		setWaiting(t, s, other.ID, "42", 50)
		// Units still to come count in draft, sent, confirmed and
		// partially received orders: 2 + 3 + 4 + (5 − 1) = 13.
		openPO(t, s, shop.ID, a.ID, store.POSent, nil, "42", 3)
		openPO(t, s, shop.ID, a.ID, store.POConfirmed, nil, "42", 4)
		partial := openPO(t, s, shop.ID, a.ID, store.POPartiallyReceived, nil, "42", 5)
		receiveOnLine(t, s, partial.ID, "42", 1)
		closed := openPO(t, s, shop.ID, a.ID, store.POReceived, nil, "42", 7)
		receiveOnLine(t, s, closed.ID, "42", 3)
		openPO(t, s, shop.ID, b.ID, store.POCancelled, nil, "42", 8)
		openPO(t, s, shop.ID, a.ID, store.PODraft, nil, "42", 2) // last: the open draft gathers what follows
		openPO(t, s, other.ID, a.ID, store.POSent, nil, "42", 100)
		// c's cancelled order for 43 was followed by a sent one.
		openPO(t, s, shop.ID, c.ID, store.POCancelled, nil, "43", 1)
		openPO(t, s, shop.ID, c.ID, store.POSent, nil, "43", 2)

		cs := reorderCandidates(t, s, shop.ID, nil)
		if len(cs) != 2 {
			t.Fatalf("candidates = %+v, want items 42 and 43", cs)
		}
		c42, c43 := cs[0], cs[1]
		if c42.ItemID != "42" || c42.ShopID != shop.ID || c42.SKU != "TEAPOT" || c42.Title != "Teapot" || c42.Waiting != 5 || c42.OnOrder != 13 {
			t.Errorf("item 42 = %+v; want TEAPOT, 5 waiting, 13 on order", c42)
		}
		if want := fmt.Sprintf("%d* %d ", a.ID, b.ID); termsNames(c42.Terms) != want || c42.Terms[0].MOQ != 6 {
			t.Errorf("terms of 42 = %q, want %q", termsNames(c42.Terms), want)
		}
		if len(c42.CancelledSuppliers) != 1 || !c42.CancelledSuppliers[b.ID] {
			t.Errorf("cancelled suppliers of 42 = %v, want b (%d) alone", c42.CancelledSuppliers, b.ID)
		}
		if c43.ItemID != "43" || c43.SKU != "SKU-43" || c43.Title != "Item 43" || c43.Waiting != 0 || c43.OnOrder != 2 ||
			len(c43.CancelledSuppliers) != 0 || termsNames(c43.Terms) != fmt.Sprintf("%d* %d ", b.ID, c.ID) {
			t.Errorf("item 43 = %+v; want its SKU from its order lines, 2 on order, no cancelled supplier", c43)
		}
		if cs := reorderCandidates(t, s, shop.ID, []string{"43", "44"}); len(cs) != 1 || cs[0].ItemID != "43" || cs[0].OnOrder != 2 {
			t.Errorf("candidates of 43 and 44 = %+v, want 43 alone", cs)
		}
		if cs := reorderCandidates(t, s, shop.ID, []string{}); len(cs) != 0 {
			t.Errorf("candidates of no items = %+v", cs)
		}
		if cs := reorderCandidates(t, s, other.ID, nil); len(cs) != 1 || cs[0].Waiting != 50 || cs[0].OnOrder != 100 {
			t.Errorf("the other shop's candidates = %+v, want 42 with its own counts", cs)
		}
	})
}

func TestUnitsReceivedSinceTheLastReconcileCountAsOnOrderUntilAReconcileTakesThem(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		shop := addShopAt(t, s, "a.myshopify.com")
		a := addSupplier(t, s, "a", 3)
		setTerms(t, s, store.ItemSupplier{ShopID: shop.ID, ItemID: "42", SupplierID: a.ID, Preferred: true})
		now := t0
		s.SetClock(func() time.Time { return now })
		reconciled := func(at time.Time, waiting int) {
			now = at
			inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
				r, err := tx.LockLedger(ctx, shop.ID, "42")
				if err != nil {
					return err
				}
				r.Waiting = waiting
				return tx.SaveLedger(ctx, r)
			})
		}
		reconciled(t0, 5)
		po := openPO(t, s, shop.ID, a.ID, store.POConfirmed, nil, "42", 5)
		receiveOnLine(t, s, po.ID, "42", 3)
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			_, _, err := tx.AddReceipt(ctx, store.Receipt{POID: po.ID, ReceiptID: "dock-1", ReceivedAt: t0.Add(time.Minute),
				Lines: []store.ReceiptLine{{ItemID: "42", Quantity: 3}}})
			return err
		})
		// Until a reconcile takes the 3 off the waiting units, they are
		// in hand: 2 still to come + 3 = the 5 waiting, nothing to order.
		if cs := reorderCandidates(t, s, shop.ID, nil); len(cs) != 1 || cs[0].Waiting != 5 || cs[0].OnOrder != 5 {
			t.Errorf("before the reconcile: candidates = %+v, want 5 waiting, 5 on order (2 due, 3 in hand)", cs)
		}
		reconciled(t0.Add(2*time.Minute), 2)
		if cs := reorderCandidates(t, s, shop.ID, nil); len(cs) != 1 || cs[0].Waiting != 2 || cs[0].OnOrder != 2 {
			t.Errorf("after the reconcile: candidates = %+v, want 2 waiting, 2 on order", cs)
		}
	})
}

// fill runs stmts in one transaction; each makes rows numbered 1 to n
// from a recursive count, `n(i)`.
func fill(b *testing.B, s *store.Store, n int, stmts ...string) {
	b.Helper()
	count := fmt.Sprintf(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d) `, n)
	ctx := context.Background()
	err := s.InTx(ctx, func(tx *store.Tx) error {
		for _, q := range stmts {
			if _, err := tx.ExecContext(ctx, count+q); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// eachBench runs fn as a sub-benchmark on a fresh store of every engine,
// with the shop a.myshopify.com.
func eachBench(b *testing.B, fn func(b *testing.B, s *store.Store, shop store.Shop)) {
	for _, e := range storetest.Engines() {
		b.Run(string(e), func(b *testing.B) {
			s := storetest.New(b, e)
			shop, err := s.AddShop(context.Background(), store.NewShop(store.Shopify, "a.myshopify.com", "secret"))
			if err != nil {
				b.Fatal(err)
			}
			fn(b, s, shop)
		})
	}
}

// benchAt is the time the benchmarks' rows are stamped with, as both
// engines take it in text.
const benchAt = `'2026-03-02 09:30:00+00:00'`

func BenchmarkReorderCandidates10kItems(b *testing.B) {
	const items = 10_000
	eachBench(b, func(b *testing.B, s *store.Store, shop store.Shop) {
		ctx := context.Background()
		var sps []store.Supplier
		for _, name := range []string{"a", "b"} {
			sp, err := s.AddSupplier(ctx, store.Supplier{Name: name, Channel: store.ChannelEmail})
			if err != nil {
				b.Fatal(err)
			}
			sps = append(sps, sp)
		}
		// Every item: a preferred supplier and an alternate, a ledger
		// with waiting units, a sent order of a's and a cancelled one
		// of b's; half of them on a's open draft too.
		sh, a, bb := shop.ID, sps[0].ID, sps[1].ID
		fill(b, s, 3, fmt.Sprintf(`INSERT INTO purchase_orders (shop_id, supplier_id, status, currency, created_at, updated_at)
				SELECT %d, CASE WHEN i = 2 THEN %d ELSE %d END, CASE i WHEN 1 THEN 'sent' WHEN 2 THEN 'cancelled' ELSE 'draft' END,
					'USD', %s, %s FROM n`, sh, bb, a, benchAt, benchAt))
		fill(b, s, items,
			fmt.Sprintf(`INSERT INTO items (shop_id, item_id, sku, title, state_at, state_seq)
					SELECT %d, 'item-' || i, 'SKU-' || i, 'Item ' || i, %s, 0 FROM n`, sh, benchAt),
			fmt.Sprintf(`INSERT INTO item_ledgers (shop_id, item_id, waiting) SELECT %d, 'item-' || i, i %% 7 FROM n`, sh),
			fmt.Sprintf(`INSERT INTO item_suppliers (shop_id, item_id, supplier_id, moq, pack_size, safety_stock, preferred, updated_at)
					SELECT %d, 'item-' || i, %d, 5, 6, 1, TRUE, %s FROM n`, sh, a, benchAt),
			fmt.Sprintf(`INSERT INTO item_suppliers (shop_id, item_id, supplier_id, preferred, updated_at)
					SELECT %d, 'item-' || i, %d, FALSE, %s FROM n`, sh, bb, benchAt),
			fmt.Sprintf(`INSERT INTO purchase_order_lines (po_id, shop_id, item_id, quantity, received)
					SELECT p.id, %d, 'item-' || i, 4, CASE WHEN p.status = 'sent' THEN 1 ELSE 0 END
					FROM n JOIN purchase_orders p ON p.status <> 'draft' OR i %% 2 = 0`, sh))
		b.ResetTimer()
		for range b.N {
			err := s.InTx(ctx, func(tx *store.Tx) error {
				cs, err := tx.ReorderCandidates(ctx, shop.ID, nil)
				// item-1: 4 − 1 on the sent order, none on the draft.
				if err == nil && (len(cs) != items || len(cs[0].Terms) != 2 || !cs[0].CancelledSuppliers[bb] || cs[0].OnOrder != 3) {
					err = fmt.Errorf("candidates: %d, first %+v", len(cs), cs[0])
				}
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(items*b.N)/b.Elapsed().Seconds(), "items/s")
	})
}
