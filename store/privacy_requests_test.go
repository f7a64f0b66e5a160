package store_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// addPrivacyRecords records, for each request, a delivery and the request
// carried out from it; it returns the inbox ids.
func addPrivacyRecords(t *testing.T, s *store.Store, rs ...store.PrivacyRecord) []int64 {
	t.Helper()
	var inboxIDs []int64
	for i, r := range rs {
		id, _, err := s.RecordDelivery(context.Background(), store.Delivery{ShopID: r.ShopID, Topic: "customers/data_request",
			DedupeKey: strconv.Itoa(i), Body: []byte(`{}`), ReceivedAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		r.InboxID = id
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.AddPrivacyRecord(ctx, r) })
		inboxIDs = append(inboxIDs, id)
	}
	return inboxIDs
}

func TestPrivacyRecordsAreListedByShopNewestFirstAndTheirDocumentsErased(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, b := addShopAt(t, s, "a.myshopify.com"), addShopAt(t, s, "b.myshopify.com")
		addPrivacyRecords(t, s,
			store.PrivacyRecord{ShopID: a.ID, Kind: "customer_data", CustomerID: "c1", Document: "D1"},
			store.PrivacyRecord{ShopID: a.ID, Kind: "customer_data", CustomerID: "c2", Document: "D2"},
			store.PrivacyRecord{ShopID: b.ID, Kind: "customer_data", CustomerID: "c1", Document: "D3"})
		docs := func(shopID, before int64, limit int) (string, []store.PrivacyRecord) {
			rs, err := s.PrivacyRecords(ctx, shopID, before, limit)
			if err != nil {
				t.Fatal(err)
			}
			out := ""
			for _, r := range rs {
				out += r.Document + " "
			}
			return out, rs
		}
		all, rs := docs(0, 0, 10)
		if all != "D3 D2 D1 " {
			t.Fatalf("all records = %q, want D3 D2 D1 newest first", all)
		}
		if got, _ := docs(a.ID, 0, 10); got != "D2 D1 " {
			t.Errorf("shop a's records = %q, want D2 D1", got)
		}
		if got, _ := docs(0, rs[0].ID, 1); got != "D2 " {
			t.Errorf("the page after the newest = %q, want D2", got)
		}
		erase := func(customerID string) int {
			var n int
			inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
				var err error
				n, err = tx.EraseDataDocuments(ctx, a.ID, customerID)
				return err
			})
			return n
		}
		if n := erase("c1"); n != 1 {
			t.Errorf("erased %d documents of c1 in shop a, want 1", n)
		}
		if got, _ := docs(0, 0, 10); got != "D3 D2  " {
			t.Errorf("after erasing c1's in shop a = %q, want D3 D2 and an empty one", got)
		}
		if n := erase(""); n != 1 {
			t.Errorf("erased %d documents of shop a, want the 1 left", n)
		}
		if got, _ := docs(0, 0, 10); got != "D3   " {
			t.Errorf("after erasing shop a's = %q, want only D3", got)
		}
	})
}

func TestCompletingAPrivacyScanKeepsTheDocumentWhenGivenNone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		shop := addShop(t, s)
		ids := addPrivacyRecords(t, s,
			store.PrivacyRecord{ShopID: shop.ID, Kind: "customer_data", CustomerID: "c1", Document: "draft"},
			store.PrivacyRecord{ShopID: shop.ID, Kind: "customer_redact", CustomerID: "c2"})
		var data, redact store.PrivacyScan
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			if err := tx.AdvancePrivacyScan(ctx, ids[0], 100, 2, "c1"); err != nil {
				return err
			}
			if err := tx.CompletePrivacyScan(ctx, ids[0], 5, 1, "final"); err != nil {
				return err
			}
			if err := tx.CompletePrivacyScan(ctx, ids[1], 7, 0, ""); err != nil {
				return err
			}
			var err error
			if data, err = tx.PrivacyScanOf(ctx, ids[0]); err != nil {
				return err
			}
			redact, err = tx.PrivacyScanOf(ctx, ids[1])
			return err
		})
		if data.Document != "final" || data.Scanned != 105 || data.Deliveries != 3 || data.Subject != "" || data.CompletedAt == nil {
			t.Errorf("data request scan = %+v, want the final document, 105 scanned, 3 found, completed", data)
		}
		if redact.Document != "" || redact.Scanned != 7 || redact.CompletedAt == nil {
			t.Errorf("redaction scan = %+v, want no document, 7 scanned, completed", redact)
		}
	})
}
