package store_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// TestDeadlockedTransactionIsRunAgainAndCommits makes two transactions lock
// two rows in opposite orders, so that PostgreSQL kills one of them with a
// deadlock; InTx runs the victim again and both commit.
func TestDeadlockedTransactionIsRunAgainAndCommits(t *testing.T) {
	s := storetest.New(t, store.Postgres)
	ctx := context.Background()
	err := s.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE pair (id INT PRIMARY KEY, n INT NOT NULL)`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO pair VALUES (1, 0), (2, 0)`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var attempts, committed atomic.Int32
	var firstLocks sync.WaitGroup
	firstLocks.Add(2)
	bump := func(first, second int) error {
		try := 0
		return s.InTx(ctx, func(tx *store.Tx) error {
			attempts.Add(1)
			try++
			tx.AfterCommit(func() { committed.Add(1) }) // the deadlocked attempt's is dropped
			if _, err := tx.ExecContext(ctx, `UPDATE pair SET n = n + 1 WHERE id = ?`, first); err != nil {
				return err
			}
			if try == 1 { // both hold their first row before either asks for its second
				firstLocks.Done()
				firstLocks.Wait()
			}
			_, err := tx.ExecContext(ctx, `UPDATE pair SET n = n + 1 WHERE id = ?`, second)
			return err
		})
	}
	errs := make(chan error, 2)
	go func() { errs <- bump(1, 2) }()
	go func() { errs <- bump(2, 1) }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatalf("transaction failed: %v", err)
		}
	}
	if got := s.Retries()[store.RetryDeadlock]; got != 1 || attempts.Load() != 3 {
		t.Fatalf("deadlock retries = %d, attempts = %d; want 1 retry, 3 attempts", got, attempts.Load())
	}
	if committed.Load() != 2 {
		t.Fatalf("after-commit hooks run = %d, want 2: one per committed transaction, none for the deadlocked attempt", committed.Load())
	}
	var n int
	err = s.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE pair SET n = n WHERE n = 2`)
		if err != nil {
			return err
		}
		c, err := res.RowsAffected()
		n = int(c)
		return err
	})
	if err != nil || n != 2 {
		t.Fatalf("rows bumped twice = %d, %v; want both", n, err)
	}
}

// TestTransactionCutOffByTheServerIsRunAgain: the server ends the
// transaction's connection (an operator's pg_terminate_backend, a restart);
// InTx runs it again on a new connection.
func TestTransactionCutOffByTheServerIsRunAgain(t *testing.T) {
	s := storetest.New(t, store.Postgres)
	ctx := context.Background()
	attempts := 0
	err := s.InTx(ctx, func(tx *store.Tx) error {
		attempts++
		if attempts == 1 {
			_, err := tx.ExecContext(ctx, `SELECT pg_terminate_backend(pg_backend_pid())`)
			return err
		}
		return nil
	})
	if err != nil || attempts != 2 || s.Retries()[store.RetryConnection] != 1 {
		t.Fatalf("err = %v, attempts = %d, retries = %v; want success on the second attempt", err, attempts, s.Retries())
	}
}

// TestTransactionFailingForGoodIsNotRunAgain: an error of the caller's own
// is returned at once.
func TestTransactionFailingForGoodIsNotRunAgain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		attempts := 0
		start := time.Now()
		mine := errors.New("mine")
		err := s.InTx(context.Background(), func(tx *store.Tx) error {
			attempts++
			return mine
		})
		if !errors.Is(err, mine) || attempts != 1 || time.Since(start) > time.Second {
			t.Fatalf("err = %v after %d attempts; want mine after one", err, attempts)
		}
	})
}

// TestAfterCommitRunsOnlyWhenTheTransactionCommits: a counter registered in
// a transaction that rolls back never runs; in one that commits it runs
// once, after the commit.
func TestAfterCommitRunsOnlyWhenTheTransactionCommits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		ran := 0
		failed := errors.New("decided, then failed")
		err := s.InTx(ctx, func(tx *store.Tx) error {
			tx.AfterCommit(func() { ran++ })
			return failed
		})
		if !errors.Is(err, failed) || ran != 0 {
			t.Fatalf("rolled back: err %v, hooks run %d; want %v and 0", err, ran, failed)
		}
		err = s.InTx(ctx, func(tx *store.Tx) error {
			tx.AfterCommit(func() { ran++ })
			if ran != 0 {
				t.Errorf("hook ran before the commit")
			}
			return nil
		})
		if err != nil || ran != 1 {
			t.Fatalf("committed: err %v, hooks run %d; want nil and 1", err, ran)
		}
	})
}
