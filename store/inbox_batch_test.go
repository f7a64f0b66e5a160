package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func delivery(shopID int64, key string) store.Delivery {
	return store.Delivery{ShopID: shopID, Topic: "orders/create", DedupeKey: key,
		Headers: map[string]string{"X-Shopify-Topic": "orders/create"}, Body: []byte(`{"key":"` + key + `"}`),
		ReceivedAt: time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)}
}

func TestRecordDeliveriesGivesEachItsOwnRowAndCountsDuplicatesInAndAcrossBatches(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shop := addShop(t, s)
		before, _, err := s.RecordDelivery(ctx, delivery(shop.ID, "old"))
		if err != nil {
			t.Fatal(err)
		}
		batch := []store.Delivery{
			delivery(shop.ID, "b"), delivery(shop.ID, "a"), delivery(shop.ID, "old"),
			delivery(shop.ID, "a"), delivery(shop.ID, "c"), delivery(shop.ID, "a"),
		}
		got, err := s.RecordDeliveries(ctx, batch)
		if err != nil || len(got) != len(batch) {
			t.Fatalf("record = %+v, %v; want %d results", got, err, len(batch))
		}
		wantDup := []bool{false, false, true, true, false, true}
		for i, r := range got {
			if r.Err != nil || r.Duplicate != wantDup[i] || r.ID == 0 {
				t.Errorf("delivery %d (%s) = %+v, want duplicate %v", i, batch[i].DedupeKey, r, wantDup[i])
			}
		}
		if got[2].ID != before || got[1].ID != got[3].ID || got[1].ID != got[5].ID {
			t.Errorf("ids = %+v; want old = %d and every a the same", got, before)
		}
		if got[0].ID == got[1].ID || got[0].ID == got[4].ID || got[1].ID == got[4].ID {
			t.Errorf("ids = %+v; want a, b and c each their own row", got)
		}
		for key, want := range map[int64]int{got[1].ID: 2, got[0].ID: 0, before: 1} {
			row, err := s.Inbox(ctx, key)
			if err != nil || row.Duplicates != want || row.Status != store.InboxAccepted {
				t.Errorf("row %d = %+v, %v; want %d duplicates, accepted", key, row, err, want)
			}
		}
		row, _ := s.Inbox(ctx, got[4].ID)
		if string(row.Body) != `{"key":"c"}` || row.Headers != `{"X-Shopify-Topic":"orders/create"}` ||
			!row.ReceivedAt.Equal(batch[4].ReceivedAt) {
			t.Errorf("row c = %+v, want its own body, headers and time", row)
		}
		// Across batches: the same keys again are duplicates of the same rows.
		again, err := s.RecordDeliveries(ctx, batch[:2])
		if err != nil || !again[0].Duplicate || !again[1].Duplicate || again[0].ID != got[0].ID || again[1].ID != got[1].ID {
			t.Fatalf("again = %+v, %v; want duplicates of %d and %d", again, err, got[0].ID, got[1].ID)
		}
		if row, _ := s.Inbox(ctx, got[1].ID); row.Duplicates != 3 {
			t.Errorf("a's duplicates = %d, want 3", row.Duplicates)
		}
	})
}

func TestRecordDeliveriesKeepsEveryBodyOfABatchExactly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shop := addShop(t, s)
		// Bodies travel to PostgreSQL as one value that each row slices: an
		// empty one, bytes that are not text, and one larger than the
		// database compresses must each come back as they went.
		big := make([]byte, 12_000)
		for i := range big {
			big[i] = byte('a' + i%26)
		}
		bodies := [][]byte{[]byte(`{"a":1}`), {}, {0, 0xff, 0, 0xfe}, big, []byte(`{"é":"ü"}`)}
		batch := make([]store.Delivery, len(bodies))
		for i, b := range bodies {
			batch[i] = delivery(shop.ID, fmt.Sprint("body-", i))
			batch[i].Body = b
		}
		got, err := s.RecordDeliveries(ctx, batch)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range got {
			row, err := s.Inbox(ctx, r.ID)
			if err != nil || string(row.Body) != string(bodies[i]) {
				t.Errorf("body %d: %d bytes back (%v), want %d", i, len(row.Body), err, len(bodies[i]))
			}
		}
	})
}

func TestRecordDeliveriesRefusesOnlyTheDeliveryTheDatabaseRefuses(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shop := addShop(t, s)
		// No such shop: the foreign key refuses that row, and with it the
		// whole statement.
		batch := []store.Delivery{delivery(shop.ID, "a"), delivery(shop.ID+1000, "orphan"), delivery(shop.ID, "b")}
		got, err := s.RecordDeliveries(ctx, batch)
		if err != nil || len(got) != 3 {
			t.Fatalf("record = %+v, %v; want three results", got, err)
		}
		if got[1].Err == nil {
			t.Errorf("orphan = %+v, want its own error", got[1])
		}
		for _, i := range []int{0, 2} {
			if got[i].Err != nil || got[i].Duplicate || got[i].ID == 0 {
				t.Errorf("delivery %d = %+v, want recorded", i, got[i])
			}
		}
		if ids, _ := s.UnfinishedInbox(ctx, time.Now().Add(time.Hour), 0, 10); len(ids) != 2 {
			t.Errorf("inbox = %v, want the two good deliveries", ids)
		}
	})
}

func TestConcurrentBatchesOfTheSameKeysInAnyOrderRecordEachOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shop := addShop(t, s)
		const batches, keys = 8, 20
		results := make([][]store.Recorded, batches)
		errs := make([]error, batches)
		var wg sync.WaitGroup
		for b := range batches {
			batch := make([]store.Delivery, keys)
			for i := range keys {
				batch[i] = delivery(shop.ID, fmt.Sprint("k", i))
			}
			rand.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
			wg.Go(func() { results[b], errs[b] = s.RecordDeliveries(ctx, batch) })
		}
		wg.Wait()
		firsts := map[int64]int{}
		for b := range batches {
			if errs[b] != nil {
				t.Fatalf("batch %d: %v", b, errs[b])
			}
			for _, r := range results[b] {
				if r.Err != nil {
					t.Fatalf("batch %d: %+v", b, r)
				}
				if !r.Duplicate {
					firsts[r.ID]++
				}
			}
		}
		if len(firsts) != keys {
			t.Fatalf("recorded first = %v, want each of %d keys once", firsts, keys)
		}
		for id, n := range firsts {
			row, _ := s.Inbox(ctx, id)
			if n != 1 || row.Duplicates != batches-1 {
				t.Errorf("row %d: first %d times, %d duplicates; want once and %d", id, n, row.Duplicates, batches-1)
			}
		}
	})
}
