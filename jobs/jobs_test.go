package jobs_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/jobs/jobstest"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

const redisDB = 1

const typeEffect = "test:effect"

// env is one store and one Redis with the real asynq client, inspector and
// (once started) server.
type env struct {
	t          *testing.T
	store      *store.Store
	rc         redis.UniversalClient
	client     *asynq.Client
	inspector  *asynq.Inspector
	dispatcher *jobs.Dispatcher
	relay      *jobs.Relay
	metrics    *jobs.Metrics
	log        *slog.Logger
	// fail makes the test effect fail, so that asynq archives it.
	mu   sync.Mutex
	fail bool
}

func newEnv(t *testing.T, s *store.Store) *env {
	rc, _ := jobstest.Redis(t, redisDB)
	e := &env{t: t, store: s, rc: rc, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	e.client = asynq.NewClientFromRedisClient(rc)
	e.inspector = asynq.NewInspectorFromRedisClient(rc)
	e.dispatcher = jobs.NewDispatcher(e.client, e.log)
	e.relay = jobs.NewRelay(s, e.dispatcher, e.inspector, 0, e.log)
	e.metrics = jobs.NewMetrics(prometheus.NewRegistry())
	ctx := context.Background()
	err := s.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE effects (outbox_id BIGINT NOT NULL)`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// effect is the test task's effect: a row in effects, in the task's
// transaction.
func (e *env) effect(ctx context.Context, tx *store.Tx, _ *jobs.Outbox, task store.OutboxTask) error {
	e.mu.Lock()
	fail := e.fail
	e.mu.Unlock()
	if fail {
		return fmt.Errorf("effect refused: %w", asynq.SkipRetry)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO effects (outbox_id) VALUES (?)`, task.ID)
	return err
}

func (e *env) effects(id int64) int {
	e.t.Helper()
	var n int
	ctx := context.Background()
	err := e.store.InTx(ctx, func(tx *store.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE effects SET outbox_id = outbox_id WHERE outbox_id = ?`, id)
		if err != nil {
			return err
		}
		c, err := res.RowsAffected()
		n = int(c)
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// startWorker runs the real asynq server with the real handlers until the
// test ends.
func (e *env) startWorker() {
	srv := jobs.NewServer(e.rc, jobs.WorkerConfig{Concurrency: 4, ShutdownTimeout: 5 * time.Second}, e.log)
	mux := jobs.NewMux(jobs.Handlers{
		Spool:            e.dispatcher.SpoolHandler(e.store),
		Delivery:         jobs.NewDeliveryHandler(e.store, e.dispatcher, jobs.Settle{}, e.metrics, e.log),
		Relay:            e.relay.Handler(),
		Reconcile:        jobs.NewReconciler(e.store, e.dispatcher, jobs.Settle{}, e.metrics, e.log).Handler(),
		FullCheck:        e.dispatcher.FullCheckHandler(e.store),
		OrderMessages:    jobs.NewOrderMessages(e.store, e.dispatcher, e.log).Handler(),
		SendEmail:        jobs.NewMailer(e.store, e.dispatcher, nil, e.metrics, e.log).Handler(),
		PeriodicMessages: jobs.NewPeriodicMessages(e.store, e.dispatcher, time.Minute, e.log).Handler(),
		Privacy:          jobs.NewPrivacyScanner(e.store, e.dispatcher).Handler(),
	})
	mux.Handle(typeEffect, e.dispatcher.OutboxHandler(e.store, e.effect))
	if err := srv.Start(mux); err != nil {
		e.t.Fatalf("start worker: %v", err)
	}
	e.t.Cleanup(srv.Shutdown)
}

// addTask writes an outbox task through the dispatcher's transaction; with
// a dead client its enqueue fails and only the row exists.
func (e *env) addTask(d *jobs.Dispatcher) store.OutboxTask {
	e.t.Helper()
	ctx := context.Background()
	var task store.OutboxTask
	err := d.InTx(ctx, e.store, func(tx *store.Tx, out *jobs.Outbox) error {
		var err error
		task, err = out.Add(ctx, typeEffect, jobs.QueueDefault, map[string]int64{"item": 7}, time.Time{})
		return err
	})
	if err != nil {
		e.t.Fatalf("add task: %v", err)
	}
	return task
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *env) outboxStatus(id int64) string {
	row, err := e.store.Outbox(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return row.Status
}

// deadDispatcher enqueues into a Redis that is not there.
func (e *env) deadDispatcher() *jobs.Dispatcher {
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 100 * time.Millisecond, MaxRetries: -1})
	e.t.Cleanup(func() { _ = dead.Close() })
	return jobs.NewDispatcher(asynq.NewClientFromRedisClient(dead), e.log)
}

func TestOutboxTaskRunsOnceThroughTheWorker(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s)
		e.startWorker()
		task := e.addTask(e.dispatcher)
		waitFor(t, "task done", func() bool { return e.outboxStatus(task.ID) == store.OutboxDone })
		if n := e.effects(task.ID); n != 1 {
			t.Fatalf("effects = %d, want 1", n)
		}
	})
}

func TestTaskWhoseEnqueueFailedRunsOnceAfterTheRelay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s)
		task := e.addTask(e.deadDispatcher())
		if _, err := e.inspector.GetTaskInfo(jobs.QueueDefault, jobs.TaskID(jobs.TableOutbox, task.ID)); err == nil {
			t.Fatal("task is in Redis although its enqueue failed")
		}
		e.startWorker()
		time.Sleep(200 * time.Millisecond)
		if got := e.outboxStatus(task.ID); got != store.OutboxPending {
			t.Fatalf("status before the relay = %q, want pending", got)
		}
		st, err := e.relay.RunOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if st.Enqueued != 1 {
			t.Fatalf("relay stats = %+v, want 1 enqueued", st)
		}
		waitFor(t, "task done", func() bool { return e.outboxStatus(task.ID) == store.OutboxDone })
		if n := e.effects(task.ID); n != 1 {
			t.Fatalf("effects = %d, want 1", n)
		}
	})
}

func TestTaskThatRedisLostRunsOnceAfterTheRelay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s)
		task := e.addTask(e.dispatcher)
		id := jobs.TaskID(jobs.TableOutbox, task.ID)
		if _, err := e.inspector.GetTaskInfo(jobs.QueueDefault, id); err != nil {
			t.Fatalf("task %s not in Redis after commit: %v", id, err)
		}
		// Redis restarts without persistence.
		if err := e.rc.FlushDB(context.Background()).Err(); err != nil {
			t.Fatal(err)
		}
		st, err := e.relay.RunOnce(context.Background())
		if err != nil || st.Enqueued != 1 {
			t.Fatalf("relay = %+v, %v; want 1 enqueued", st, err)
		}
		// A second pass finds the task in Redis and leaves it alone.
		if st, err := e.relay.RunOnce(context.Background()); err != nil || st.Enqueued != 0 || st.InFlight != 1 {
			t.Fatalf("second relay = %+v, %v; want the task in flight", st, err)
		}
		e.startWorker()
		waitFor(t, "task done", func() bool { return e.outboxStatus(task.ID) == store.OutboxDone })
		if n := e.effects(task.ID); n != 1 {
			t.Fatalf("effects = %d, want 1", n)
		}
	})
}

func TestTaskRunTwiceHasOneEffect(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s)
		task := e.addTask(e.deadDispatcher())
		h := e.dispatcher.OutboxHandler(s, e.effect)
		at := asynq.NewTask(typeEffect, []byte(fmt.Sprintf(`{"id":%d}`, task.ID)))
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
		if n := e.effects(task.ID); n != 1 {
			t.Fatalf("effects after three runs = %d, want 1", n)
		}
	})
}

func TestArchivedTaskIsADeadLetterNotReenqueued(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s)
		e.fail = true
		e.startWorker()
		task := e.addTask(e.dispatcher)
		id := jobs.TaskID(jobs.TableOutbox, task.ID)
		waitFor(t, "task archived", func() bool {
			info, err := e.inspector.GetTaskInfo(jobs.QueueDefault, id)
			return err == nil && info.State == asynq.TaskStateArchived
		})
		st, err := e.relay.RunOnce(context.Background())
		if err != nil || st.Failed != 1 || st.Enqueued != 0 {
			t.Fatalf("relay = %+v, %v; want 1 failed, none enqueued", st, err)
		}
		row, _ := s.Outbox(context.Background(), task.ID)
		if row.Status != store.OutboxFailed || row.Reason == "" {
			t.Fatalf("row = %+v, want failed with a reason", row)
		}
		// The relay no longer looks at it.
		if st, _ := e.relay.RunOnce(context.Background()); st != (jobs.RelayStats{}) {
			t.Fatalf("relay after the dead letter = %+v, want nothing to do", st)
		}
		// An operator fixes the cause and runs the archived task from the
		// monitor: it is applied once.
		e.mu.Lock()
		e.fail = false
		e.mu.Unlock()
		if err := e.inspector.RunTask(jobs.QueueDefault, id); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "task done", func() bool { return e.outboxStatus(task.ID) == store.OutboxDone })
		if n := e.effects(task.ID); n != 1 {
			t.Fatalf("effects = %d, want 1", n)
		}
	})
}

func TestDeliveryIsProcessedOnceAndRelayedWhenLost(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, s)
		ctx := context.Background()
		shop, err := s.AddShop(ctx, store.NewShop(store.Shopify, "a.myshopify.com", "secret"))
		if err != nil {
			t.Fatal(err)
		}
		record := func(key string) int64 {
			id, _, err := s.RecordDelivery(ctx, store.Delivery{ShopID: shop.ID, Topic: "orders/create",
				DedupeKey: key, Body: orderBody(t), ReceivedAt: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		enqueued, lost := record("a"), record("b")
		if err := e.dispatcher.EnqueueDelivery(ctx, enqueued); err != nil {
			t.Fatal(err)
		}
		// A second enqueue of the same row is a harmless conflict.
		if err := e.dispatcher.EnqueueDelivery(ctx, enqueued); err != nil {
			t.Fatalf("second enqueue: %v", err)
		}
		e.startWorker()
		status := func(id int64) string {
			row, err := s.Inbox(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return row.Status
		}
		waitFor(t, "delivery processed", func() bool { return status(enqueued) == store.InboxProcessed })
		if got := status(lost); got != store.InboxAccepted {
			t.Fatalf("never-enqueued delivery = %q, want accepted", got)
		}
		if st, err := e.relay.RunOnce(ctx); err != nil || st.Enqueued != 1 {
			t.Fatalf("relay = %+v, %v; want 1 enqueued", st, err)
		}
		waitFor(t, "relayed delivery processed", func() bool { return status(lost) == store.InboxProcessed })
		first, _ := s.Inbox(ctx, enqueued)
		// Running the processed delivery's task again changes nothing.
		h := jobs.NewDeliveryHandler(s, e.dispatcher, jobs.Settle{}, e.metrics, e.log)
		if err := h.ProcessTask(ctx, jobs.NewDeliveryTask(enqueued)); err != nil {
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
	rc, _ := jobstest.Redis(t, redisDB)
	client := asynq.NewClientFromRedisClient(rc)
	insp := asynq.NewInspectorFromRedisClient(rc)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
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

func orderBody(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "shopify", "orders-create.json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
