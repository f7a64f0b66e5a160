package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// addSupplier registers an email supplier named name, with a lead time of
// lead days.
func addSupplier(t *testing.T, s *store.Store, name string, lead int) store.Supplier {
	t.Helper()
	sp, err := s.AddSupplier(context.Background(), store.Supplier{Name: name, Email: "orders@" + name + ".example",
		Channel: store.ChannelEmail, LeadTimeDays: lead, Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func TestASupplierIsAddedUpdatedAndReadBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		s.SetClock(func() time.Time { return t0 })
		sp, err := s.AddSupplier(ctx, store.Supplier{Name: "Kiln Co", Channel: store.ChannelHTTP,
			URL: "https://kiln.example/po", Secret: "s3cret", LeadTimeDays: 10})
		if err != nil {
			t.Fatal(err)
		}
		want := store.Supplier{ID: sp.ID, Name: "Kiln Co", Channel: store.ChannelHTTP, URL: "https://kiln.example/po",
			Secret: "s3cret", LeadTimeDays: 10, Currency: "USD", CreatedAt: t0, UpdatedAt: t0}
		got, err := s.Supplier(ctx, sp.ID)
		if err != nil || !sameSupplier(got, want) || sp.ID == 0 {
			t.Errorf("added supplier = %+v, %v; want %+v", got, err, want)
		}
		if _, err := s.AddSupplier(ctx, store.Supplier{Name: "Kiln Co", Channel: store.ChannelEmail}); !errors.Is(err, store.ErrDuplicate) {
			t.Errorf("a second supplier of the same name: err = %v, want ErrDuplicate", err)
		}
		if _, err := s.AddSupplier(ctx, store.Supplier{Name: "Pigeon", Channel: "pigeon"}); err == nil {
			t.Error("a supplier on an unknown channel was added")
		}
		later := t0.Add(time.Hour)
		s.SetClock(func() time.Time { return later })
		got.Email, got.Channel, got.LeadTimeDays, got.Currency = "po@kiln.example", store.ChannelEmail, 7, "EUR"
		updated, err := s.UpdateSupplier(ctx, got)
		want.Email, want.Channel, want.LeadTimeDays, want.Currency, want.UpdatedAt = "po@kiln.example", store.ChannelEmail, 7, "EUR", later
		if err != nil || !sameSupplier(updated, want) {
			t.Errorf("updated supplier = %+v, %v; want %+v", updated, err, want)
		}
		other := addSupplier(t, s, "glaze", 3)
		other.Name = "Kiln Co"
		if _, err := s.UpdateSupplier(ctx, other); !errors.Is(err, store.ErrDuplicate) {
			t.Errorf("renaming onto another's name: err = %v, want ErrDuplicate", err)
		}
		if _, err := s.UpdateSupplier(ctx, store.Supplier{ID: 999, Name: "x", Channel: store.ChannelEmail}); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("update of a missing supplier: err = %v, want ErrNotFound", err)
		}
		if _, err := s.Supplier(ctx, 999); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a missing supplier: err = %v, want ErrNotFound", err)
		}
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			got, err := tx.Supplier(ctx, sp.ID)
			if got.Name != "Kiln Co" {
				t.Errorf("read in a transaction = %+v", got)
			}
			return err
		})
	})
}

func sameSupplier(a, b store.Supplier) bool {
	a.CreatedAt, a.UpdatedAt = a.CreatedAt.UTC(), a.UpdatedAt.UTC()
	b.CreatedAt, b.UpdatedAt = b.CreatedAt.UTC(), b.UpdatedAt.UTC()
	return a == b
}

func TestSuppliersAreListedOldestFirstAPageAtATime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		var ids []int64
		for _, name := range []string{"a", "b", "c"} {
			ids = append(ids, addSupplier(t, s, name, 1).ID)
		}
		list := func(after int64) ([]store.Supplier, error) { return s.Suppliers(ctx, after, 2) }
		checkList(t, list, func(sp store.Supplier) string { return sp.Name }, []listCase[int64]{
			{"the first page", 0, "ab"},
			{"the next page", ids[1], "c"},
			{"past the end", ids[2], ""},
		})
	})
}

func TestImportingSuppliersAddsNewNamesAndUpdatesKnownOnes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		known, err := s.AddSupplier(ctx, store.Supplier{Name: "Kiln Co", Channel: store.ChannelHTTP, URL: "https://k.example", Secret: "keep"})
		if err != nil {
			t.Fatal(err)
		}
		var got []store.Supplier
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			got, err = tx.ImportSuppliers(ctx, []store.Supplier{
				{Name: "Glaze Ltd", Channel: store.ChannelEmail, Email: "g@g.example", LeadTimeDays: 5},
				{Name: "Kiln Co", Channel: store.ChannelHTTP, URL: "https://k.example/v2", LeadTimeDays: 9},
			})
			return err
		})
		if len(got) != 2 || got[0].ID == 0 || got[0].ID == known.ID || got[0].Currency != "USD" || got[1].ID != known.ID {
			t.Fatalf("imported = %+v; want a new Glaze Ltd and Kiln Co updated in place", got)
		}
		k, _ := s.Supplier(ctx, known.ID)
		if k.URL != "https://k.example/v2" || k.LeadTimeDays != 9 || k.Secret != "keep" {
			t.Errorf("Kiln Co after import = %+v; want the new URL and lead time, its secret kept", k)
		}
		// A bad row takes the whole file back with it.
		err = s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ImportSuppliers(ctx, []store.Supplier{{Name: "Third", Channel: store.ChannelEmail}, {Name: "Bad", Channel: "fax"}})
			return err
		})
		if all, _ := s.Suppliers(ctx, 0, 10); err == nil || len(all) != 2 {
			t.Errorf("a file with a bad row: err = %v, %d suppliers; want an error and still 2", err, len(all))
		}
	})
}
