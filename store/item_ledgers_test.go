package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// TestMarksKeepTheNewestArrivalUntilTheReconcile: an item's ledger keeps
// when the newest delivery whose facts marked it arrived, whatever order
// the marks come in and through marks no delivery brought, and the
// reconcile's save clears it with the marks.
func TestMarksKeepTheNewestArrivalUntilTheReconcile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shop := addShop(t, s)
		mark := func(at, arrived time.Time) {
			t.Helper()
			inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
				_, err := tx.MarkItems(ctx, shop.ID, []string{"9"}, at, arrived, "test")
				return err
			})
		}
		arrival := func(what string, want *time.Time) {
			t.Helper()
			led, err := s.Ledger(ctx, shop.ID, "9")
			if err != nil {
				t.Fatal(err)
			}
			got := led.LastArrivedAt
			if (got == nil) != (want == nil) || (got != nil && !got.Equal(*want)) {
				t.Errorf("%s: last arrived = %v, want %v", what, got, want)
			}
		}
		mark(t0, time.Time{})
		arrival("marked by an operator's action", nil)
		a := t0.Add(1500 * time.Millisecond)
		mark(t0.Add(2*time.Second), a)
		arrival("marked by a delivery", &a)
		mark(t0.Add(3*time.Second), t0.Add(time.Second)) // an older one applied later
		arrival("an older delivery applied later", &a)
		mark(t0.Add(4*time.Second), time.Time{})
		arrival("then a receipt", &a)
		b := t0.Add(2 * time.Second)
		mark(t0.Add(5*time.Second), b)
		arrival("a newer delivery", &b)
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			led, err := tx.LockLedger(ctx, shop.ID, "9")
			if err != nil {
				return err
			}
			return tx.SaveLedger(ctx, led)
		})
		arrival("reconciled", nil)
	})
}
