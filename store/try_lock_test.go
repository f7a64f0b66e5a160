package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func TestTryLockOrdersSkipsTheOrdersAnotherTransactionHolds(t *testing.T) {
	s := storetest.New(t, store.Postgres)
	ctx := context.Background()
	held, release, done := make(chan struct{}), make(chan struct{}), make(chan error)
	go func() {
		done <- s.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.TryLockOrders(ctx, 1, []string{"b"}); err != nil {
				return err
			}
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	err := s.InTx(ctx, func(tx *store.Tx) error {
		got, err := tx.TryLockOrders(ctx, 1, []string{"a", "b", "c"})
		if err == nil && !slices.Equal(got, []string{"a", "c"}) {
			t.Errorf("locked %v while b is held, want [a c]", got)
		}
		other, err2 := tx.TryLockOrders(ctx, 2, []string{"b"})
		if err2 == nil && !slices.Equal(other, []string{"b"}) {
			t.Errorf("another shop's order b: locked %v, want [b]", other)
		}
		return errors.Join(err, err2)
	})
	close(release)
	if err := errors.Join(err, <-done); err != nil {
		t.Fatal(err)
	}
	err = s.InTx(ctx, func(tx *store.Tx) error {
		got, err := tx.TryLockOrders(ctx, 1, []string{"b"})
		if err == nil && !slices.Equal(got, []string{"b"}) {
			t.Errorf("locked %v once b's transaction ended, want [b]", got)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
