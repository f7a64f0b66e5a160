package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

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
