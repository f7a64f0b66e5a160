package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func TestMigrateIsIdempotentAndCheckSchemaAgrees(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		v1, err := s.Migrate(ctx)
		if err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		if v1 < 1 {
			t.Fatalf("schema version = %d, want at least 1", v1)
		}
		if err := s.CheckSchema(ctx); err != nil {
			t.Fatalf("CheckSchema after migrate: %v", err)
		}
	})
}

func TestCheckSchemaRefusesAnEmptyDatabase(t *testing.T) {
	for _, e := range storetest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			engine, dsn := storetest.DSN(t, e)
			s, err := store.Open(engine, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			err = s.CheckSchema(context.Background())
			if !errors.Is(err, store.ErrSchemaMismatch) {
				t.Fatalf("CheckSchema on an empty database = %v, want ErrSchemaMismatch", err)
			}
		})
	}
}

func TestInTxRollsBackOnError(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		boom := errors.New("boom")
		var id int64
		err := s.InTx(ctx, func(tx *store.Tx) error {
			task, err := tx.AddOutbox(ctx, store.OutboxTask{TaskType: "t", Queue: "default", Payload: []byte(`{}`)})
			if err != nil {
				return err
			}
			id = task.ID
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx = %v, want the function's error", err)
		}
		if _, err := s.Outbox(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("outbox row after rollback: err = %v, want ErrNotFound", err)
		}
	})
}

func TestShops(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shop, err := s.AddShop(ctx, store.NewShop(store.Shopify, "a.myshopify.com", "s1"))
		if err != nil {
			t.Fatalf("add shop: %v", err)
		}
		if _, err := s.AddShop(ctx, store.NewShop(store.Shopify, "a.myshopify.com", "s2")); !errors.Is(err, store.ErrDuplicate) {
			t.Fatalf("second add of the same domain: err = %v, want ErrDuplicate", err)
		}
		// The same domain on the other platform is another shop.
		if _, err := s.AddShop(ctx, store.NewShop(store.WooCommerce, "a.myshopify.com", "s3")); err != nil {
			t.Fatalf("add woocommerce shop: %v", err)
		}
		shop.WebhookSecretPrevious, shop.WebhookSecret = shop.WebhookSecret, "s1-new"
		shop.Name, shop.HandlingDays = "Harbor Kiln", 3
		got, err := s.UpdateShop(ctx, shop)
		if err != nil {
			t.Fatalf("update shop: %v", err)
		}
		if got.Name != "Harbor Kiln" || got.HandlingDays != 3 || got.UpdateCadenceDays != 7 || got.TimeZone != "UTC" {
			t.Errorf("updated shop = %+v, want name, handling days 3 and defaults kept", got)
		}
		if want := []string{"s1-new", "s1"}; len(got.Secrets()) != 2 || got.Secrets()[0] != want[0] || got.Secrets()[1] != want[1] {
			t.Errorf("secrets = %v, want %v", got.Secrets(), want)
		}
		byDomain, err := s.ShopByDomain(ctx, store.Shopify, "a.myshopify.com")
		if err != nil || byDomain.ID != shop.ID {
			t.Fatalf("ShopByDomain = %+v, %v; want shop %d", byDomain, err, shop.ID)
		}
		if _, err := s.ShopByDomain(ctx, store.Shopify, "b.myshopify.com"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown shop: err = %v, want ErrNotFound", err)
		}
		all, err := s.Shops(ctx)
		if err != nil || len(all) != 2 {
			t.Fatalf("Shops = %d shops, %v; want 2", len(all), err)
		}
		if _, err := s.UpdateShop(ctx, store.Shop{ID: 999}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("update of a missing shop: err = %v, want ErrNotFound", err)
		}
	})
}

func addShop(t *testing.T, s *store.Store) store.Shop {
	t.Helper()
	shop, err := s.AddShop(context.Background(), store.NewShop(store.Shopify, "a.myshopify.com", "secret"))
	if err != nil {
		t.Fatal(err)
	}
	return shop
}

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

func TestOutboxLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
		s.SetClock(func() time.Time { return now })
		var due, later store.OutboxTask
		err := s.InTx(ctx, func(tx *store.Tx) error {
			var err error
			if due, err = tx.AddOutbox(ctx, store.OutboxTask{TaskType: "x", Queue: "default", Payload: []byte(`{"id":7}`)}); err != nil {
				return err
			}
			later, err = tx.AddOutbox(ctx, store.OutboxTask{TaskType: "x", Queue: "default", Payload: []byte(`{}`), RunAt: now.Add(time.Minute)})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.UnfinishedOutbox(ctx, now.Add(time.Second), 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].ID != due.ID || string(got[0].Payload) != `{"id":7}` || !got[0].RunAt.Equal(now) {
			t.Fatalf("unfinished = %+v, want only task %d due now", got, due.ID)
		}
		err = s.InTx(ctx, func(tx *store.Tx) error {
			task, err := tx.ClaimOutbox(ctx, due.ID)
			if err != nil {
				return err
			}
			if task.Status != store.OutboxPending {
				t.Errorf("claimed status = %q, want pending", task.Status)
			}
			return tx.FinishOutbox(ctx, task.ID)
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.FailOutbox(ctx, later.ID, "archived"); err != nil {
			t.Fatal(err)
		}
		d, _ := s.Outbox(ctx, due.ID)
		l, _ := s.Outbox(ctx, later.ID)
		if d.Status != store.OutboxDone || d.DoneAt == nil || l.Status != store.OutboxFailed {
			t.Errorf("statuses = %q, %q; want done, failed", d.Status, l.Status)
		}
		if got, _ := s.UnfinishedOutbox(ctx, now.Add(time.Hour), 0, 10); len(got) != 0 {
			t.Errorf("unfinished after done and failed = %+v, want none", got)
		}
	})
}
