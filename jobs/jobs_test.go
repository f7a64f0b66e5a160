package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func TestOutboxTaskRunsOnceThroughTheWorker(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := jobs.NewHarness(t, s)
		e.StartWorker()
		task := e.AddTask(e.Dispatcher)
		e.WaitFor("task done", func() bool { return e.OutboxStatus(task.ID) == store.OutboxDone })
		if n := e.Effects(task.ID); n != 1 {
			t.Fatalf("effects = %d, want 1", n)
		}
	})
}

func TestTaskWhoseEnqueueFailedRunsOnceAfterTheRelay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := jobs.NewHarness(t, s)
		task := e.AddTask(e.DownDispatcher())
		if _, err := e.Inspector.GetTaskInfo(jobs.QueueDefault, jobs.TaskID(jobs.TableOutbox, task.ID)); err == nil {
			t.Fatal("task is in Redis although its enqueue failed")
		}
		e.StartWorker()
		time.Sleep(200 * time.Millisecond)
		if got := e.OutboxStatus(task.ID); got != store.OutboxPending {
			t.Fatalf("status before the relay = %q, want pending", got)
		}
		st, err := e.Relay.RunOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if st.Enqueued != 1 {
			t.Fatalf("relay stats = %+v, want 1 enqueued", st)
		}
		e.WaitFor("task done", func() bool { return e.OutboxStatus(task.ID) == store.OutboxDone })
		if n := e.Effects(task.ID); n != 1 {
			t.Fatalf("effects = %d, want 1", n)
		}
	})
}

func TestTaskThatRedisLostRunsOnceAfterTheRelay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := jobs.NewHarness(t, s)
		task := e.AddTask(e.Dispatcher)
		id := jobs.TaskID(jobs.TableOutbox, task.ID)
		if _, err := e.Inspector.GetTaskInfo(jobs.QueueDefault, id); err != nil {
			t.Fatalf("task %s not in Redis after commit: %v", id, err)
		}
		// Redis restarts without persistence.
		if err := e.Redis.FlushDB(context.Background()).Err(); err != nil {
			t.Fatal(err)
		}
		st, err := e.Relay.RunOnce(context.Background())
		if err != nil || st.Enqueued != 1 {
			t.Fatalf("relay = %+v, %v; want 1 enqueued", st, err)
		}
		// A second pass finds the task in Redis and leaves it alone.
		if st, err := e.Relay.RunOnce(context.Background()); err != nil || st.Enqueued != 0 || st.InFlight != 1 {
			t.Fatalf("second relay = %+v, %v; want the task in flight", st, err)
		}
		e.StartWorker()
		e.WaitFor("task done", func() bool { return e.OutboxStatus(task.ID) == store.OutboxDone })
		if n := e.Effects(task.ID); n != 1 {
			t.Fatalf("effects = %d, want 1", n)
		}
	})
}

func TestTaskRunTwiceHasOneEffect(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := jobs.NewHarness(t, s)
		task := e.AddTask(e.DownDispatcher())
		h := e.EffectHandler()
		at := asynq.NewTask(jobs.TypeTestEffect, []byte(fmt.Sprintf(`{"id":%d}`, task.ID)))
		// Two deliveries at once, then a late third: asynq is at least once.
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = h.ProcessTask(context.Background(), at)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatalf("run: %v", err)
			}
		}
		if err := h.ProcessTask(context.Background(), at); err != nil {
			t.Fatalf("late run: %v", err)
		}
		if n := e.Effects(task.ID); n != 1 {
			t.Fatalf("effects after three runs = %d, want 1", n)
		}
	})
}

func TestArchivedTaskIsADeadLetterNotReenqueued(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := jobs.NewHarness(t, s)
		e.SetFailing(true)
		e.StartWorker()
		task := e.AddTask(e.Dispatcher)
		id := jobs.TaskID(jobs.TableOutbox, task.ID)
		e.WaitFor("task archived", func() bool {
			info, err := e.Inspector.GetTaskInfo(jobs.QueueDefault, id)
			return err == nil && info.State == asynq.TaskStateArchived
		})
		st, err := e.Relay.RunOnce(context.Background())
		if err != nil || st.Failed != 1 || st.Enqueued != 0 {
			t.Fatalf("relay = %+v, %v; want 1 failed, none enqueued", st, err)
		}
		row, _ := s.Outbox(context.Background(), task.ID)
		if row.Status != store.OutboxFailed || row.Reason == "" {
			t.Fatalf("row = %+v, want failed with a reason", row)
		}
		// The relay no longer looks at it.
		if st, _ := e.Relay.RunOnce(context.Background()); st != (jobs.RelayStats{}) {
			t.Fatalf("relay after the dead letter = %+v, want nothing to do", st)
		}
		// An operator fixes the cause and runs the archived task from the
		// monitor: it is applied once.
		e.SetFailing(false)
		if err := e.Inspector.RunTask(jobs.QueueDefault, id); err != nil {
			t.Fatal(err)
		}
		e.WaitFor("task done", func() bool { return e.OutboxStatus(task.ID) == store.OutboxDone })
		if n := e.Effects(task.ID); n != 1 {
			t.Fatalf("effects = %d, want 1", n)
		}
	})
}

func TestDeliveryIsProcessedOnceAndRelayedWhenLost(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := jobs.NewHarness(t, s)
		ctx := context.Background()
		shop, err := s.AddShop(ctx, store.NewShop(store.Shopify, "a.myshopify.com", "secret"))
		if err != nil {
			t.Fatal(err)
		}
		// The lost delivery is another shop's: one of the same shop would be
		// applied in the first one's batch.
		other, err := s.AddShop(ctx, store.NewShop(store.Shopify, "b.myshopify.com", "secret"))
		if err != nil {
			t.Fatal(err)
		}
		record := func(shopID int64, key string) int64 {
			id, _, err := s.RecordDelivery(ctx, store.Delivery{ShopID: shopID, Topic: "orders/create",
				DedupeKey: key, Body: jobs.Fixture(t, "shopify/orders-create"), ReceivedAt: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		enqueued, lost := record(shop.ID, "a"), record(other.ID, "b")
		if err := e.Dispatcher.EnqueueDelivery(ctx, enqueued); err != nil {
			t.Fatal(err)
		}
		// A second enqueue of the same row is a harmless conflict.
		if err := e.Dispatcher.EnqueueDelivery(ctx, enqueued); err != nil {
			t.Fatalf("second enqueue: %v", err)
		}
		e.StartWorker()
		status := func(id int64) string {
			row, err := s.Inbox(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return row.Status
		}
		e.WaitFor("delivery processed", func() bool { return status(enqueued) == store.InboxProcessed })
		if got := status(lost); got != store.InboxAccepted {
			t.Fatalf("never-enqueued delivery = %q, want accepted", got)
		}
		// The delivery's follow-up tasks go to asynq after its commit, a
		// moment after the row reads processed: until they have, the relay
		// would rightly enqueue them too.
		e.WaitFor("follow-up tasks handed to asynq", func() bool {
			rows, err := s.UnfinishedOutbox(ctx, time.Now().Add(time.Minute), 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				if _, err := e.Inspector.GetTaskInfo(r.Queue, jobs.TaskID(jobs.TableOutbox, r.ID)); errors.Is(err, asynq.ErrTaskNotFound) {
					return false
				}
			}
			return true
		})
		if st, err := e.Relay.RunOnce(ctx); err != nil || st.Enqueued != 1 {
			t.Fatalf("relay = %+v, %v; want 1 enqueued", st, err)
		}
		e.WaitFor("relayed delivery processed", func() bool { return status(lost) == store.InboxProcessed })
		first, _ := s.Inbox(ctx, enqueued)
		// Running the processed delivery's task again changes nothing.
		if err := e.Handlers.Delivery.ProcessTask(ctx, jobs.NewDeliveryTask(enqueued, nil)); err != nil {
			t.Fatal(err)
		}
		again, _ := s.Inbox(ctx, enqueued)
		if !again.ProcessedAt.Equal(*first.ProcessedAt) {
			t.Fatalf("processed_at moved from %v to %v on a second run", first.ProcessedAt, again.ProcessedAt)
		}
	})
}

func TestBadPayloadIsNotRetried(t *testing.T) {
	h := jobs.NewDeliveryHandler(nil, nil, jobs.Settle{}, nil, nil)
	err := h.ProcessTask(context.Background(), asynq.NewTask(jobs.TypeDelivery, []byte(`not json`)))
	if !errors.Is(err, asynq.SkipRetry) {
		t.Fatalf("err = %v, want SkipRetry", err)
	}
}

func TestSchedulerEnqueuesEachPeriodOnceAcrossReplicas(t *testing.T) {
	h := jobs.NewHarness(t, nil)
	client, insp, log := h.Client, h.Inspector, h.Log
	p := jobs.Periodic{Type: jobs.TypeRelay, Queue: jobs.QueuePeriodic, Every: time.Minute}
	period := time.Now().Truncate(time.Minute)
	for replica := 0; replica < 3; replica++ {
		if err := jobs.NewScheduler(client, log, p).Enqueue(context.Background(), p, period); err != nil {
			t.Fatalf("replica %d: %v", replica, err)
		}
	}
	if err := jobs.NewScheduler(client, log, p).Enqueue(context.Background(), p, period.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	tasks, err := insp.ListPendingTasks(jobs.QueuePeriodic)
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 2 {
		t.Fatalf("pending periodic tasks = %d, want 2 (one per period)", len(tasks))
	}
}
