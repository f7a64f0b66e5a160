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

// The helpers the store's tests share.

// t0 is the time the facts of the tests are stamped with.
var t0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

// addShop registers the Shopify shop a.myshopify.com.
func addShop(t *testing.T, s *store.Store) store.Shop {
	t.Helper()
	return addShopAt(t, s, "a.myshopify.com")
}

// addShopAt registers the Shopify shop domain.
func addShopAt(t *testing.T, s *store.Store, domain string) store.Shop {
	t.Helper()
	shop, err := s.AddShop(context.Background(), store.NewShop(store.Shopify, domain, "secret"))
	if err != nil {
		t.Fatal(err)
	}
	return shop
}

// inTx runs fn in one transaction; its error fails the test.
func inTx(t *testing.T, s *store.Store, fn func(ctx context.Context, tx *store.Tx) error) {
	t.Helper()
	ctx := context.Background()
	if err := s.InTx(ctx, func(tx *store.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
}

// listCase is a filter and the rows a list query must return for it, each
// named, in order.
type listCase[F any] struct {
	what string
	f    F
	want string
}

// checkList runs each case's filter through list and compares the names
// of the rows it returns, name naming each row.
func checkList[F, E any](t *testing.T, list func(F) ([]E, error), name func(E) string, cases []listCase[F]) {
	t.Helper()
	for _, c := range cases {
		rows, err := list(c.f)
		if err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		got := ""
		for _, r := range rows {
			got += name(r)
		}
		if got != c.want {
			t.Errorf("%s: %q, want %q", c.what, got, c.want)
		}
	}
}
