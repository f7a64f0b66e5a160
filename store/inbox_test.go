package store_test

import (
	"cmp"
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func TestInboxRecordsOnceAndCountsDuplicates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shop := addShop(t, s)
		received := time.Date(2025, 11, 18, 14, 42, 18, 413921000, time.UTC)
		d := store.Delivery{
			ShopID: shop.ID, Topic: "orders/create", DedupeKey: "orders/create:evt-1",
			Headers: map[string]string{"X-Shopify-Topic": "orders/create"},
			Body:    []byte(`{"id":1}`), ReceivedAt: received,
		}
		id, dup, err := s.RecordDelivery(ctx, d)
		if err != nil || dup {
			t.Fatalf("first record = %d, dup %v, %v", id, dup, err)
		}
		for i := 0; i < 2; i++ {
			again, dup, err := s.RecordDelivery(ctx, d)
			if err != nil || !dup || again != id {
				t.Fatalf("duplicate record = %d, dup %v, %v; want %d, true", again, dup, err, id)
			}
		}
		row, err := s.Inbox(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if row.Duplicates != 2 || row.Status != store.InboxAccepted || string(row.Body) != `{"id":1}` {
			t.Errorf("row = %+v, want 2 duplicates, accepted, body kept", row)
		}
		if !row.ReceivedAt.Equal(received) {
			t.Errorf("received_at = %v, want %v", row.ReceivedAt, received)
		}
	})
}

func TestInboxClaimFinishAndRelayList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shop := addShop(t, s)
		t0 := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
		var ids []int64
		for i, at := range []time.Time{t0, t0.Add(500 * time.Millisecond), t0.Add(2 * time.Second)} {
			id, _, err := s.RecordDelivery(ctx, store.Delivery{
				ShopID: shop.ID, Topic: "orders/create", DedupeKey: string(rune('a' + i)),
				Body: []byte(`{}`), ReceivedAt: at,
			})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		got, err := s.UnfinishedInbox(ctx, t0.Add(time.Second), 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0] != ids[0] || got[1] != ids[1] {
			t.Fatalf("unfinished before t0+1s = %v, want %v", got, ids[:2])
		}
		if got, _ := s.UnfinishedInbox(ctx, t0.Add(time.Hour), ids[0], 1); len(got) != 1 || got[0] != ids[1] {
			t.Fatalf("page after %d = %v, want [%d]", ids[0], got, ids[1])
		}
		err = s.InTx(ctx, func(tx *store.Tx) error {
			row, err := tx.ClaimInbox(ctx, ids[0])
			if err != nil {
				return err
			}
			return tx.FinishInbox(ctx, row.ID, store.InboxProcessed, "")
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.FailInbox(ctx, ids[1], "archived: boom"); err != nil {
			t.Fatal(err)
		}
		// A finished row is never failed afterwards.
		if err := s.FailInbox(ctx, ids[0], "late"); err != nil {
			t.Fatal(err)
		}
		processed, _ := s.Inbox(ctx, ids[0])
		failed, _ := s.Inbox(ctx, ids[1])
		if processed.Status != store.InboxProcessed || processed.ProcessedAt == nil {
			t.Errorf("processed row = %+v", processed)
		}
		if failed.Status != store.InboxFailed || failed.Reason != "archived: boom" {
			t.Errorf("failed row = %+v", failed)
		}
		if got, _ := s.UnfinishedInbox(ctx, t0.Add(time.Hour), 0, 10); len(got) != 1 || got[0] != ids[2] {
			t.Errorf("unfinished after finishing two = %v, want [%d]", got, ids[2])
		}
	})
}

func TestListingDeliveriesFiltersOnEachFieldAndPagesNewestFirst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, b := addShopAt(t, s, "a.myshopify.com"), addShopAt(t, s, "b.myshopify.com")
		names := map[int64]string{}
		for i, d := range []store.Delivery{
			{ShopID: a.ID, Topic: "orders/create"},
			{ShopID: a.ID, Topic: "products/update"},
			{ShopID: b.ID, Topic: "orders/create"},
		} {
			d.DedupeKey, d.Body, d.ReceivedAt = strconv.Itoa(i), []byte(`{}`), t0
			id, _, err := s.RecordDelivery(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			names[id] = strconv.Itoa(i + 1)
		}
		var first int64
		for id, name := range names {
			if name == "1" {
				first = id
			}
		}
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			return tx.FinishInbox(ctx, first, store.InboxProcessed, "")
		})
		list := func(f store.InboxFilter) ([]store.InboxEntry, error) {
			f.Limit = cmp.Or(f.Limit, 10)
			return s.ListInbox(ctx, f)
		}
		checkList(t, list, func(e store.InboxEntry) string { return names[e.ID] }, []listCase[store.InboxFilter]{
			{"all, newest first", store.InboxFilter{}, "321"},
			{"shop a", store.InboxFilter{ShopID: a.ID}, "21"},
			{"topic", store.InboxFilter{Topic: "orders/create"}, "31"},
			{"status", store.InboxFilter{Status: store.InboxAccepted}, "32"},
			{"filters together", store.InboxFilter{ShopID: a.ID, Topic: "orders/create", Status: store.InboxProcessed}, "1"},
			{"first page", store.InboxFilter{Limit: 2}, "32"},
			{"next page", store.InboxFilter{Limit: 2, Before: first + 1}, "1"},
		})
	})
}

func TestOldestUnappliedDeliveryOfAShop(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, b := addShopAt(t, s, "a.myshopify.com"), addShopAt(t, s, "b.myshopify.com")
		record := func(shop store.Shop, key string, at time.Time) int64 {
			id, _, err := s.RecordDelivery(ctx, store.Delivery{
				ShopID: shop.ID, Topic: "orders/create", DedupeKey: key, Body: []byte(`{}`), ReceivedAt: at,
			})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		x := record(a, "x", t0.Add(time.Second))
		y := record(a, "y", t0.Add(3*time.Second))
		record(b, "z", t0)
		check := func(what string, shop store.Shop, from, before time.Duration, want time.Duration, none bool) {
			t.Helper()
			var got *time.Time
			inTx(t, s, func(ctx context.Context, tx *store.Tx) (err error) {
				got, err = tx.OldestUnapplied(ctx, shop.ID, t0.Add(from), t0.Add(before))
				return err
			})
			switch {
			case none && got != nil:
				t.Errorf("%s: oldest = %v, want none", what, got.Sub(t0))
			case !none && (got == nil || !got.Equal(t0.Add(want))):
				t.Errorf("%s: oldest = %v, want t0+%v", what, got, want)
			}
		}
		check("all of a", a, 0, 10*time.Second, time.Second, false)
		check("from t0+2s", a, 2*time.Second, 10*time.Second, 3*time.Second, false)
		check("before t0+1s", a, 0, time.Second, 0, true)
		check("shop b", b, 0, 10*time.Second, 0, false)
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.FinishInbox(ctx, x, store.InboxProcessed, "") })
		check("x applied", a, 0, 10*time.Second, 3*time.Second, false)
		if err := s.FailInbox(ctx, y, "archived"); err != nil {
			t.Fatal(err)
		}
		check("y failed too", a, 0, 10*time.Second, 0, true)
	})
}

// TestOldestUnappliedCountsADeliveryInABatchNotCommitted: a delivery
// another transaction has claimed and not yet committed is still
// unapplied, and reading it does not wait for that transaction.
func TestOldestUnappliedCountsADeliveryInABatchNotCommitted(t *testing.T) {
	s := storetest.New(t, store.Postgres)
	ctx := context.Background()
	shop := addShop(t, s)
	id, _, err := s.RecordDelivery(ctx, store.Delivery{
		ShopID: shop.ID, Topic: "orders/create", DedupeKey: "x", Body: []byte(`{}`), ReceivedAt: t0,
	})
	if err != nil {
		t.Fatal(err)
	}
	held, release, done := make(chan struct{}), make(chan struct{}), make(chan error)
	go func() {
		done <- s.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.TryClaimInbox(ctx, id); err != nil {
				return err
			}
			if err := tx.FinishInbox(ctx, id, store.InboxProcessed, ""); err != nil {
				return err
			}
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	var got *time.Time
	err = s.InTx(ctx, func(tx *store.Tx) (err error) {
		got, err = tx.OldestUnapplied(ctx, shop.ID, t0.Add(-time.Minute), t0.Add(time.Second))
		return err
	})
	close(release)
	if err := errors.Join(err, <-done); err != nil {
		t.Fatal(err)
	}
	if got == nil || !got.Equal(t0) {
		t.Fatalf("while its batch is open: oldest = %v, want t0", got)
	}
}
